"""A check handed to a worker is never lost: what is wanted (a check, and whether it is to
publish) is stored before the broker gets it, and the sweep queues again a check that never
ran (the broker was down, or lost it), with the publishing it was queued with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grader.models import CodingExercise
from grader.services import (
    STUCK_AFTER,
    exercise_check_and_publish,
    exercise_submit_edit,
    exercises_requeue_unchecked,
)
from tests.grader.test_services import FakeRunner, exercise, runner  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(monkeypatch) -> dict:
    """The broker: `up` or not; what it was handed."""
    state: dict = {"up": False, "sent": []}

    def enqueue(task, *args, what: str) -> bool:
        if state["up"]:
            state["sent"].append(args)
        return state["up"]

    monkeypatch.setattr("grader.services.enqueue", enqueue)
    return state


def test_a_check_queued_while_the_broker_is_down_is_queued_again_by_the_sweep(
    exercise,  # noqa: F811 - the fixture
    broker,
    django_capture_on_commit_callbacks,
):
    exercise.statement = "Новое условие"
    with django_capture_on_commit_callbacks(execute=True):
        exercise_submit_edit(exercise=exercise, publish=True)
    exercise.refresh_from_db()
    assert (exercise.is_published, exercise.check_status) == (False, "unchecked")
    assert exercise.check_queued_at is not None
    assert exercise.publish_when_checked
    broker["up"] = True

    assert exercises_requeue_unchecked() == 0  # not stale yet: the worker may be on it
    later = timezone.now() + STUCK_AFTER + timedelta(seconds=1)
    assert exercises_requeue_unchecked(now=later) == 1

    assert broker["sent"] == [(exercise.pk, True)]


def test_the_check_clears_the_wish_and_publishes_as_asked(exercise, broker, runner):  # noqa: F811
    broker["up"] = True
    exercise_submit_edit(exercise=exercise, publish=True)

    outcome = exercise_check_and_publish(exercise_id=exercise.pk, publish=True, runner=runner)

    exercise.refresh_from_db()
    assert outcome is not None
    assert outcome.ok
    assert (exercise.is_published, exercise.check_queued_at) == (True, None)
    later = timezone.now() + STUCK_AFTER * 2
    assert exercises_requeue_unchecked(now=later) == 0


def test_an_exercise_never_queued_is_not_swept(exercise, broker):  # noqa: F811
    broker["up"] = True
    CodingExercise.objects.filter(pk=exercise.pk).update(check_status="unchecked")
    assert exercises_requeue_unchecked(now=timezone.now() + STUCK_AFTER * 2) == 0
    assert broker["sent"] == []


def test_a_check_cut_short_by_the_time_limit_is_tried_again_and_stores_only_its_result(
    exercise,  # noqa: F811 - the fixture
    monkeypatch,
):
    """Regression: on a cold worker a Go check (two runs in one task) hit the task's soft
    time limit and was stored as failed ("could not run the check"), though nothing was
    wrong with the exercise."""
    from celery.exceptions import SoftTimeLimitExceeded

    from grader.tasks import check_exercise_task

    class ColdFirst(FakeRunner):
        def __call__(self, **kwargs):
            if not self.calls:
                self.calls.append(kwargs)
                raise SoftTimeLimitExceeded()
            return super().__call__(**kwargs)

    cold = ColdFirst()
    monkeypatch.setattr("grader.services.default_runner", lambda: cold)
    CodingExercise.objects.filter(pk=exercise.pk).update(is_published=False)

    assert check_exercise_task.apply(args=(exercise.pk, True)).get() is True

    exercise.refresh_from_db()
    assert (exercise.check_status, exercise.is_published) == ("ok", True)
    assert len(cold.calls) == 3  # the cut-short run, then the reference and the starter


def test_a_check_that_never_fits_the_time_limit_fails_saying_why(
    exercise,  # noqa: F811 - the fixture
    monkeypatch,
):
    from celery.exceptions import SoftTimeLimitExceeded

    from grader.tasks import check_exercise_task

    def always_cut(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("grader.services.default_runner", lambda: always_cut)

    assert check_exercise_task.apply(args=(exercise.pk, True)).get() is False

    exercise.refresh_from_db()
    assert (exercise.check_status, exercise.is_published) == ("failed", False)
    assert "longer than a worker task may" in exercise.check_report
