"""Completion figures: the percent table, its invariants and the plural of the count."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from courses.status import (
    Completion,
    completion_percent,
    part_status_icon,
    part_status_label,
    part_status_line,
)


@pytest.mark.parametrize(
    ("done", "total", "percent"),
    [
        (1, 7, 14),
        (2, 7, 29),
        (3, 7, 43),
        (4, 7, 57),
        (5, 7, 71),
        (6, 7, 86),
        (7, 7, 100),
        (0, 7, 0),
        (0, 0, 0),
        (1, 8, 13),  # 12.5 rounds half up
        (199, 200, 99),  # unfinished never shows 100%
        (1, 300, 1),  # started never shows 0%
    ],
)
def test_completion_percent(done: int, total: int, percent: int) -> None:
    assert completion_percent(done, total) == percent


@pytest.mark.parametrize(("done", "total"), [(-1, 7), (0, -1), (8, 7), (1, 0)])
def test_completion_percent_rejects_invalid_input(done: int, total: int) -> None:
    with pytest.raises(ValueError, match="invalid completion"):
        completion_percent(done, total)


@st.composite
def done_and_total(draw: st.DrawFn) -> tuple[int, int]:
    total = draw(st.integers(min_value=0, max_value=10_000))
    done = draw(st.integers(min_value=0, max_value=total))
    return done, total


@given(done_and_total())
def test_percent_is_within_bounds_and_100_only_when_done(pair: tuple[int, int]) -> None:
    done, total = pair

    percent = completion_percent(done, total)

    assert 0 <= percent <= 100
    assert (percent == 100) == (done == total > 0)
    assert (percent == 0) == (done == 0)


@given(done_and_total())
def test_percent_is_monotonic_in_done(pair: tuple[int, int]) -> None:
    done, total = pair
    if done == total:
        return

    assert completion_percent(done, total) <= completion_percent(done + 1, total)


def test_completion_summary_and_status_in_english() -> None:
    completion = Completion(done=2, total=7)

    with translation.override("en"):
        assert completion.summary() == "29% (2 of 7 sections)"
        assert part_status_label(completion) == "In progress"
        assert part_status_line(completion) == "🚧 **In progress** — 29% (2 of 7 sections)"


def test_complete_part_is_marked_done() -> None:
    completion = Completion(done=7, total=7)

    with translation.override("en"):
        assert completion.is_complete
        assert part_status_icon(completion) == "✅"
        assert part_status_label(completion) == "Completed"


def test_empty_part_is_not_complete() -> None:
    assert not Completion(done=0, total=0).is_complete


@pytest.mark.parametrize(
    ("done", "total", "text"),
    [(1, 1, "1 of 1 section"), (2, 7, "2 of 7 sections")],
)
def test_count_text_in_english(done: int, total: int, text: str) -> None:
    with translation.override("en"):
        assert Completion(done=done, total=total).count_text() == text


# Needs the Russian catalog (locale/ru), which is built separately: until it
# exists these fail by showing the English text.
@pytest.mark.parametrize(
    ("done", "total", "text"),
    [
        (1, 1, "1 из 1 раздела"),
        (2, 7, "2 из 7 разделов"),
        (1, 21, "1 из 21 раздела"),
        (3, 22, "3 из 22 разделов"),
        (5, 5, "5 из 5 разделов"),
    ],
    ids=["1-of-1", "2-of-7", "1-of-21", "3-of-22", "5-of-5"],
)
def test_count_text_in_russian_uses_the_plural_of_the_total(
    done: int, total: int, text: str
) -> None:
    with translation.override("ru"):
        assert Completion(done=done, total=total).count_text() == text
