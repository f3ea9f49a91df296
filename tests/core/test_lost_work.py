"""The lost-work sweeps (issue 26, recovery in seconds): work recorded as queued whose message
the broker lost is queued again as soon as the broker's queue is seen empty, not after the
stuck sweeps' minutes; never while the queue holds messages or cannot be read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from grader import services as grader_services
from grader.models import Submission
from grader.services import submission_create, submissions_requeue_lost
from quizzes import services as quiz_services
from quizzes.models import Attempt
from quizzes.services import attempt_start, attempt_submit, attempts_requeue_lost
from tests.factories import (
    QuestionFactory,
    QuizFactory,
    SectionFactory,
    UserFactory,
    exercise_stored,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, int]]:
    """What was handed to the broker (no broker here)."""
    handed: list[tuple[str, int]] = []

    def attempt_queue(*, attempt_id: int, claim: bool = False) -> bool:
        handed.append(("quiz", attempt_id))
        return True

    def submission_queue(*, submission_id: int, countdown: float = 0) -> bool:
        handed.append(("code", submission_id))
        return True

    monkeypatch.setattr(quiz_services, "attempt_queue_grading", attempt_queue)
    monkeypatch.setattr(grader_services, "submission_queue", submission_queue)
    return handed


def submitted_work() -> tuple[Attempt, Submission]:
    quiz = QuizFactory.create()
    QuestionFactory.create(quiz=quiz)
    exercise = exercise_stored(
        section=SectionFactory.create(), slug="lost", title="Lost", statement="Lost.",
        language="python", starter_files={"a.py": ""}, reference_files={"a.py": ""},
        test_files={"test_a.py": "def test_a():\n    pass\n"}, points=Decimal(1),
        is_published=True, check_status="ok",
    )  # fmt: skip
    learner = UserFactory.create()
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        attempt = attempt_submit(attempt=attempt_start(learner=learner, quiz=quiz))
        submission = submission_create(learner=learner, exercise=exercise, files={"a.py": ""})
    return attempt, submission


def sweep_both(depth: int | None, *, after: float) -> None:
    now = timezone.now() + timedelta(seconds=after)
    with (
        mock.patch.object(quiz_services, "queue_waiting", return_value=depth),
        mock.patch.object(grader_services, "queue_waiting", return_value=depth),
    ):
        attempts_requeue_lost(now=now)
        submissions_requeue_lost(now=now)


def test_work_queued_a_while_ago_is_queued_again_only_while_its_queue_is_empty(sent):
    # given: an attempt and a submission whose messages were handed to the broker
    attempt, submission = submitted_work()
    sent.clear()

    # when / then: just queued, or the queue holds messages, or the broker cannot tell: kept
    sweep_both(0, after=1)
    sweep_both(3, after=30)
    sweep_both(None, after=30)
    assert sent == []

    # when: the queues are empty while both have waited past GRADING_LOST_AFTER_SECONDS
    sweep_both(0, after=30)

    # then: both queued again, at once, and not counted as abandoned by a worker
    assert sent == [("quiz", attempt.pk), ("code", submission.pk)]
    attempt.refresh_from_db()
    submission.refresh_from_db()
    assert attempt.requeues == 0
    assert submission.requeues == 0
    # ...and stamped: the next pass (the re-sent message not taken yet) sends no other one
    sent.clear()
    sweep_both(0, after=31)
    assert sent == []


def test_work_that_never_reached_the_broker_is_queued_on_the_next_pass(sent):
    attempt, submission = submitted_work()
    Attempt.objects.filter(pk=attempt.pk).update(grading_queued_at=None)
    Submission.objects.filter(pk=submission.pk).update(queued_at=None)
    sent.clear()

    sweep_both(5, after=0)  # a backlog in the queue does not matter: these were never sent

    assert sent == [("quiz", attempt.pk), ("code", submission.pk)]


def test_work_a_worker_has_taken_is_left_to_the_stuck_sweeps(sent):
    attempt, submission = submitted_work()
    Attempt.objects.filter(pk=attempt.pk).update(grading_claimed_at=timezone.now())
    Submission.objects.filter(pk=submission.pk).update(status="running")
    sent.clear()

    sweep_both(0, after=30)

    assert sent == []


@pytest.mark.services
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_the_queue_depth_is_read_from_redis_and_rabbitmq(request, broker):
    from config.celery import app
    from core.queueing import queue_waiting
    from tests.conftest import celery_app_using

    url = request.getfixturevalue("redis_broker_url" if broker == "redis" else "rabbitmq_url")
    with celery_app_using(url, purge=broker == "redis"):
        task = "grader.tasks.grade_submission"
        with app.connection_for_write() as connection:
            connection.default_channel.queue_declare("code", durable=True, auto_delete=False)
            connection.default_channel.queue_purge("code")
        assert queue_waiting(task) == 0
        app.send_task(task, args=[0], queue="code")
        app.send_task(task, args=[0], queue="code")
        assert queue_waiting(task) == 2
        # a queue the broker does not have holds nothing: an emptied Redis list is deleted (a
        # restarted Redis), RabbitMQ drops a queue on restart until a worker declares it
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge("code")
            if broker == "rabbitmq":
                connection.default_channel.queue_delete("code")
        assert queue_waiting(task) == 0
