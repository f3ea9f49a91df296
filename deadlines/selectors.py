"""Reads of dates: an item's schedule as a learner has it (defaults and extensions resolved)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import Q, QuerySet

from deadlines import policy
from deadlines.models import CourseGroup, Extension, ResultsRelease
from deadlines.presentation import late_policy_words, refusal_message, time_left


# A quiz or a coding exercise as deadlines sees it. Deadlines sits below courses and the
# grading apps and never imports them: it reads the item, its section, part and course
# through these few members, as its models name them by string.
class _Level(Protocol):
    def schedule_layer(self) -> policy.ScheduleLayer: ...


class _Part(_Level, Protocol):
    @property
    def course(self) -> _Level: ...

    @property
    def course_id(self) -> int: ...


class _Section(_Level, Protocol):
    @property
    def part(self) -> _Part: ...


class ScheduledItem(_Level, Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def section(self) -> _Section: ...


def item_field(item: ScheduledItem) -> str:
    """ "quiz" or "exercise": the foreign key of an extension or a release that names the
    item (its model as Django resolved the models' strings)."""
    return next(
        name
        for name in ("quiz", "exercise")
        if isinstance(item, Extension._meta.get_field(name).related_model)  # type: ignore[arg-type]
    )


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


def item_schedule_base(*, item: ScheduledItem) -> policy.Schedule:
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


def _covering(item: ScheduledItem) -> Q:
    on_item = Q(**{f"{item_field(item)}_id": item.pk})
    return on_item | Q(quiz__isnull=True, exercise__isnull=True)


def item_extensions(*, item: ScheduledItem, learner_id: int) -> QuerySet[Extension]:
    """A learner's grants that cover the item (on it, or on its whole course): their own and
    their groups'."""
    return (
        Extension.objects.filter(_covering(item), course_id=item.section.part.course_id)
        .filter(Q(learner_id=learner_id) | Q(group__members__id=learner_id))
        .select_related("quiz", "exercise", "group")
        .distinct()
    )


def item_schedule(*, item: ScheduledItem, learner_id: int | None) -> LearnerSchedule:
    """The item's dates for the learner: the most generous of their own grants and their
    groups' (policy.grants_most_generous)."""
    base = item_schedule_base(item=item)
    extensions = (
        tuple(item_extensions(item=item, learner_id=learner_id)) if learner_id is not None else ()
    )
    by_group: dict[int, list[policy.Grant]] = {}
    for extension in extensions:
        if extension.group_id is not None:
            by_group.setdefault(extension.group_id, []).append(extension.grant())
    grants = policy.grants_most_generous(
        [extension.grant() for extension in extensions if extension.group_id is None],
        list(by_group.values()),
    )
    return LearnerSchedule(
        base=base,
        schedule=policy.schedule_extend(base, grants),
        time_multiplier=policy.time_multiplier(grants),
        extra_attempts=policy.extra_attempts(grants),
        extensions=extensions,
    )


def learner_extensions(*, learner_id: int, course_id: int) -> QuerySet[Extension]:
    """Every grant a learner has in a course, their own and their groups', oldest first
    (shown to that learner only)."""
    return (
        Extension.objects.filter(course_id=course_id)
        .filter(Q(learner_id=learner_id) | Q(group__members__id=learner_id))
        .select_related("quiz", "exercise", "group", "granted_by")
        .distinct()
    )


def course_extensions(*, course_id: int) -> QuerySet[Extension]:
    """Every grant in a course (the instructors' page), newest first."""
    return (
        Extension.objects.filter(course_id=course_id)
        .select_related("learner", "group", "quiz", "exercise", "granted_by")
        .order_by("-granted_at", "-id")
    )


def course_groups(*, course_id: int) -> QuerySet[CourseGroup]:
    """The course's groups of learners with their members, by name."""
    return CourseGroup.objects.filter(course_id=course_id).prefetch_related("members")


def course_releases(*, course_id: int) -> QuerySet[ResultsRelease]:
    """Every release of exam-mode results in a course, oldest first."""
    return ResultsRelease.objects.filter(
        Q(quiz__section__part__course_id=course_id)
        | Q(exercise__section__part__course_id=course_id)
    ).select_related("released_by")


@dataclass(frozen=True)
class ResultsGate:
    """When learners of an item see its results: `held` (exam mode, not released: "submitted"
    only), and `answers_from`, the date feedback shown "after the due date" opens for every
    learner (the latest due date granted for the item; None: no due date)."""

    held: bool
    answers_from: datetime | None
    exam_mode: bool = False
    release_at: datetime | None = None
    released: ResultsRelease | None = None


def item_results_gate(*, item: ScheduledItem, now: datetime) -> ResultsGate:
    """The item's gate for its learners (instructors see everything, always)."""
    return results_gates(items=[item], now=now)[item.pk]


def results_gates(*, items: Sequence[ScheduledItem], now: datetime) -> dict[int, ResultsGate]:
    """The gates of several quizzes or several exercises (one kind), by id: at most two
    queries whatever their number (the section page), none for items neither in exam mode nor
    with a due date, with each item's section, part and course loaded."""
    if not items:
        return {}
    ids = [item.pk for item in items]
    column = f"{item_field(items[0])}_id"
    bases = {item.pk: item_schedule_base(item=item) for item in items}
    released: dict[int, ResultsRelease] = {}
    # Releases matter to items in exam mode only (a grading of any other asks no more).
    in_exam_mode = [item_id for item_id, base in bases.items() if base.exam_mode]
    releases = ResultsRelease.objects.filter(**{f"{column}__in": in_exam_mode})
    for release in releases.select_related("released_by") if in_exam_mode else ():
        released[getattr(release, column)] = release  # (oldest first: the latest stays)
    later: list[tuple[int | None, int, datetime]] = []  # (item id or None: course, course, due)
    if any(base.due_at is not None for base in bases.values()):
        later = [
            (item_id, course_id, due_at)
            for item_id, course_id, due_at in Extension.objects.filter(
                Q(**{f"{column}__in": ids}) | Q(quiz__isnull=True, exercise__isnull=True),
                course_id__in={item.section.part.course_id for item in items},
                due_at__isnull=False,
            ).values_list(column, "course_id", "due_at")
        ]
    gates = {}
    for item in items:
        base, release_of_item = bases[item.pk], released.get(item.pk)
        course_id = item.section.part.course_id
        extended = [
            due_at
            for item_id, course, due_at in later
            if course == course_id and item_id in (None, item.pk)
        ]
        gates[item.pk] = ResultsGate(
            held=policy.results_held(
                base,
                released_at=release_of_item.released_at if release_of_item else None,
                now=now,
            ),
            answers_from=policy.answers_open_at(due_at=base.due_at, extended_due=extended),
            exam_mode=base.exam_mode,
            release_at=base.release_at,
            released=release_of_item,
        )
    return gates


@dataclass(frozen=True)
class GrantView:
    """One of the learner's own extensions, as shown to them (and to the course's teachers)."""

    granted_at: datetime
    item_title: str  # "" for the whole course
    group_name: str  # "" for the learner's own grant; else the group's it came with
    due_at: datetime | None
    cutoff_at: datetime | None
    time_multiplier: Decimal
    extra_attempts: int
    reason: str


@dataclass(frozen=True)
class ItemDates:
    """An item's dates as its learner sees them (their extensions counted), with the words."""

    opens_at: datetime | None
    due_at: datetime | None
    cutoff_at: datetime | None
    base_due_at: datetime | None  # the item's own, before the learner's extensions
    late: policy.LatePolicy
    time_multiplier: Decimal
    extra_attempts: int
    grants: tuple[GrantView, ...]
    now: datetime

    @property
    def any(self) -> bool:
        return bool(self.opens_at or self.due_at or self.cutoff_at or self.grants)

    @property
    def due_left(self) -> str:
        return time_left(self.due_at, now=self.now) if self.due_at else ""

    @property
    def overdue(self) -> bool:
        return bool(self.due_at and self.now > self.due_at)

    @property
    def extended(self) -> bool:
        return self.due_at != self.base_due_at

    @property
    def late_words(self) -> str:
        return late_policy_words(self.late) if self.due_at else ""

    @property
    def refused(self) -> str:
        """Why nothing is accepted now ("" when it is)."""
        schedule = policy.Schedule(self.opens_at, self.due_at, self.cutoff_at, self.late)
        reason = policy.refusal(schedule, at=self.now)
        return refusal_message(reason, schedule) if reason else ""


def _grant_view(extension: Extension) -> GrantView:
    item = extension.quiz or extension.exercise
    return GrantView(
        granted_at=extension.granted_at, item_title=item.title if item else "",
        group_name=extension.group.name if extension.group else "",
        due_at=extension.due_at, cutoff_at=extension.cutoff_at,
        time_multiplier=extension.time_multiplier, extra_attempts=extension.extra_attempts,
        reason=extension.reason,
    )  # fmt: skip


def item_dates(*, item: ScheduledItem, learner_id: int, now: datetime) -> ItemDates:
    """The dates block of a quiz's or an exercise's page: for its learner only (their own
    extensions, nobody else's)."""
    mine = item_schedule(item=item, learner_id=learner_id)
    return ItemDates(
        opens_at=mine.schedule.opens_at, due_at=mine.schedule.due_at,
        cutoff_at=mine.schedule.cutoff_at, base_due_at=mine.base.due_at, late=mine.schedule.late,
        time_multiplier=mine.time_multiplier, extra_attempts=mine.extra_attempts,
        grants=tuple(_grant_view(extension) for extension in mine.extensions), now=now,
    )  # fmt: skip
