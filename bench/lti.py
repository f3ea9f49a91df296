"""LTI 1.3 costs, against the test LMS of the test suite (tests/lti/lms.py) over real HTTP.

    .venv/bin/python bench/lti.py [--launches 200] [--scores 200]

A fresh SQLite database in a temporary folder (DATABASE_URL to use another). Printed:

* launch: the platform's login initiation, our redirect, the id_token posted back and
  checked (signature against the LMS's JWKS, cached after the first), the learner signed in;
  each launch a new browser and a new LMS user (the account is made on the way);
* listener: what the grading hook adds to every grading of a learner who never came from an
  LMS (the common case: one indexed query);
* score: one AGS score posted (the access token cached, as after the first send).

Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
_VAR = tempfile.mkdtemp(prefix="zachet-bench-lti-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_VAR}/bench.sqlite3")
os.environ.setdefault("ZACHET_VAR_DIR", _VAR)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--launches", type=int, default=200)
    parser.add_argument("--scores", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from bench.quiz import percentiles
    from lti.grades import score_event_record, score_send
    from lti.models import Deployment, Platform, ScoreDelivery
    from quizzes.models import Attempt
    from tests.factories import QuestionFactory, UserFactory
    from tests.lti.conftest import launch_as
    from tests.lti.lms import CLIENT_ID, DEPLOYMENT_ID, running_lms

    call_command("migrate", verbosity=0)
    quiz = QuestionFactory.create().quiz
    with running_lms() as lms:
        platform = Platform.objects.create(
            name="bench", issuer=lms.issuer, client_id=CLIENT_ID,
            auth_login_url=lms.url("/auth"), auth_token_url=lms.url("/token"),
            jwks_url=lms.url("/jwks"), course=quiz.section.part.course,
        )  # fmt: skip
        Deployment.objects.create(platform=platform, deployment_id=DEPLOYMENT_ID)

        launches = []
        for n in range(args.launches):
            started = time.perf_counter()
            launch_as(Client(), lms, quiz, sub=f"learner-{n}")
            launches.append((time.perf_counter() - started) * 1000)
        print(
            f"launch (login + id_token checks + sign-in), {args.launches}: {percentiles(launches)}"
        )

        local = UserFactory.create(username="local-learner")
        attempt = Attempt.objects.create(learner=local, quiz=quiz, number=1, seed=1,
                                         started_at=django.utils.timezone.now())  # fmt: skip
        hooks = []
        for _ in range(1000):
            started = time.perf_counter()
            score_event_record("attempt.graded", attempt.pk)
            hooks.append((time.perf_counter() - started) * 1000)
        print(f"listener on a grading, learner not from an LMS, 1000: {percentiles(hooks)}")

        link = platform.deployments.get().contexts.get().links.get()
        identity = platform.identities.first()
        assert identity is not None
        sends = []
        for _ in range(args.scores):
            delivery = ScoreDelivery.objects.create(
                link=link, identity=identity, score_given=1, score_maximum=1,
                graded_at=django.utils.timezone.now(),
            )  # fmt: skip
            started = time.perf_counter()
            assert score_send(delivery_id=delivery.pk).status == "succeeded"
            sends.append((time.perf_counter() - started) * 1000)
        print(f"score posted (AGS, token cached), {args.scores}: {percentiles(sends)}")
        print(f"token requests to the LMS: {lms.token_requests}")


if __name__ == "__main__":
    main()
