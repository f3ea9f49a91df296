"""The kinds of item a section holds (quizzes, coding exercises), as progress sees them.

Progress sits below the grading apps: it never imports them. Each grading app registers
its kind here when Django starts (its AppConfig.ready), and passes what it computed as
values (`progress.services.item_record`). Progress counts items, recomputes rows and lists
a section's items through these registrations only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ItemRef:
    """One quiz or exercise: its kind's name and its id."""

    kind: str
    id: int


@dataclass(frozen=True)
class ItemGrade:
    """A learner's standing on an item, recomputed from the grades."""

    learner_id: int
    item_id: int
    section_id: int
    complete: bool
    score: Decimal | None


ITEM_STATE_LABELS = {
    "not_started": _("not started"),
    "in_progress": _("in progress"),
    "passed": _("passed"),
    "failed": _("not passed yet"),
    # Exam mode: handed in; the result is released later (deadlines).
    "submitted": _("submitted"),
}


@dataclass(frozen=True)
class ItemState:
    """A quiz or an exercise of a section as the learner stands on it (the section page)."""

    kind: str  # an ItemKind's name
    item: Any  # the quiz or exercise row
    state: str  # "not_started" | "in_progress" | "passed" | "failed" | "submitted"
    score: Decimal | None = None

    @property
    def state_label(self) -> str:
        return str(ITEM_STATE_LABELS[self.state])

    @property
    def state_icon(self) -> str:
        return {
            "not_started": "○", "in_progress": "◔", "passed": "✓", "failed": "✗", "submitted": "●",
        }[self.state]  # fmt: skip


# The columns of a kind's `work` rows for the gradebook, in this order (the kinds' rows are
# read in one query, a UNION ALL, so every kind gives the same columns).
WORK_COLUMNS = (
    "kind",  # the kind's name
    "learner_id",
    "item_id",
    "seq",  # the order of the learner's work on the item (attempt number, submission id)
    "status",  # the kind's own status of the piece of work
    "waiting",  # waits for a person's grade
    "points",  # as graded (None: not graded)
    "max_points",
    "percent",
    "late",  # handed in after the item's due date
    "rule",  # the item's scoring rule over several pieces of work (a quiz's score policy)
)


@dataclass(frozen=True)
class WorkRow:
    """One attempt or submission, as the gradebook reads it (WORK_COLUMNS)."""

    kind: str
    learner_id: int
    item_id: int
    seq: int
    status: str
    waiting: bool
    points: Decimal | None
    max_points: Decimal | None
    percent: Decimal | None
    late: bool
    rule: str


@dataclass(frozen=True)
class ItemMark:
    """A learner on one item in the gradebook: the points and percent that count under the
    item's scoring rule (None: nothing graded yet), whether that work was late, and whether
    some of the learner's work waits for a person's grade or for the grader."""

    points: Decimal | None = None
    max_points: Decimal | None = None
    percent: Decimal | None = None
    late: bool = False
    waiting: bool = False
    pending: bool = False  # started or being graded, not graded yet
    attempted: bool = False  # any work at all

    @property
    def graded(self) -> bool:
        return self.points is not None


NOT_ATTEMPTED = ItemMark()


@dataclass(frozen=True)
class ItemKind:
    # The ItemCompletion field naming this kind ("quiz", "exercise").
    name: str
    model: type[models.Model]
    # A boolean field of the item that must be true for it to count ("is_published").
    counted_field: str | None
    # Every learner's result on every item of this kind, recomputed from the grades.
    grades: Callable[[], Iterable[ItemGrade]]
    # A section's items of this kind with the learner's state on each, in order.
    states: Callable[..., list[ItemState]]
    # Whether an item of these sections is being changed (an exercise's check in flight).
    busy: Callable[[list[int]], bool] = lambda section_ids: False
    # The gradebook's column for one: "4.2 quiz: Title (%)".
    column_title: str = "{section} {kind}: {title}"
    # The gradebook page's marks: the work of these learners (ids) on the items of these
    # sections (ids), a values_list of WORK_COLUMNS, without ordering (the kinds' querysets
    # are read as one UNION ALL) ...
    work: Callable[[list[int], list[int]], QuerySet[Any]] | None = None
    # ... and what one learner's rows on one item come to, oldest first (pure).
    mark: Callable[[list[WorkRow]], ItemMark] | None = None
    # Recount from the grades every learner with work on one item (its id), each in a short
    # transaction: its exam mode changed or its results were released. How many learners.
    recount: Callable[[int], int] | None = None

    @property
    def column(self) -> str:
        return f"{self.name}_id"

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def counted(self) -> dict[str, bool]:
        """The lookup of items that count (for the item's own queryset)."""
        return {self.counted_field: True} if self.counted_field else {}


_KINDS: dict[str, ItemKind] = {}


def item_kind_register(kind: ItemKind) -> None:
    _KINDS[kind.name] = kind


def learners_with_work(work: QuerySet[Any]) -> list[int]:
    """The learners of some attempts or submissions (an item's), each once."""
    return list(work.values_list("learner_id", flat=True).distinct().order_by("learner_id"))


def item_kinds() -> list[ItemKind]:
    if not _KINDS:
        raise RuntimeError("no item kinds registered: are quizzes and grader installed?")
    return list(_KINDS.values())


def item_kind(name: str) -> ItemKind:
    return _KINDS[name]


def section_items_states(*, learner: Any, section: Any, now: datetime) -> list[ItemState]:
    """The section's items of every kind with the learner's state on each."""
    return [state for kind in item_kinds() for state in kind.states(learner, section, now)]
