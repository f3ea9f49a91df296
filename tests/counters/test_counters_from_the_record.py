"""The upgrade's data migration starts the counters where /metrics stood: on a varied record,
every outcome, bucket, sum and sweep count read from the counters equals the record's, as
the scrape computed it from the rows before (here recomputed row by row, in Python)."""

from __future__ import annotations

import random
from collections import Counter as Tally
from datetime import timedelta

import pytest
from django.utils import timezone

from counters.services import CODE_SUBMISSION, LATENCY_BUCKETS, QUIZ_ATTEMPT
from grader.models import Submission
from ops import selectors
from quizzes.models import Attempt
from tests.factories import QuizFactory, UserFactory, exercise_stored

pytestmark = pytest.mark.django_db

ATTEMPT_STATES = ["graded", "graded", "graded", "error", "submitted", "in_progress"]
SUBMISSION_STATES = ["graded", "graded", "error", "queued", "running"]
VERDICTS = ["passed", "failed", "compile_error", "timeout", ""]


@pytest.fixture
def varied_record() -> None:
    pick = random.Random(20261207)
    now = timezone.now()
    quiz = QuizFactory.create()
    exercise = exercise_stored(
        section=quiz.section, slug="sum", title="Sum", language="python",
        starter_files={"solution.py": "x = 1\n"}, test_files={"test_solution.py": "pass\n"},
        reference_files={"solution.py": "x = 2\n"},
    )  # fmt: skip
    learners = [UserFactory.create() for _ in range(4)]
    for number in range(1, 61):
        status = pick.choice(ATTEMPT_STATES)
        submitted = now - timedelta(seconds=pick.uniform(0, 2000))
        took = pick.choice([0.1, 0.25, 600, *(pick.uniform(0, 900) for _ in range(3))])
        Attempt.objects.create(
            learner=UserFactory.create(), quiz=quiz, number=number, seed=1, started_at=now,
            status=status, passed=pick.random() < 0.5, requeues=pick.choice([0, 0, 1, 3]),
            awaiting_manual_grading=status == "graded" and pick.random() < 0.1,
            submitted_at=None if status == "in_progress" else submitted,
            graded_at=submitted + timedelta(seconds=took) if status == "graded" else None,
        )  # fmt: skip
    for _ in range(60):
        status = pick.choice(SUBMISSION_STATES)
        row = Submission.objects.create(
            learner=pick.choice(learners), exercise=exercise, files={}, status=status,
            verdict=pick.choice(VERDICTS), requeues=pick.choice([0, 0, 2]),
        )  # fmt: skip
        if status in {"graded", "error"}:
            took = pick.choice([0.5, 2.5, 700, pick.uniform(0, 100)])
            Submission.objects.filter(pk=row.pk).update(
                graded_at=row.created_at + timedelta(seconds=took)
            )


def outcomes_of_the_rows() -> dict[tuple[str, str], int]:
    found: Tally[tuple[str, str]] = Tally()
    for attempt in Attempt.objects.filter(status__in=["graded", "error"]):
        if attempt.status == "error":
            outcome = "error"
        elif attempt.awaiting_manual_grading:
            outcome = "awaiting_manual_grading"
        else:
            outcome = "passed" if attempt.passed else "failed"
        found[(QUIZ_ATTEMPT, outcome)] += 1
    for submission in Submission.objects.filter(status__in=["graded", "error"]):
        outcome = "error" if submission.status == "error" else submission.verdict or "none"
        found[(CODE_SUBMISSION, outcome)] += 1
    return dict(found)


def waits_of_the_rows() -> dict[str, list[float]]:
    attempts = Attempt.objects.exclude(graded_at=None).exclude(submitted_at=None)
    submissions = Submission.objects.exclude(graded_at=None)
    return {
        QUIZ_ATTEMPT: [
            (graded - submitted).total_seconds()
            for submitted, graded in attempts.values_list("submitted_at", "graded_at")
            if submitted and graded  # (always: the filter; for the type checker)
        ],
        CODE_SUBMISSION: [
            (graded - created).total_seconds()
            for created, graded in submissions.values_list("created_at", "graded_at")
            if graded
        ],
    }


def test_the_counters_start_where_the_record_stands(varied_record, counters_from_the_record):
    counters_from_the_record()

    assert selectors.outcome_counts() == outcomes_of_the_rows()
    waits = waits_of_the_rows()
    for histogram in selectors.latency_histograms():
        mine = waits[histogram.kind]
        assert histogram.buckets == [
            (bound, sum(1 for took in mine if took <= bound)) for bound in LATENCY_BUCKETS
        ]
        assert histogram.count == len(mine) > 10
        assert histogram.sum_seconds == pytest.approx(sum(mine))
    assert selectors.sweep_finds() == {
        QUIZ_ATTEMPT: sum(Attempt.objects.values_list("requeues", flat=True)),
        CODE_SUBMISSION: sum(Submission.objects.values_list("requeues", flat=True)),
    }
