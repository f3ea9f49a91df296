"""Exam mode, feedback "after the due date" with extensions, and group grants, as pure
functions: tables, and properties that must always hold (issue 23, items 2, 4 and groups)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deadlines import policy
from deadlines.policy import (
    RESULTS_ON_RELEASE,
    RESULTS_SHOWN,
    Grant,
    Schedule,
    ScheduleLayer,
)
from tests.deadlines.test_policy import grants, maybe_moments, moments

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("layers", "exam", "release_at"),
    [
        ([], False, None),
        ([ScheduleLayer(results_policy=RESULTS_ON_RELEASE)], True, None),
        # the section says exam mode, the item says nothing: the section's
        (
            [
                ScheduleLayer(),
                ScheduleLayer(results_policy=RESULTS_ON_RELEASE, results_release_at=T0),
            ],
            True,
            T0,
        ),
        # the item shows its results though its course is in exam mode
        (
            [
                ScheduleLayer(results_policy=RESULTS_SHOWN),
                ScheduleLayer(),
                ScheduleLayer(),
                ScheduleLayer(results_policy=RESULTS_ON_RELEASE),
            ],
            False,
            None,
        ),
        # the item dates the release of its part's exam mode
        (
            [
                ScheduleLayer(results_release_at=T0),
                ScheduleLayer(),
                ScheduleLayer(results_policy=RESULTS_ON_RELEASE, results_release_at=T0 + DAY),
            ],
            True,
            T0,
        ),
        # a release date with "shown" means nothing
        ([ScheduleLayer(results_policy=RESULTS_SHOWN, results_release_at=T0)], False, None),
    ],
)
def test_exam_mode_comes_from_the_first_level_that_says(
    layers: list[ScheduleLayer], exam: bool, release_at: datetime | None
) -> None:
    schedule = policy.schedule_resolve(layers)
    assert (schedule.exam_mode, schedule.release_at) == (exam, release_at)


@pytest.mark.parametrize(
    ("schedule", "released_at", "now", "held"),
    [
        (Schedule(), None, T0, False),  # not in exam mode
        (Schedule(exam_mode=True), None, T0, True),  # until the instructor releases
        (Schedule(exam_mode=True), T0 - DAY, T0, False),  # released
        (Schedule(exam_mode=True, release_at=T0 + DAY), None, T0, True),  # the date to come
        (Schedule(exam_mode=True, release_at=T0), None, T0, False),  # the date has come
        (Schedule(exam_mode=True, release_at=T0 + DAY), T0, T0, False),  # released early
    ],
)
def test_results_held_table(
    schedule: Schedule, released_at: datetime | None, now: datetime, held: bool
) -> None:
    assert policy.results_held(schedule, released_at=released_at, now=now) is held


@given(maybe_moments, maybe_moments, moments, moments)
def test_results_once_shown_stay_shown(
    release_at: datetime | None, released: datetime | None, a: datetime, b: datetime
) -> None:
    early, late = sorted([a, b])
    schedule = Schedule(exam_mode=True, release_at=release_at)
    if not policy.results_held(schedule, released_at=released, now=early):
        assert not policy.results_held(schedule, released_at=released, now=late)
    # and an instructor's release always shows them
    assert not policy.results_held(schedule, released_at=early, now=early)


@pytest.mark.parametrize(
    ("due_at", "extended", "opens"),
    [
        (None, [T0 + DAY], None),  # no due date: at once (an extension sets none)
        (T0, [], T0),
        (T0, [None, T0 + DAY], T0 + DAY),  # the latest extension of anyone
        (T0, [T0 + DAY, T0 + 3 * DAY, T0 + 2 * DAY], T0 + 3 * DAY),
        (T0, [T0 - DAY], T0),  # (never earlier than the item's own)
    ],
)
def test_answers_open_after_the_latest_due_date_granted(
    due_at: datetime | None, extended: list[datetime | None], opens: datetime | None
) -> None:
    assert policy.answers_open_at(due_at=due_at, extended_due=extended) == opens


@given(maybe_moments, st.lists(grants, max_size=4))
def test_nobody_reads_the_answers_before_their_own_due_date(
    due: datetime | None, learners: list[list[Grant]]
) -> None:
    # Every learner's own due date, with their grants; the answers open after all of them.
    base = Schedule(due_at=due)
    opens = policy.answers_open_at(
        due_at=due, extended_due=[g.due_at for granted in learners for g in granted]
    )
    for granted in learners:
        own = policy.schedule_extend(base, granted).due_at
        if own is not None:
            assert opens is not None
            assert opens >= own


@given(grants, st.lists(grants, max_size=3))
def test_a_learner_gets_the_most_generous_of_their_own_and_their_groups(
    own: list[Grant], groups: list[list[Grant]]
) -> None:
    merged = policy.grants_most_generous(own, groups)
    base = Schedule(due_at=T0, cutoff_at=T0 + DAY)
    combined = policy.schedule_extend(base, merged)
    for source in [own, *groups]:
        alone = policy.schedule_extend(base, source)
        assert combined.due_at is not None
        assert alone.due_at is not None
        assert combined.due_at >= alone.due_at
        assert combined.cutoff_at is not None
        assert alone.cutoff_at is not None
        assert combined.cutoff_at >= alone.cutoff_at
        assert policy.time_multiplier(merged) >= policy.time_multiplier(source)
        assert policy.extra_attempts(merged) >= policy.extra_attempts(source)
    # never more attempts than the most one source gives
    most = max(policy.extra_attempts(source) for source in [own, *groups])
    assert policy.extra_attempts(merged) == most


@pytest.mark.parametrize(
    ("own", "groups", "attempts"),
    [
        ([Grant(extra_attempts=1)], [[Grant(extra_attempts=1)], [Grant(extra_attempts=1)]], 1),
        ([], [[Grant(extra_attempts=2)], [Grant(extra_attempts=1)]], 2),
        ([Grant(extra_attempts=1), Grant(extra_attempts=2)], [[Grant(extra_attempts=2)]], 3),
        ([], [], 0),
    ],
)
def test_extra_attempts_are_the_most_one_source_gives(
    own: list[Grant], groups: list[list[Grant]], attempts: int
) -> None:
    assert policy.extra_attempts(policy.grants_most_generous(own, groups)) == attempts


@pytest.mark.parametrize(
    ("passed", "graded", "held", "complete"),
    [
        (True, True, False, True),
        (False, True, False, False),
        (False, True, True, True),  # handed in, in exam mode: done, passed or not
        (False, False, True, False),  # nothing handed in
        (True, True, True, True),
    ],
)
def test_counts_complete_table(passed: bool, graded: bool, held: bool, complete: bool) -> None:
    assert policy.counts_complete(passed=passed, graded=graded, held=held) is complete


@given(st.booleans(), st.booleans())
def test_progress_in_exam_mode_does_not_depend_on_passing(passed: bool, graded: bool) -> None:
    # What the learner can read off their progress while held is the same passed or not.
    if graded:
        assert policy.counts_complete(passed=passed, graded=True, held=True)
