"""Recovery in seconds (issue 26, item 3): a quiz attempt and a code submission whose messages
the broker lost (as a Redis without persistence restarted empty does: here they were published
where no worker reads) are graded by real workers within 20 s (quiz) and 40 s (code), through
the lost-work sweeps beat runs every few seconds, not after the stuck sweeps' minutes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.utils import timezone

from core.devstack import stop_process
from grader.models import Submission
from grader.services import submission_create
from quizzes.models import Attempt
from quizzes.services import attempt_start, attempt_submit
from tests.conftest import REPO_DIR, celery_app_using, celery_worker
from tests.factories import (
    QuestionFactory,
    QuizFactory,
    SectionFactory,
    UserFactory,
    exercise_stored,
)

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.usefixtures("need_sandbox")]


def graded(model: type[Attempt] | type[Submission], pk: int, *, within: float) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        row = model.objects.get(pk=pk)
        if row.status == "graded":
            return row
        time.sleep(0.2)
    raise AssertionError(f"{model.__name__} {pk} not graded within {within} s")


def test_work_whose_messages_were_lost_is_graded_within_20_s_quiz_and_40_s_code(
    live_worker_env, go_cache, tmp_path: Path
):
    env = {**live_worker_env, "GRADER_GO_CACHE": str(go_cache)}
    quiz = QuizFactory.create()
    QuestionFactory.create(quiz=quiz)
    exercise = exercise_stored(
        section=SectionFactory.create(), slug="lost", title="Lost", statement="Lost.",
        language="python", starter_files={"a.py": ""}, reference_files={"a.py": ""},
        test_files={"test_a.py": "import a\n\n\ndef test_a():\n    pass\n"},
        points=Decimal(1), is_published=True, check_status="ok",
    )  # fmt: skip
    first, learner = UserFactory.create_batch(2)
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--schedule",
         str(tmp_path / "beat-schedule")],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}, cwd=REPO_DIR,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with celery_worker(env, queues="quiz,code,sweeps"):
            # given: workers and beat that grade (they are up)
            attempt_submit(attempt=attempt_start(learner=first, quiz=quiz))
            graded(Attempt, Attempt.objects.get(learner=first).pk, within=120)

            # when: an attempt's and a submission's messages are lost (they reach a broker no
            # worker reads; the database records both as queued)
            lost_at = timezone.now()
            broker = urlsplit(env["REDIS_URL"])
            other_db = "/14" if broker.path == "/15" else "/15"
            elsewhere = urlunsplit(broker._replace(path=other_db))
            with celery_app_using(elsewhere):
                attempt = attempt_submit(attempt=attempt_start(learner=learner, quiz=quiz))
                submission = submission_create(
                    learner=learner, exercise=exercise, files={"a.py": "x = 1\n"}
                )
            attempt.refresh_from_db()
            assert attempt.grading_queued_at is not None

            # then: each graded within its target, once
            quiz_done = graded(Attempt, attempt.pk, within=40)
            code_done = graded(Submission, submission.pk, within=60)
    finally:
        stop_process(beat, timeout=10)
    quiz_seconds = (quiz_done.graded_at - lost_at).total_seconds()
    code_seconds = (code_done.graded_at - lost_at).total_seconds()
    print(f"\nlost work graded {quiz_seconds:.1f} s (quiz), {code_seconds:.1f} s (code) after")
    assert quiz_seconds < 20
    assert code_seconds < 40
    assert quiz_done.requeues == 0
    assert code_done.requeues == 0
    assert quiz_done.grading_runs == 1
    assert code_done.gradings == 1
