"""Dates and late penalties as pure functions: tables, and properties that must always hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deadlines import policy
from deadlines.policy import (
    FIXED,
    MARKED,
    NOT_ACCEPTED,
    PER_DAY,
    PER_HOUR,
    Grant,
    LatePolicy,
    Schedule,
    ScheduleLayer,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


@pytest.mark.parametrize(
    ("late_policy", "late", "penalty"),
    [
        (LatePolicy(PER_DAY, 10), timedelta(0), 0),
        (LatePolicy(PER_DAY, 10), MINUTE, 10),  # a day begun counts
        (LatePolicy(PER_DAY, 10), DAY, 10),
        (LatePolicy(PER_DAY, 10), DAY + MINUTE, 20),
        (LatePolicy(PER_DAY, 10, cap=30), 10 * DAY, 30),
        (LatePolicy(PER_DAY, 40), 5 * DAY, 100),  # never more than everything
        (LatePolicy(PER_HOUR, 5), 150 * MINUTE, 15),
        (LatePolicy(PER_HOUR, 5, cap=20), 30 * HOUR, 20),
        (LatePolicy(FIXED, 25), MINUTE, 25),
        (LatePolicy(FIXED, 25), 30 * DAY, 25),
        (LatePolicy(FIXED, 25), timedelta(0), 0),
        (LatePolicy(MARKED), 3 * DAY, 0),
        (LatePolicy(NOT_ACCEPTED), 3 * DAY, 0),
    ],
)
def test_late_penalty(late_policy: LatePolicy, late: timedelta, penalty: int) -> None:
    assert policy.late_penalty(late_policy, late) == penalty


@pytest.mark.parametrize(
    ("score", "penalty", "kept"),
    [
        ("8.00", 10, "7.20"),
        ("10.00", 0, "10.00"),
        ("10.00", 100, "0.00"),
        ("6.67", 15, "5.67"),  # 5.6695 rounds half up
        ("0.00", 50, "0.00"),
    ],
)
def test_score_penalised(score: str, penalty: int, kept: str) -> None:
    assert policy.score_penalised(Decimal(score), penalty) == Decimal(kept)


@pytest.mark.parametrize(
    ("schedule", "at", "refused"),
    [
        (Schedule(opens_at=T0), T0 - MINUTE, policy.NOT_OPEN),
        (Schedule(opens_at=T0), T0, None),
        (Schedule(due_at=T0, cutoff_at=T0 + DAY), T0 + HOUR, None),
        (Schedule(due_at=T0, cutoff_at=T0 + DAY), T0 + DAY + MINUTE, policy.PAST_CUTOFF),
        (Schedule(due_at=T0, late=LatePolicy(NOT_ACCEPTED)), T0 + MINUTE, policy.LATE_NOT_ACCEPTED),
        (Schedule(due_at=T0, late=LatePolicy(NOT_ACCEPTED)), T0, None),
        (Schedule(due_at=T0), T0 + 300 * DAY, None),  # no cut-off: late work any time
    ],
)
def test_refusal(schedule: Schedule, at: datetime, refused: str | None) -> None:
    assert policy.refusal(schedule, at=at) == refused


def test_resolve_takes_each_date_from_the_most_specific_level_setting_it() -> None:
    item = ScheduleLayer(due_at=T0 + DAY)
    section = ScheduleLayer(opens_at=T0 - DAY, due_at=T0, late_policy=PER_DAY, late_percent=10)
    course = ScheduleLayer(cutoff_at=T0 + 7 * DAY, late_policy=FIXED, late_percent=50, late_cap=5)
    resolved = policy.schedule_resolve([item, section, ScheduleLayer(), course])
    assert resolved == Schedule(
        opens_at=T0 - DAY, due_at=T0 + DAY, cutoff_at=T0 + 7 * DAY, late=LatePolicy(PER_DAY, 10)
    )


def test_resolve_with_nothing_set_accepts_late_work_marked_late() -> None:
    assert policy.schedule_resolve([ScheduleLayer()] * 4) == Schedule()


def test_an_extension_past_the_cutoff_carries_the_cutoff() -> None:
    extended = policy.schedule_extend(
        Schedule(due_at=T0, cutoff_at=T0 + DAY), [Grant(due_at=T0 + 3 * DAY)]
    )
    assert (extended.due_at, extended.cutoff_at) == (T0 + 3 * DAY, T0 + 3 * DAY)


def test_an_earlier_date_in_a_grant_changes_nothing() -> None:
    schedule = Schedule(due_at=T0, cutoff_at=T0 + DAY)
    assert policy.schedule_extend(schedule, [Grant(due_at=T0 - DAY, cutoff_at=T0)]) == schedule


def test_timed_limit_multiplied() -> None:
    limit = timedelta(minutes=20)
    assert policy.time_limit_for(limit, Decimal("1.5")) == timedelta(minutes=30)
    assert policy.time_limit_for(limit, policy.time_multiplier([])) == limit
    grants = [Grant(time_multiplier=Decimal("1.5")), Grant(time_multiplier=Decimal("1.25"))]
    assert policy.time_multiplier(grants) == Decimal("1.5")
    assert policy.extra_attempts([Grant(extra_attempts=1), Grant(extra_attempts=2)]) == 3


def test_closes_at() -> None:
    assert policy.closes_at(Schedule(due_at=T0)) is None
    assert policy.closes_at(Schedule(due_at=T0, cutoff_at=T0 + DAY)) == T0 + DAY
    assert policy.closes_at(Schedule(due_at=T0, late=LatePolicy(NOT_ACCEPTED))) == T0


def test_work_lateness() -> None:
    schedule = Schedule(due_at=T0, late=LatePolicy(PER_DAY, 10))
    assert policy.work_lateness(schedule, at=T0 - MINUTE) == policy.Lateness(0, 0)
    assert policy.work_lateness(schedule, at=T0 + DAY + HOUR) == policy.Lateness(90000, 20)


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="percent"):
        LatePolicy(PER_DAY, -10)
    with pytest.raises(ValueError, match="unknown"):
        LatePolicy("per_week", 10)


# --- properties ---------------------------------------------------------------------

policies = st.builds(
    LatePolicy,
    st.sampled_from(policy.LATE_POLICIES),
    st.integers(0, 100),
    st.integers(0, 100),
)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))
scores = st.decimals(min_value=0, max_value=10_000, places=2)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
maybe_moments = st.none() | moments
grants = st.lists(
    st.builds(
        Grant,
        due_at=maybe_moments,
        cutoff_at=maybe_moments,
        time_multiplier=st.decimals(min_value=0, max_value=10, places=2),
        extra_attempts=st.integers(-3, 5),
    ),
    max_size=4,
)


@given(policies, spans, scores)
def test_a_penalty_never_raises_a_score_nor_goes_below_zero(
    late_policy: LatePolicy, late: timedelta, score: Decimal
) -> None:
    penalty = policy.late_penalty(late_policy, late)
    assert 0 <= penalty <= 100
    kept = policy.score_penalised(score, penalty)
    assert Decimal(0) <= kept <= score


@given(policies, spans, spans)
def test_later_work_never_costs_less(late_policy: LatePolicy, a: timedelta, b: timedelta) -> None:
    early, late = sorted([a, b])
    assert policy.late_penalty(late_policy, early) <= policy.late_penalty(late_policy, late)


@given(maybe_moments, maybe_moments, maybe_moments, grants)
def test_an_extension_never_shortens_a_date(
    opens: datetime | None, due: datetime | None, cutoff: datetime | None, granted: list[Grant]
) -> None:
    schedule = Schedule(opens_at=opens, due_at=due, cutoff_at=cutoff)
    extended = policy.schedule_extend(schedule, granted)
    assert extended.opens_at == schedule.opens_at
    for before, after in [(due, extended.due_at), (cutoff, extended.cutoff_at)]:
        if before is None:
            assert after is None  # no date (never) stays no date
        else:
            assert after is not None
            assert after >= before
    assert policy.time_multiplier(granted) >= 1
    assert policy.extra_attempts(granted) >= 0
    limit = timedelta(minutes=30)
    assert policy.time_limit_for(limit, policy.time_multiplier(granted)) >= limit


@given(maybe_moments, maybe_moments, grants, moments)
def test_what_is_accepted_stays_accepted_after_an_extension(
    due: datetime | None, cutoff: datetime | None, granted: list[Grant], at: datetime
) -> None:
    schedule = Schedule(due_at=due, cutoff_at=cutoff, late=LatePolicy(PER_DAY, 10))
    if policy.refusal(schedule, at=at) is None:
        assert policy.refusal(policy.schedule_extend(schedule, granted), at=at) is None
