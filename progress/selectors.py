"""Reads of learner progress: a part's or a course's "N из M разделов" for one learner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Part, Section
from courses.status import Completion
from grader.models import CodingExercise
from progress.models import Enrollment, ItemCompletion, SectionProgress
from quizzes.models import Attempt, Quiz

_COUNTED = ~Q(sections__status=Section.Status.ARCHIVED)


def part_progress_for(*, learner: User, part: Part) -> Completion:
    """Completed sections of the part out of all its (non-archived) sections: one query."""
    return _completion(learner=learner, sections=Section.objects.filter(part=part))


def course_progress_for(*, learner: User, course: Course) -> Completion:
    return _completion(learner=learner, sections=Section.objects.filter(part__course=course))


def _completion(*, learner: User, sections: QuerySet[Section]) -> Completion:
    # EXISTS per section, not a join: a join would read every learner's rows.
    completed = SectionProgress.objects.filter(
        learner=learner, section=OuterRef("pk"), completed=True
    )
    counts = sections.exclude(status=Section.Status.ARCHIVED).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(Exists(completed)))
    )
    return Completion(done=counts["done"], total=counts["total"])


# --- pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PartStanding:
    part: Part
    completion: Completion


@dataclass(frozen=True)
class CourseStanding:
    """An enrolled course on the learner's dashboard, with progress per part."""

    course: Course
    enrolled_at: datetime
    parts: list[PartStanding]

    @property
    def completion(self) -> Completion:
        return Completion(
            done=sum(p.completion.done for p in self.parts),
            total=sum(p.completion.total for p in self.parts),
        )


def dashboard_for(*, learner: User) -> list[CourseStanding]:
    """The learner's enrolled courses with per-part progress: two queries in all."""
    enrollments = list(
        Enrollment.objects.filter(learner=learner)
        .select_related("course")
        .order_by("-created_at", "-id")
    )
    if not enrollments:
        return []
    course_ids = [e.course_id for e in enrollments]
    parts = (
        Part.objects.filter(course_id__in=course_ids)
        .annotate(
            total=Count("sections", filter=_COUNTED),
            # A subquery, not a join: joining every learner's progress rows
            # and filtering afterwards reads the whole course's rows.
            done=Coalesce(
                Subquery(
                    SectionProgress.objects.filter(
                        learner=learner, completed=True, section__part=OuterRef("pk")
                    )
                    .exclude(section__status=Section.Status.ARCHIVED)
                    .values("section__part")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
        )
        .order_by("order", "number")
    )
    by_course: dict[int, list[PartStanding]] = {course_id: [] for course_id in course_ids}
    for part in parts:
        by_course[part.course_id].append(
            PartStanding(part=part, completion=Completion(done=part.done, total=part.total))
        )
    standings = []
    for enrollment in enrollments:
        for standing in by_course[enrollment.course_id]:
            standing.part.course = enrollment.course  # loaded already: no query per URL
        standings.append(
            CourseStanding(
                course=enrollment.course,
                enrolled_at=enrollment.created_at,
                parts=by_course[enrollment.course_id],
            )
        )
    return standings


def is_enrolled(*, learner: User | AnonymousUser, course: Course) -> bool:
    if not learner.is_authenticated:
        return False
    return Enrollment.objects.filter(learner=learner, course=course).exists()


def section_progress_map(
    *, learner: User | AnonymousUser, section_ids: list[int]
) -> dict[int, SectionProgress]:
    """The learner's progress rows for these sections (absent: not started)."""
    if not learner.is_authenticated or not section_ids:
        return {}
    rows = SectionProgress.objects.filter(learner=learner, section_id__in=section_ids)
    return {row.section_id: row for row in rows}


@dataclass(frozen=True)
class ItemState:
    """A quiz or an exercise of a section as the learner stands on it."""

    kind: str  # "quiz" | "exercise"
    item: Quiz | CodingExercise
    state: str  # "not_started" | "in_progress" | "passed" | "failed"
    score: Decimal | None = None

    @property
    def state_label(self) -> str:
        return str(ITEM_STATE_LABELS[self.state])

    @property
    def state_icon(self) -> str:
        return {"not_started": "○", "in_progress": "◔", "passed": "✓", "failed": "✗"}[self.state]


ITEM_STATE_LABELS = {
    "not_started": _("not started"),
    "in_progress": _("in progress"),
    "passed": _("passed"),
    "failed": _("not passed yet"),
}


def _quizzes_with_states(
    *, learner: User | AnonymousUser, section: Section
) -> list[tuple[Quiz, str, Decimal | None]]:
    """The section's quizzes, each with the learner's state and policy score %: one query.

    The state comes from subqueries on the learner's rows (unique or indexed by
    learner and quiz) rather than from two more queries for attempts and items.
    """
    quizzes = Quiz.objects.filter(section=section).order_by("order", "id")
    if not learner.is_authenticated:
        return [(quiz, "not_started", None) for quiz in quizzes]
    item = ItemCompletion.objects.filter(learner=learner, quiz=OuterRef("pk"))
    mine = Attempt.objects.filter(learner=learner, quiz=OuterRef("pk"))
    rows = quizzes.annotate(
        item_complete=Subquery(item.values("complete")[:1]),
        item_score=Subquery(item.values("score")[:1]),
        pending=Exists(
            mine.filter(status__in=[Attempt.Status.IN_PROGRESS, Attempt.Status.SUBMITTED])
        ),
        graded=Exists(mine.filter(status=Attempt.Status.GRADED)),
    )
    result: list[tuple[Quiz, str, Decimal | None]] = []
    for quiz in rows:
        if quiz.item_complete:
            state = "passed"
        elif quiz.pending:
            state = "in_progress"
        elif quiz.graded:
            state = "failed"
        else:
            state = "not_started"
        result.append((quiz, state, quiz.item_score))
    return result


def _score_hidden(quiz: Quiz, now: datetime) -> bool:
    return (
        quiz.feedback_policy == Quiz.FeedbackPolicy.AFTER_DUE
        and quiz.due_at is not None
        and now < quiz.due_at
    )


def section_items_for(*, learner: User | AnonymousUser, section: Section) -> list[ItemState]:
    """The section's quizzes and published exercises with the learner's state on each."""
    from grader.selectors import exercise_states_for

    quizzes = _quizzes_with_states(learner=learner, section=section)
    exercises = list(
        CodingExercise.objects.filter(section=section, is_published=True)
        .only("id", "section_id", "title", "language", "order", "points")
        .order_by("order", "id")
    )
    exercise_states = (
        exercise_states_for(learner=learner, section_ids=[section.pk])
        if learner.is_authenticated and exercises
        else {}
    )
    now = timezone.now()
    items = [
        # Under `after_due` the score waits for the due date, as on the quiz's own pages.
        ItemState("quiz", quiz, state, None if _score_hidden(quiz, now) else score)
        for quiz, state, score in quizzes
    ]
    items += [
        ItemState("exercise", exercise, exercise_states.get(exercise.pk, "not_started"))
        for exercise in exercises
    ]
    return items


@dataclass(frozen=True)
class PartLearnerStanding:
    """The learner's progress in a part, with each section's state."""

    completion: Completion
    section_states: dict[int, str]  # section id -> "not_started" | "in_progress" | "completed"


def part_standing_for(
    *, learner: User | AnonymousUser, part: Part, sections: list[Section]
) -> PartLearnerStanding | None:
    """From the part's sections (already loaded): one query, none for a visitor."""
    if not isinstance(learner, User):
        return None
    rows = section_progress_map(learner=learner, section_ids=[s.pk for s in sections])
    states = {}
    for section in sections:
        row = rows.get(section.pk)
        if row is not None and row.completed:
            states[section.pk] = "completed"
        elif row is not None and (row.items_complete or row.material_read_at):
            states[section.pk] = "in_progress"
        else:
            states[section.pk] = "not_started"
    done = sum(1 for state in states.values() if state == "completed")
    return PartLearnerStanding(
        completion=Completion(done=done, total=len(sections)), section_states=states
    )
