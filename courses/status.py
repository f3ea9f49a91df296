"""Completion figures shared by the part status and learner progress.

Pure functions (no database): "29% (2 из 7 разделов)" is computed here only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def completion_percent(done: int, total: int) -> int:
    """Whole percent of `done` out of `total`, rounded half up as the course does.

    1/7 -> 14, 2/7 -> 29, 4/7 -> 57, 6/7 -> 86. Two deliberate exceptions to
    plain rounding: an unfinished whole never shows 100% (199/200 -> 99) and a
    started one never shows 0% (1/300 -> 1), so the number never contradicts
    the "N of M" beside it.
    """
    if total < 0 or done < 0 or done > total:
        raise ValueError(f"invalid completion {done} of {total}")
    if total == 0:
        return 0
    percent = (200 * done + total) // (2 * total)  # integer half-up rounding
    if done < total:
        percent = min(percent, 99)
    if done > 0:
        percent = max(percent, 1)
    return percent


@dataclass(frozen=True)
class Completion:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return completion_percent(self.done, self.total)

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.done == self.total

    def count_text(self) -> str:
        """ "2 из 7 разделов" / "2 of 7 sections", plural by the total."""
        return ngettext(
            "%(done)d of %(total)d section", "%(done)d of %(total)d sections", self.total
        ) % {"done": self.done, "total": self.total}

    def summary(self) -> str:
        """ "29% (2 из 7 разделов)"."""
        return f"{self.percent}% ({self.count_text()})"


def part_status_label(completion: Completion) -> str:
    return _("Completed") if completion.is_complete else _("In progress")


def part_status_icon(completion: Completion) -> str:
    return "✅" if completion.is_complete else "🚧"


def part_status_line(completion: Completion) -> str:
    """The README's status line: "🚧 **В разработке** — 29% (2 из 7 разделов)"."""
    return (
        f"{part_status_icon(completion)} **{part_status_label(completion)}**"
        f" — {completion.summary()}"
    )
