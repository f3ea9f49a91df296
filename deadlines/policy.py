"""Dates and late work as pure functions, no Django: what is open, what is late, what it costs.

A quiz or an exercise takes each date and its late policy from the first of itself, its
section, its part and its course that sets it (`schedule_resolve`); a learner's extensions
then only ever move its dates later (`schedule_extend`). The services decide with these,
by the server's clock, when a piece of work arrives; the scoring applies `score_penalised`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

# Late policies (the model's choices carry the same values).
NOT_ACCEPTED = "not_accepted"
PER_DAY = "per_day"
PER_HOUR = "per_hour"
FIXED = "fixed"
MARKED = "marked"  # accepted, no penalty, shown as late
LATE_POLICIES = (NOT_ACCEPTED, PER_DAY, PER_HOUR, FIXED, MARKED)

# When learners see their scores and feedback (the model's choices carry the same values).
RESULTS_SHOWN = "shown"
RESULTS_ON_RELEASE = "on_release"  # exam mode: "submitted" only until released

# Why a piece of work is refused.
NOT_OPEN = "not_open"
PAST_CUTOFF = "past_cutoff"
LATE_NOT_ACCEPTED = "late_not_accepted"


@dataclass(frozen=True)
class LatePolicy:
    kind: str = MARKED
    percent: int = 0  # per day, per hour or fixed
    cap: int = 100  # the most taken off, per day or per hour

    def __post_init__(self) -> None:
        if self.kind not in LATE_POLICIES:
            raise ValueError(f"unknown late policy {self.kind!r}")
        if not 0 <= self.percent <= 100 or not 0 <= self.cap <= 100:
            raise ValueError("a late penalty is a percent between 0 and 100")


@dataclass(frozen=True)
class Schedule:
    """An item's dates (UTC; None: no such date) and its late policy."""

    opens_at: datetime | None = None
    due_at: datetime | None = None
    cutoff_at: datetime | None = None
    late: LatePolicy = LatePolicy()
    exam_mode: bool = False
    release_at: datetime | None = None  # exam mode: when results show without a release


@dataclass(frozen=True)
class ScheduleLayer:
    """What one level (the item, its section, part or course) sets; None: not set there."""

    opens_at: datetime | None = None
    due_at: datetime | None = None
    cutoff_at: datetime | None = None
    late_policy: str = ""  # "": not set here
    late_percent: int = 0
    late_cap: int | None = None
    results_policy: str = ""  # "": not set here
    results_release_at: datetime | None = None


@dataclass(frozen=True)
class Grant:
    """An extension: later dates, a time-limit multiplier, extra attempts."""

    due_at: datetime | None = None
    cutoff_at: datetime | None = None
    time_multiplier: Decimal = Decimal(1)
    extra_attempts: int = 0


def schedule_resolve(layers: Sequence[ScheduleLayer]) -> Schedule:
    """Each date, and the late policy, from the first layer (most specific first) setting it."""

    def first(name: str) -> datetime | None:
        return next((getattr(x, name) for x in layers if getattr(x, name) is not None), None)

    policy = next((x for x in layers if x.late_policy), None)
    late = (
        LatePolicy(
            policy.late_policy,
            policy.late_percent,
            100 if policy.late_cap is None else policy.late_cap,
        )
        if policy
        else LatePolicy()
    )
    # Exam mode from the first level that says shown or held; its release date, like the
    # other dates, from the first that sets one (an item may date the release of the exam
    # mode its section sets).
    results = next((x.results_policy for x in layers if x.results_policy), RESULTS_SHOWN)
    exam = results == RESULTS_ON_RELEASE
    return Schedule(
        first("opens_at"), first("due_at"), first("cutoff_at"), late,
        exam_mode=exam, release_at=first("results_release_at") if exam else None,
    )  # fmt: skip


def _later(date: datetime | None, wanted: datetime | None) -> datetime | None:
    # None is "no such date", i.e. never: an extension never turns it into a date.
    if date is None or wanted is None:
        return date
    return max(date, wanted)


def schedule_extend(schedule: Schedule, grants: Iterable[Grant]) -> Schedule:
    """The schedule with a learner's grants: dates only ever move later."""
    due, cutoff = schedule.due_at, schedule.cutoff_at
    for grant in grants:
        due = _later(due, grant.due_at)
        cutoff = _later(cutoff, grant.cutoff_at)
    # A due date granted past the cut-off carries the cut-off with it.
    cutoff = _later(cutoff, due)
    return replace(schedule, due_at=due, cutoff_at=cutoff)


def grants_most_generous(own: Sequence[Grant], groups: Sequence[Sequence[Grant]]) -> list[Grant]:
    """The grants that apply to a learner: their own, and the grants of each group they are in.
    Dates and multipliers: the latest and largest of all (schedule_extend, time_multiplier).
    Extra attempts: the most any one source gives (the learner's own together, or one group's
    together), never the sum across sources: a learner in two groups with +1 each has +1."""
    sources = [list(own), *[list(group) for group in groups]]
    best = max(sources, key=extra_attempts)
    return [
        *[replace(g, extra_attempts=0) for source in sources for g in source],
        Grant(extra_attempts=extra_attempts(best)),
    ]


def time_multiplier(grants: Iterable[Grant]) -> Decimal:
    """The largest multiplier granted (never below 1: an accommodation never shortens)."""
    return max((g.time_multiplier for g in grants), default=Decimal(1)).max(Decimal(1))


def extra_attempts(grants: Iterable[Grant]) -> int:
    return sum(max(0, g.extra_attempts) for g in grants)


def time_limit_for(limit: timedelta, multiplier: Decimal) -> timedelta:
    """A timed quiz's limit for a learner (whole seconds, never shorter than the limit)."""
    seconds = Decimal(limit.total_seconds()) * max(multiplier, Decimal(1))
    return timedelta(seconds=int(seconds.to_integral_value(rounding=ROUND_CEILING)))


def lateness(*, due_at: datetime | None, at: datetime) -> timedelta:
    """How late work made at `at` is (zero when on time or there is no due date)."""
    if due_at is None or at <= due_at:
        return timedelta(0)
    return at - due_at


def refusal(schedule: Schedule, *, at: datetime) -> str | None:
    """Why work made at `at` is not accepted (NOT_OPEN, PAST_CUTOFF, LATE_NOT_ACCEPTED), or None."""
    if schedule.opens_at is not None and at < schedule.opens_at:
        return NOT_OPEN
    if schedule.cutoff_at is not None and at > schedule.cutoff_at:
        return PAST_CUTOFF
    if schedule.late.kind == NOT_ACCEPTED and lateness(due_at=schedule.due_at, at=at):
        return LATE_NOT_ACCEPTED
    return None


def late_units(late: timedelta, unit: timedelta) -> int:
    """Started days (or hours) of lateness: a minute late is one day late."""
    return math.ceil(late / unit) if late > timedelta(0) else 0


def late_penalty(policy: LatePolicy, late: timedelta) -> int:
    """Percent taken off work this late, 0 to 100."""
    if late <= timedelta(0):
        return 0
    if policy.kind == PER_DAY:
        return min(policy.cap, policy.percent * late_units(late, timedelta(days=1)), 100)
    if policy.kind == PER_HOUR:
        return min(policy.cap, policy.percent * late_units(late, timedelta(hours=1)), 100)
    if policy.kind == FIXED:
        return min(policy.percent, 100)
    return 0


def score_penalised(score: Decimal, penalty: int) -> Decimal:
    """The score less `penalty` percent, rounded half up to the cent, never below zero."""
    penalty = min(max(penalty, 0), 100)
    kept = (score * (100 - penalty) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    if score <= 0:
        return score.quantize(CENT, rounding=ROUND_HALF_UP) if score == 0 else Decimal(0)
    # Never more than the score itself, whatever the rounding of a finer score.
    return min(max(kept, Decimal(0)), score)


def closes_at(schedule: Schedule) -> datetime | None:
    """When nothing more is accepted: the cut-off, or the due date when late work is not."""
    if schedule.late.kind == NOT_ACCEPTED and schedule.due_at is not None:
        if schedule.cutoff_at is None:
            return schedule.due_at
        return min(schedule.due_at, schedule.cutoff_at)
    return schedule.cutoff_at


@dataclass(frozen=True)
class Lateness:
    seconds: int
    penalty: int  # percent

    @property
    def late(self) -> bool:
        return self.seconds > 0


def work_lateness(schedule: Schedule, *, at: datetime) -> Lateness:
    """How late work made at `at` is, and the penalty the late policy takes for it."""
    late = lateness(due_at=schedule.due_at, at=at)
    return Lateness(math.ceil(late.total_seconds()), late_penalty(schedule.late, late))


def results_held(schedule: Schedule, *, released_at: datetime | None, now: datetime) -> bool:
    """Exam mode, not released yet: learners see "submitted" only. Released by the release
    date (when it has passed) or by an instructor's release (`released_at`, any time)."""
    if not schedule.exam_mode or released_at is not None:
        return False
    return schedule.release_at is None or now < schedule.release_at


def answers_open_at(
    *, due_at: datetime | None, extended_due: Iterable[datetime | None]
) -> datetime | None:
    """When feedback shown "after the due date" opens for everyone: the item's due date, or the
    latest due date any learner was granted for it (None: no due date, at once). A learner with
    a later date must not read the answers from one whose date has passed."""
    if due_at is None:
        return None
    return max([due_at, *[date for date in extended_due if date is not None]])


def counts_complete(*, passed: bool, graded: bool, held: bool) -> bool:
    """Whether progress counts a learner's item complete. Passing completes it; in exam mode,
    before the release, handing it in does (graded work, passed or not): progress must not
    tell the learner the result that is held back. After the release, passing again."""
    return passed or (held and graded)
