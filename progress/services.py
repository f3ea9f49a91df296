"""Writes of learner progress: enrolment, item results, section completion, reconciliation.

Grading services call `item_record` inside their grading transaction, so a grade
and the progress it implies commit together. Section rows are recomputed from
item rows under a row lock, so two gradings finishing items of the same section
at the same moment cannot overwrite each other's count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, Subquery
from django.utils import timezone

from courses.models import Course, Section
from grader.models import CodingExercise
from progress.models import Enrollment, ItemCompletion, SectionProgress
from quizzes.models import Quiz

logger = logging.getLogger(__name__)


def enrollment_create(*, learner: User, course: Course) -> Enrollment:
    enrollment, _created = Enrollment.objects.get_or_create(learner=learner, course=course)
    return enrollment


@transaction.atomic(savepoint=False)
def item_record(
    *,
    learner_id: int,
    section_id: int,
    complete: bool,
    score: Decimal | None,
    quiz_id: int | None = None,
    exercise_id: int | None = None,
) -> SectionProgress:
    """Store whether the learner has completed a quiz or an exercise; refresh the section.

    Called inside the grading transaction (savepoint=False: no savepoint round
    trips on the grading's hot path; an error rolls the whole grading back).
    """
    if (quiz_id is None) == (exercise_id is None):
        raise ValueError("an item is a quiz or an exercise")
    key = "quiz" if quiz_id is not None else "exercise"
    # One upsert statement (the partial unique index is the conflict target).
    ItemCompletion.objects.bulk_create(
        [
            ItemCompletion(
                learner_id=learner_id, section_id=section_id, quiz_id=quiz_id,
                exercise_id=exercise_id, complete=complete, score=score,
            )
        ],
        update_conflicts=True,
        unique_fields=["learner", key],
        update_fields=["section", "complete", "score", "updated_at"],
    )  # fmt: skip
    return section_progress_refresh(learner_id=learner_id, section_id=section_id)


@transaction.atomic(savepoint=False)
def section_progress_refresh(
    *, learner_id: int, section_id: int, now: datetime | None = None
) -> SectionProgress:
    """Recompute a learner's section row from the item rows, under its row lock."""
    # The one lock of progress: counting happens after taking it, so a concurrent
    # grading of another item of this section either committed before (and is
    # counted) or waits here and counts ours. (The counts are a separate, later
    # statement on purpose: subqueries inside the locking SELECT would use the
    # snapshot from before the wait.)
    locked = SectionProgress.objects.select_for_update().filter(
        learner_id=learner_id, section_id=section_id
    )
    progress = locked.first()
    if progress is None:
        SectionProgress.objects.bulk_create(
            [SectionProgress(learner_id=learner_id, section_id=section_id)],
            ignore_conflicts=True,
        )
        progress = locked.get()
    published = CodingExercise.objects.filter(section_id=section_id, is_published=True)
    counts = Section.objects.filter(pk=section_id).annotate(
        n_quizzes=Subquery(
            Quiz.objects.filter(section_id=section_id)
            .values("section_id").annotate(n=Count("pk")).values("n")
        ),
        n_exercises=Subquery(
            published.values("section_id").annotate(n=Count("pk")).values("n")
        ),
        n_done=Subquery(
            ItemCompletion.objects.filter(
                Q(quiz__isnull=False) | Q(exercise__is_published=True),
                learner_id=learner_id, section_id=section_id, complete=True,
            ).values("section_id").annotate(n=Count("pk")).values("n")
        ),
    ).values("n_quizzes", "n_exercises", "n_done").get()  # fmt: skip
    total = (counts["n_quizzes"] or 0) + (counts["n_exercises"] or 0)
    # Items of this section only count while they are required (a quiz, or a
    # published exercise).
    complete = counts["n_done"] or 0
    completed = complete == total if total else progress.material_read_at is not None
    changed = (progress.items_complete, progress.items_total, progress.completed) != (
        complete,
        total,
        completed,
    )
    if changed:
        progress.items_complete, progress.items_total = complete, total
        if completed and not progress.completed:
            progress.completed_at = now or timezone.now()
        elif not completed:
            progress.completed_at = None
        progress.completed = completed
        progress.save()
    return progress


@transaction.atomic
def section_mark_read(*, learner: User, section: Section) -> SectionProgress:
    """The learner read the material: this completes a section that has no items."""
    SectionProgress.objects.bulk_create(
        [SectionProgress(learner=learner, section=section)], ignore_conflicts=True
    )
    SectionProgress.objects.filter(
        learner=learner, section=section, material_read_at__isnull=True
    ).update(material_read_at=timezone.now())
    return section_progress_refresh(learner_id=learner.pk, section_id=section.pk)


# --- derived from the grades ----------------------------------------------------------


def quiz_item_from_grades(*, learner_id: int, quiz: Quiz) -> tuple[bool, Decimal | None]:
    """Complete when the quiz's policy score reaches its pass score."""
    from quizzes.models import Attempt
    from quizzes.selectors import quiz_result_from

    percents = list(
        Attempt.objects.filter(learner_id=learner_id, quiz_id=quiz.pk, status="graded")
        .order_by("number")
        .values_list("percent", flat=True)
    )
    result = quiz_result_from(quiz=quiz, percents=[p for p in percents if p is not None])
    return result.passed, result.percent


def exercise_item_from_grades(*, learner_id: int, exercise_id: int) -> tuple[bool, Decimal | None]:
    """Complete when some submission passed; the score is the best one."""
    from grader.models import Submission

    graded = Submission.objects.filter(
        learner_id=learner_id, exercise_id=exercise_id, status="graded"
    )
    passed = graded.filter(verdict="passed").exists()
    best = graded.order_by("-score").values_list("score", flat=True).first()
    return passed, best


def quiz_progress_update(*, learner_id: int, quiz: Quiz) -> SectionProgress:
    complete, score = quiz_item_from_grades(learner_id=learner_id, quiz=quiz)
    return item_record(
        learner_id=learner_id, section_id=quiz.section_id, quiz_id=quiz.pk,
        complete=complete, score=score,
    )  # fmt: skip


def exercise_progress_update(
    *, learner_id: int, exercise_id: int, section_id: int
) -> SectionProgress:
    complete, score = exercise_item_from_grades(learner_id=learner_id, exercise_id=exercise_id)
    return item_record(
        learner_id=learner_id, section_id=section_id, exercise_id=exercise_id,
        complete=complete, score=score,
    )  # fmt: skip


@dataclass(frozen=True)
class Reconciliation:
    items_checked: int
    items_fixed: int
    sections_checked: int
    sections_fixed: int


def progress_reconcile() -> Reconciliation:
    """Recompute every item and section row from the grades; repair and log any drift."""
    from grader.models import Submission
    from quizzes.models import Attempt, Quiz

    items_checked = items_fixed = 0
    pairs = {
        ("quiz", learner, quiz, section)
        for learner, quiz, section in Attempt.objects.filter(status="graded")
        .values_list("learner_id", "quiz_id", "quiz__section_id")
        .distinct()
    } | {
        ("exercise", learner, exercise, section)
        for learner, exercise, section in Submission.objects.filter(status="graded")
        .values_list("learner_id", "exercise_id", "exercise__section_id")
        .distinct()
    }
    sections: set[tuple[int, int]] = set()
    for kind, learner_id, object_id, section_id in sorted(pairs):
        items_checked += 1
        if kind == "quiz":
            complete, score = quiz_item_from_grades(
                learner_id=learner_id, quiz=Quiz.objects.get(pk=object_id)
            )
            key = {"quiz_id": object_id}
        else:
            complete, score = exercise_item_from_grades(
                learner_id=learner_id, exercise_id=object_id
            )
            key = {"exercise_id": object_id}
        stored = ItemCompletion.objects.filter(learner_id=learner_id, **key).first()
        if stored is None or (stored.complete, stored.score) != (complete, score):
            items_fixed += 1
            item_record(
                learner_id=learner_id, section_id=section_id, complete=complete, score=score,
                **key,
            )  # fmt: skip
        sections.add((learner_id, section_id))
    sections |= set(SectionProgress.objects.values_list("learner_id", "section_id"))
    sections_fixed = 0
    for learner_id, section_id in sorted(sections):
        before = (
            SectionProgress.objects.filter(learner_id=learner_id, section_id=section_id)
            .values_list("items_complete", "items_total", "completed")
            .first()
        )
        after = section_progress_refresh(learner_id=learner_id, section_id=section_id)
        if before != (after.items_complete, after.items_total, after.completed):
            sections_fixed += 1
    result = Reconciliation(items_checked, items_fixed, len(sections), sections_fixed)
    if items_fixed or sections_fixed:
        logger.warning("progress reconciliation fixed drift: %s", result)
    else:
        logger.info("progress reconciliation: no drift (%s)", result)
    return result
