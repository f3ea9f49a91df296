"""Reads of dates: an item's schedule as a learner has it (defaults and extensions resolved)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from deadlines import policy
from deadlines.models import Extension

if TYPE_CHECKING:
    from grader.models import CodingExercise
    from quizzes.models import Quiz


@dataclass(frozen=True)
class LearnerSchedule:
    """An item's dates for one learner: `base` as the item says, `schedule` with the learner's
    extensions (only later), the time-limit multiplier and extra attempts they grant."""

    base: policy.Schedule
    schedule: policy.Schedule
    time_multiplier: Decimal
    extra_attempts: int
    extensions: tuple[Extension, ...]

    @property
    def extended(self) -> bool:
        return bool(self.extensions)


def item_schedule_base(*, item: Quiz | CodingExercise) -> policy.Schedule:
    """The item's own dates, each taken from the item, its section, part or course."""
    section = item.section
    part = section.part
    return policy.schedule_resolve(
        [
            item.schedule_layer(),
            section.schedule_layer(),
            part.schedule_layer(),
            part.course.schedule_layer(),
        ]
    )


def item_extensions(*, item: Quiz | CodingExercise, learner_id: int) -> QuerySet[Extension]:
    """A learner's grants that cover the item: on it, or on its whole course."""
    from quizzes.models import Quiz

    on_item = Q(quiz_id=item.pk) if isinstance(item, Quiz) else Q(exercise_id=item.pk)
    whole_course = Q(quiz__isnull=True, exercise__isnull=True)
    return Extension.objects.filter(
        on_item | whole_course, learner_id=learner_id, course_id=item.section.part.course_id
    ).select_related("granted_by")


def item_schedule(*, item: Quiz | CodingExercise, learner_id: int | None) -> LearnerSchedule:
    base = item_schedule_base(item=item)
    extensions = (
        tuple(item_extensions(item=item, learner_id=learner_id)) if learner_id is not None else ()
    )
    grants = [extension.grant() for extension in extensions]
    return LearnerSchedule(
        base=base,
        schedule=policy.schedule_extend(base, grants),
        time_multiplier=policy.time_multiplier(grants),
        extra_attempts=policy.extra_attempts(grants),
        extensions=extensions,
    )


def learner_extensions(*, learner_id: int, course_id: int) -> QuerySet[Extension]:
    """Every grant a learner has in a course, oldest first (shown to that learner only)."""
    return Extension.objects.filter(learner_id=learner_id, course_id=course_id).select_related(
        "quiz", "exercise", "granted_by"
    )


def course_extensions(*, course_id: int) -> QuerySet[Extension]:
    """Every grant in a course (the instructors' page), newest first."""
    return (
        Extension.objects.filter(course_id=course_id)
        .select_related("learner", "quiz", "exercise", "granted_by")
        .order_by("-granted_at", "-id")
    )
