"""The status line (courses.part_readme.status): found, read and written back."""

from __future__ import annotations

import pytest

from courses.part_readme.status import (
    says_it_is_the_status,
    starts_like_the_status,
    status_match,
    status_rewritten,
)


@pytest.mark.parametrize(
    "line",
    ["🚧 **В разработке** — 29% (2 из 7 разделов)", "1 из 3 разделов (33%)", "**Прогресс:** 1/3"],
)
def test_the_figures_are_read_in_either_order(line):
    match = status_match(line)
    assert match is not None
    assert (match.group("done"), match.group("total")) in {("2", "7"), ("1", "3")}


def test_a_line_is_the_status_when_it_says_so_not_when_it_has_figures():
    assert says_it_is_the_status("**Статус**: 1 из 3")
    assert not says_it_is_the_status("Статус заказа (1/2) в тексте")
    assert starts_like_the_status("🚧 В разработке — 29% (2 из 7 разделов)")
    assert not starts_like_the_status("⏳ 1 из 3 примеров (33%)")


@pytest.mark.parametrize(
    ("line", "done", "total", "written"),
    [
        (
            "🚧 **В разработке** — 29% (2 из 7 разделов)",
            7,
            7,
            "✅ **Завершено** — 100% (7 из 7 разделов)",
        ),
        (
            "🚧 **В разработке** — 29% (2 из 7 разделов)",
            1,
            1,
            "✅ **Завершено** — 100% (1 из 1 раздела)",
        ),
        ("Status: 1/3", 2, 3, "Status: 2/3"),
    ],
)
def test_only_the_figures_label_and_noun_change(line, done, total, written):
    assert status_rewritten(line, done, total) == written
