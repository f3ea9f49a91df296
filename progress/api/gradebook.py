"""The gradebook of a course as CSV, streamed: one row per learner, a column per item.

Columns: learner id, username, then for each section in course order its
quizzes (percent by the quiz's score policy), its published exercises (best
points) and whether the section is complete. Learners are read in batches by
id, so memory stays flat whatever the number of rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from courses.models import Course
from progress.items import ItemKind, ItemRef, item_kinds
from progress.models import ItemCompletion, SectionProgress
from progress.selectors import gradebook_learners, gradebook_sections

BATCH = 500


@dataclass(frozen=True)
class Column:
    title: str
    section_id: int
    item: ItemRef | None = None  # None: the section's "completed" column


class _Line:
    """A file-like object whose write returns the line (csv.writer writes one row at a time)."""

    def write(self, value: str) -> str:
        return value


def gradebook_columns(*, course: Course) -> list[Column]:
    sections = gradebook_sections(course)
    ids = [s.pk for s in sections]
    # Each kind's items of these sections (quizzes, then published exercises), in order.
    items: dict[int, list[tuple[ItemKind, Any]]] = {}
    for kind in item_kinds():
        item: Any
        for item in (
            kind.model._default_manager.filter(section_id__in=ids, **kind.counted())
            .only("id", "section_id", "title")
            .order_by("order", "id")
        ):
            items.setdefault(item.section_id, []).append((kind, item))
    columns = []
    for section in sections:
        for kind, item in items.get(section.pk, []):
            title = kind.column_title.format(
                section=section.number, kind=kind.name, title=item.title
            )
            columns.append(Column(title, section.pk, ItemRef(kind.name, item.pk)))
        columns.append(Column(f"{section.number} completed", section.pk))
    return columns


def _learner_batches(course: Course) -> Iterator[list[tuple[int, str]]]:
    learners = gradebook_learners(course).order_by("id")
    last = 0
    while True:
        batch = list(learners.filter(id__gt=last).values_list("id", "username")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def gradebook_csv_lines(*, course: Course) -> Iterator[str]:
    columns = gradebook_columns(course=course)
    section_ids = {c.section_id for c in columns}
    writer = csv.writer(_Line())
    yield writer.writerow(["learner_id", "username", *[_text(c.title) for c in columns]])
    for batch in _learner_batches(course):
        ids = [learner_id for learner_id, _name in batch]
        columns_of = [kind.column for kind in item_kinds()]
        scores: dict[tuple[int, ItemRef], Any] = {}
        for learner_id, *refs, score in ItemCompletion.objects.filter(
            learner_id__in=ids, section_id__in=section_ids
        ).values_list("learner_id", *columns_of, "score"):
            for kind, item_id in zip(item_kinds(), refs, strict=True):
                if item_id is not None:
                    scores[(learner_id, ItemRef(kind.name, item_id))] = score
        completed = set(
            SectionProgress.objects.filter(
                learner_id__in=ids, section_id__in=section_ids, completed=True
            ).values_list("learner_id", "section_id")
        )
        for learner_id, username in batch:
            row = [str(learner_id), _text(username)]
            for column in columns:
                if column.item is not None:
                    row.append(_cell(scores.get((learner_id, column.item))))
                else:
                    row.append("yes" if (learner_id, column.section_id) in completed else "no")
            yield writer.writerow(row)
