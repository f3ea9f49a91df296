"""Recovery in seconds (issue 26): a quiz attempt submitted while the broker was down is graded
by a real worker within 20 s of the broker coming back, by the sweep a worker of the `sweeps`
queue runs when it connects again (config.celery.SweepOnConnect), not a minute later."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.utils import timezone

from core.devstack import stop_process
from quizzes.models import Attempt
from quizzes.services import attempt_start, attempt_submit
from tests.conftest import celery_app_using, celery_worker, worker_database_url
from tests.core.conftest import redis_process
from tests.factories import QuestionFactory, QuizFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.services]


def wait_graded(attempt: Attempt, *, within: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        attempt.refresh_from_db()
        if attempt.status == Attempt.Status.GRADED:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"attempt {attempt.pk} is {attempt.status} after {within} s")


def test_work_that_missed_the_broker_is_graded_within_20_s_of_its_return(
    transactional_db, redis_server, tmp_path: Path
):
    url, redis = redis_server
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    quiz = QuizFactory.create()
    QuestionFactory.create(quiz=quiz)
    first, second = UserFactory.create_batch(2)
    env = {"REDIS_URL": url, "CELERY_BROKER_URL": "", "DATABASE_URL": worker_database_url(),
           "ZACHET_VAR_DIR": str(tmp_path)}  # fmt: skip
    with celery_app_using(url), celery_worker(env, queues="quiz,sweeps"):
        # given: a worker that grades (it is up)
        attempt_submit(attempt=attempt_start(learner=first, quiz=quiz))
        wait_graded(Attempt.objects.get(learner=first), within=60)

        # when: the broker goes away, a learner submits, and the broker comes back empty
        stop_process(redis, timeout=10)
        missed = attempt_submit(attempt=attempt_start(learner=second, quiz=quiz))
        missed.refresh_from_db()
        assert missed.status == Attempt.Status.SUBMITTED
        assert missed.grading_queued_at is None  # its message never reached the broker
        back = redis_process(port, tmp_path)
        try:
            back_at = timezone.now()
            # then: graded within 20 s of the broker's return
            seconds = wait_graded(missed, within=20)
        finally:
            stop_process(back, timeout=10)
    print(f"\ngraded {seconds:.1f} s after the broker came back")
    assert missed.graded_at is not None
    assert (missed.graded_at - back_at).total_seconds() < 20
    assert missed.requeues == 0  # queued again, not abandoned by a worker
