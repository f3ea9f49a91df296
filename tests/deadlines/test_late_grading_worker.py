"""A late Go submission graded end to end (service -> Redis -> real worker -> sandbox): the
worker applies the penalty decided when it was submitted, and stores the score before it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from grader.models import CodingExercise
from grader.services import exercise_import, submission_create
from progress.models import ItemCompletion
from tests.conftest import celery_worker
from tests.factories import SectionFactory, UserFactory
from tests.grader.test_grading_worker import demo_exercise, wait_graded

pytestmark = [pytest.mark.database_incidental, pytest.mark.slow, pytest.mark.services]


def test_a_late_go_submission_is_graded_with_its_penalty_by_a_real_worker(
    live_worker_env, go_cache, monkeypatch
):
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)  # the in-process import check
    env = {**live_worker_env, "GRADER_GO_CACHE": str(go_cache)}
    imported = exercise_import(path=demo_exercise("go"), section=SectionFactory.create())
    assert imported.check.ok, imported.check.report
    exercise = imported.exercise
    # Due a day and an hour ago: two days begun, 2 x 15% off.
    CodingExercise.objects.filter(pk=exercise.pk).update(
        due_at=timezone.now() - timedelta(days=1, hours=1), late_policy="per_day",
        late_percent=15,
    )  # fmt: skip
    exercise.refresh_from_db()
    learner = UserFactory.create()

    with celery_worker(env, queues="code"):
        late = submission_create(learner=learner, exercise=exercise, files=exercise.reference_files)
        wait_graded([late.pk], timeout=120)

    late.refresh_from_db()
    assert (late.status, late.verdict, late.late_penalty) == ("graded", "passed", 30)
    assert late.raw_score == exercise.points
    assert late.score == (exercise.points * Decimal("0.7")).quantize(Decimal("0.01"))
    # Progress counts it as the policy says: complete (a pass), with the penalised score.
    completion = ItemCompletion.objects.get(learner=learner, exercise=exercise)
    assert (completion.complete, completion.score) == (True, late.score)
