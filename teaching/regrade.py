"""Regrading: an instructor fixed a key or a test; every learner's grade follows in one action.

1. `regrade_start` makes a job (a question, a quiz or an exercise; every graded attempt or
   submission, or each learner's latest) and queues its dry run on the `regrade` queue,
   never in front of learners' feedback.
2. `regrade_compute_step` grades the next batch again, as the work is now, and keeps only
   what would change (score or pass state) as GradeChange rows: the dry run's list. Nothing
   of the learners' is written. Each task does one batch and queues the next, so a worker
   restart loses one batch, and the job's progress shows as it goes.
3. `regrade_apply` (an instructor, after reading the list) writes the changes, batch by
   batch: grades, the grade history (old, new, why, who, when) and progress, both ways.
   A key edited after the dry run makes the job outdated: run it again. An attempt graded
   again meanwhile is left alone (stale), never overwritten with an older computation.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import teaches
from core.queueing import enqueue
from core.storable import storable_text
from grader.models import CodingExercise, Submission
from grader.regrading import (
    SubmissionRegrade,
    submission_regrade,
    submission_regrade_apply,
    submissions_in_scope,
)
from grader.services import Runner
from quizzes.models import Answer, Attempt, Question, Quiz
from quizzes.regrading import (
    AttemptRegrade,
    attempt_regrade_apply,
    attempts_in_scope,
    attempts_regrade,
    key_versions,
)
from teaching.models import GradeChange, RegradeJob

logger = logging.getLogger(__name__)

# Per task: attempts are graded in-process (~0.1 ms each); code runs in the sandbox, as
# many as fit in the task's soft time limit with room for one more run at the exercise's
# wall limit (at least one per task), so a batch never outlives its task.
QUIZ_BATCH = 500
CODE_BATCH = 50
APPLY_BATCH = 200
CODE_MARGIN_SECONDS = 3


class RegradeError(Exception):
    """Refused: no target or reason given, a job in the wrong state, an outdated run."""


class RegradeForbidden(RegradeError):
    """Not an instructor of the course (the API answers 404: nothing to see there)."""


def regrade_check(
    *,
    by: User,
    reason: str,
    quiz: Quiz | None = None,
    question: Question | None = None,
    exercise: CodingExercise | None = None,
) -> int:
    """The course of a regrade `by` may start, else RegradeError saying why (forms call
    this to show the refusal beside the fields)."""
    if sum(x is not None for x in (quiz, question, exercise)) != 1:
        raise RegradeError(_("Choose one question, quiz or exercise to regrade."))
    if not reason.strip():
        raise RegradeError(_("Say why (the reason is kept in every changed grade's history)."))
    item = question.quiz if question is not None else (quiz or exercise)
    course_id = item.section.part.course_id  # type: ignore[union-attr]
    if not teaches(by, course_id):
        raise RegradeForbidden(_("Only the course's instructors can regrade."))
    return course_id


def regrade_start(
    *,
    by: User,
    reason: str,
    quiz: Quiz | None = None,
    question: Question | None = None,
    exercise: CodingExercise | None = None,
    latest_only: bool = False,
) -> RegradeJob:
    course_id = regrade_check(by=by, reason=reason, quiz=quiz, question=question, exercise=exercise)
    if question is not None:
        quiz = question.quiz
    job = RegradeJob(
        course_id=course_id, quiz=quiz, question=question, exercise=exercise,
        target=(RegradeJob.Target.QUESTION if question else
                RegradeJob.Target.QUIZ if quiz else RegradeJob.Target.EXERCISE),
        scope=RegradeJob.Scope.LATEST if latest_only else RegradeJob.Scope.ALL,
        reason=reason.strip(), created_by=by,
    )  # fmt: skip
    job.versions = _versions_now(job)
    job.total = _scope(job).count()
    with transaction.atomic():
        job.save()
        job_id = job.pk
        transaction.on_commit(lambda: _queue_compute(job_id))
    return job


def _versions_now(job: RegradeJob) -> dict[str, str]:
    if job.exercise_id is not None:
        version = CodingExercise.objects.values_list("tests_version", flat=True).get(
            pk=job.exercise_id
        )
        return {"tests": version}
    assert job.quiz_id is not None
    quiz = Quiz.objects.get(pk=job.quiz_id)
    return key_versions(quiz, Question.objects.filter(quiz=quiz))


def _scope(job: RegradeJob) -> QuerySet[Any]:
    latest = job.scope == RegradeJob.Scope.LATEST
    if job.exercise is not None:
        return submissions_in_scope(exercise=job.exercise, latest_only=latest)
    assert job.quiz is not None
    scope = attempts_in_scope(quiz=job.quiz, latest_only=latest)
    if job.question_id is not None:
        scope = scope.filter(answers__question_id=job.question_id).distinct()
    return scope


def _queue_compute(job_id: int) -> bool:
    from teaching.tasks import regrade_compute_task

    return enqueue(regrade_compute_task, job_id, what=f"regrade {job_id}")


def _queue_apply(job_id: int) -> bool:
    from teaching.tasks import regrade_apply_task

    return enqueue(regrade_apply_task, job_id, what=f"applying regrade {job_id}")


def regrade_compute_step(*, job_id: int, runner: Runner | None = None) -> bool:
    """Grade the job's next batch again; True while there is more (the task queues itself)."""
    job = RegradeJob.objects.select_related("quiz", "exercise").get(pk=job_id)
    if job.status != RegradeJob.Status.COMPUTING:
        return False
    if _versions_now(job) != job.versions:  # edited during the dry run: its results mix keys
        _outdated(job)
        return False
    scope = _scope(job).filter(pk__gt=job.cursor).order_by("pk")
    batch: list[Any]
    if job.exercise is not None:
        candidates = list(scope.select_related("exercise")[:CODE_BATCH])
        changes, unchanged, not_run, batch = _code_changes(job, candidates, runner)
    else:
        attempts = list(scope.select_related("quiz").prefetch_related("answers")[:QUIZ_BATCH])
        changes, not_run, batch = _quiz_changes(job, attempts), [], attempts
        unchanged = len(batch) - len(changes)
    with transaction.atomic():
        locked = RegradeJob.objects.select_for_update().get(pk=job_id)
        if locked.status != RegradeJob.Status.COMPUTING or locked.cursor != job.cursor:
            return False  # cancelled, or another delivery of this task did the batch
        GradeChange.objects.bulk_create(changes)
        locked.computed += len(batch)
        locked.unchanged += unchanged
        locked.not_run = [*locked.not_run, *not_run]
        if batch:
            locked.cursor = batch[-1].pk
        else:
            locked.status = RegradeJob.Status.READY
            locked.computed_at = timezone.now()
            locked.total = locked.computed  # (work graded during the run joined it)
        locked.save()
    return bool(batch)


def _quiz_changes(job: RegradeJob, attempts: list[Attempt]) -> list[GradeChange]:
    assert job.quiz is not None
    questions = list(job.quiz.questions.all())
    results = attempts_regrade(attempts=attempts, questions=questions, question_id=job.question_id)
    return [_change(job, r, attempt_id=r.attempt_id) for r in results if r.changed]


def _change(
    job: RegradeJob, result: AttemptRegrade | SubmissionRegrade, **work: int
) -> GradeChange:
    return GradeChange(
        job=job, learner_id=result.learner_id, old_score=result.old_score,
        new_score=result.new_score, old_passed=result.old_passed, new_passed=result.new_passed,
        detail=result.detail(), **work,
    )  # fmt: skip


def _code_changes(
    job: RegradeJob, submissions: list[Submission], runner: Runner | None
) -> tuple[list[GradeChange], int, list[int], list[Submission]]:
    """The changes of as many of `submissions` as the task's time allows, and those done."""
    changes: list[GradeChange] = []
    not_run: list[int] = []
    done: list[Submission] = []
    unchanged = 0
    started = time.monotonic()
    budget = settings.TASK_SOFT_TIME_LIMIT - CODE_MARGIN_SECONDS
    for submission in submissions:
        run_for = submission.exercise.wall_seconds + CODE_MARGIN_SECONDS
        if done and time.monotonic() - started + run_for > budget:
            break  # the rest in the next task
        try:
            result = submission_regrade(
                submission=submission, exercise=submission.exercise, runner=runner
            )
        except SoftTimeLimitExceeded:
            raise  # the task ran out of time: this batch again, never "could not run"
        except Exception:  # the sandbox failed: this grade stands, the job says so
            logger.exception("regrade %s: submission %s could not run", job.pk, submission.pk)
            result = None
        done.append(submission)
        if result is None:
            not_run.append(submission.pk)
        elif result.changed:
            changes.append(_change(job, result, submission_id=result.submission_id))
        else:
            unchanged += 1
    return changes, unchanged, not_run, done


def _outdated(job: RegradeJob) -> None:
    running = [RegradeJob.Status.COMPUTING, RegradeJob.Status.READY, RegradeJob.Status.APPLYING]
    RegradeJob.objects.filter(pk=job.pk, status__in=running).update(
        status=RegradeJob.Status.OUTDATED,
        error=_("The key or the tests changed after this dry run: start a new regrade."),
    )


def regrade_apply(*, job: RegradeJob, by: User) -> RegradeJob:
    """Write the dry run's changes (queued, batch by batch)."""
    if not teaches(by, job.course_id):
        raise RegradeForbidden(_("Only the course's instructors can regrade."))
    if job.status == RegradeJob.Status.READY and _versions_now(job) != job.versions:
        _outdated(job)
    with transaction.atomic():
        locked = RegradeJob.objects.select_for_update().get(pk=job.pk)
        if locked.status == RegradeJob.Status.OUTDATED:
            raise RegradeError(locked.error)
        if locked.status != RegradeJob.Status.READY:
            raise RegradeError(
                _("Only a finished dry run can be applied (this one is: %(status)s).")
                % {"status": locked.get_status_display()}
            )
        locked.status = RegradeJob.Status.APPLYING
        locked.applied_by = by
        locked.save(update_fields=["status", "applied_by"])
        transaction.on_commit(lambda: _queue_apply(locked.pk))
    return locked


def regrade_apply_step(*, job_id: int) -> bool:
    """Apply the next batch of the job's changes; True while there is more."""
    job = RegradeJob.objects.get(pk=job_id)
    if job.status != RegradeJob.Status.APPLYING:
        return False
    if _versions_now(job) != job.versions:  # edited while applying: stop where it is
        _outdated(job)
        return False
    pending = list(
        job.changes.filter(status=GradeChange.Status.PENDING).order_by("pk")[:APPLY_BATCH]
    )
    for change in pending:
        with transaction.atomic():
            # (one transaction each: a stale one never rolls back the others)
            if change.attempt_id is not None:
                done = attempt_regrade_apply(
                    attempt_id=change.attempt_id, old_score=change.old_score,
                    old_passed=change.old_passed, detail=change.detail,
                )  # fmt: skip
            else:
                assert change.submission_id is not None
                done = submission_regrade_apply(
                    submission_id=change.submission_id, old_score=change.old_score,
                    old_passed=change.old_passed, detail=change.detail,
                )  # fmt: skip
            # (only a pending row: a second delivery of this task never rewrites history)
            GradeChange.objects.filter(pk=change.pk, status=GradeChange.Status.PENDING).update(
                status=GradeChange.Status.APPLIED if done else GradeChange.Status.STALE,
                applied_at=timezone.now() if done else None,
            )
    if pending:
        RegradeJob.objects.filter(pk=job.pk).update(updated_at=timezone.now())  # (moving)
        return True
    _versions_stamp(job)
    RegradeJob.objects.filter(pk=job.pk, status=RegradeJob.Status.APPLYING).update(
        status=RegradeJob.Status.APPLIED, applied_at=timezone.now()
    )
    return False


def _versions_stamp(job: RegradeJob) -> None:
    """The unchanged grades in scope were graded against the new version too: they say so."""
    scope = _scope(job).filter(pk__lte=job.cursor)
    if job.exercise_id is not None:
        scope.exclude(pk__in=job.not_run).update(tests_version=job.versions["tests"])
        return
    keys = [int(q) for q in job.versions if q.isdigit()]
    questions = keys if job.question_id is None else [job.question_id]
    for question_id in questions:
        Answer.objects.filter(
            attempt__in=scope.values("pk"), question_id=question_id, graded_by__isnull=True
        ).exclude(question__type="essay").update(key_version=job.versions[str(question_id)])


def job_summary(job: RegradeJob) -> dict[str, Any]:
    """The numbers an instructor reads before applying (one aggregate query)."""
    numbers = job.changes.aggregate(
        changes=Count("pk"),
        pass_to_fail=Count("pk", filter=Q(old_passed=True, new_passed=False)),
        fail_to_pass=Count("pk", filter=Q(old_passed=False, new_passed=True)),
        applied=Count("pk", filter=Q(status=GradeChange.Status.APPLIED)),
        stale=Count("pk", filter=Q(status=GradeChange.Status.STALE)),
        new=Sum("new_score"),
        old=Sum("old_score"),
    )
    return {
        "total": job.total, "computed": job.computed, "changes": numbers["changes"],
        "unchanged": job.unchanged, "not_run": len(job.not_run),
        "pass_to_fail": numbers["pass_to_fail"], "fail_to_pass": numbers["fail_to_pass"],
        "applied": numbers["applied"], "stale": numbers["stale"],
        "score_delta": str((numbers["new"] or Decimal(0)) - (numbers["old"] or Decimal(0))),
    }  # fmt: skip


def regrades_resume_stalled(*, now: datetime | None = None) -> int:
    """The sweep: a job whose next step was never queued (the broker was down) or was lost
    with its worker moves again. Queued again when it has not moved for two task lifetimes."""
    stalled = RegradeJob.objects.filter(
        status__in=[RegradeJob.Status.COMPUTING, RegradeJob.Status.APPLYING],
        updated_at__lt=(now or timezone.now()) - timedelta(seconds=2 * settings.TASK_TIME_LIMIT),
    )
    count = 0
    for job in stalled:
        queue = _queue_compute if job.status == RegradeJob.Status.COMPUTING else _queue_apply
        RegradeJob.objects.filter(pk=job.pk).update(updated_at=timezone.now())
        count += bool(queue(job.pk))
    return count


def regrade_failed(*, job_id: int, error: str) -> None:
    """A step failed for a reason that would fail it again: the job says why and stops."""
    RegradeJob.objects.filter(
        pk=job_id, status__in=[RegradeJob.Status.COMPUTING, RegradeJob.Status.APPLYING]
    ).update(status=RegradeJob.Status.FAILED, error=storable_text(error, limit=4000))
