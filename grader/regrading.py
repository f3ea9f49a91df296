"""Running graded submissions again after an instructor fixed an exercise's tests: the runs
happen first (a dry run writes nothing), their grades are written later.

`submission_regrade` runs one submission in the sandbox against the exercise as it is now;
`submission_regrade_apply` writes that grade, unless the submission's grade changed since
(then it is left alone and reported stale), and moves the learner's progress with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from core.scopes import latest_per_learner
from grader.models import CodingExercise, Submission
from grader.services import (
    REPORT_FIELDS,
    Runner,
    default_runner,
    exercise_progress_record,
    exercise_run,
    submission_report_store,
)
from webhooks.services import event_emit


@dataclass(frozen=True)
class SubmissionRegrade:
    submission_id: int
    learner_id: int
    old_score: Decimal
    new_score: Decimal
    old_passed: bool
    new_passed: bool
    old_verdict: str
    grade: dict[str, Any]  # REPORT_FIELDS, as JSON

    old_tests_passed: int | None

    @property
    def changed(self) -> bool:
        """Score, passing, verdict or the number of tests passed."""
        old = (self.old_score, self.old_passed, self.old_verdict, self.old_tests_passed)
        new = (self.new_score, self.new_passed, self.grade["verdict"], self.grade["tests_passed"])
        return old != new

    def detail(self) -> dict[str, Any]:
        return {"old_verdict": self.old_verdict, "grade": self.grade}


def submissions_in_scope(*, exercise: CodingExercise, latest_only: bool) -> QuerySet[Submission]:
    """The graded submissions a regrade covers: all, or each learner's latest graded one."""
    graded = Submission.objects.filter(exercise=exercise, status=Submission.Status.GRADED)
    return latest_per_learner(graded, by="id") if latest_only else graded


def submission_regrade(
    *, submission: Submission, exercise: CodingExercise, runner: Runner | None = None
) -> SubmissionRegrade | None:
    """The submission's grade under the exercise's tests now; None when it could not run
    (an internal error: the regrade reports it, and the old grade stands)."""
    report = exercise_run(exercise, submission.files, runner or default_runner())
    if report.verdict == "internal_error":
        return None
    # It was as late when made as it was then: the same penalty applies to the new grade.
    fresh = Submission(exercise=exercise, late_penalty=submission.late_penalty)
    submission_report_store(fresh, exercise, report)
    grade = {name: getattr(fresh, name) for name in REPORT_FIELDS}
    grade["score"] = str(grade["score"])
    grade["raw_score"] = str(grade["raw_score"])
    return SubmissionRegrade(
        submission_id=submission.pk, learner_id=submission.learner_id,
        old_score=submission.score or Decimal(0), new_score=fresh.score or Decimal(0),
        old_passed=submission.verdict == Submission.Verdict.PASSED,
        new_passed=fresh.verdict == Submission.Verdict.PASSED,
        old_verdict=submission.verdict, grade=grade, old_tests_passed=submission.tests_passed,
    )  # fmt: skip


def submission_regrade_apply(
    *, submission_id: int, old_score: Decimal, old_passed: bool, detail: dict[str, Any]
) -> bool:
    """Write a computed regrade; False (nothing written) if the submission's grade is no longer
    the one the regrade started from."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("exercise")
            .filter(pk=submission_id, status=Submission.Status.GRADED)
            .first()
        )
        if submission is None or (submission.score, submission.verdict) != (
            old_score,
            detail["old_verdict"],
        ):
            return False
        grade = dict(detail["grade"])
        grade["score"] = Decimal(grade["score"])
        # (a regrade computed before raw scores were stored has none: the score, unpenalised)
        grade["raw_score"] = Decimal(grade.get("raw_score") or grade["score"])
        for name in REPORT_FIELDS:
            setattr(submission, name, grade[name])
        submission.save(update_fields=REPORT_FIELDS)
        exercise_progress_record(learner_id=submission.learner_id, exercise=submission.exercise)
        event_emit(event="submission.graded", object_id=submission.pk)
        return True
