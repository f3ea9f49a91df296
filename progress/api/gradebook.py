"""The gradebook of a course as CSV, streamed: one row per learner, a column per item.

Columns: learner id, username, then for each section in course order its
quizzes (percent by the quiz's score policy), its published exercises (best
points) and whether the section is complete; then, after all of those (so the columns
before them stay where they were), one column per item: "late" when the work that counts
was made after the learner's own due date. The cells are the gradebook's
(progress.selectors.gradebook_rows, as on the teaching page); learners are read
in batches by id, so memory stays flat whatever the number of rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from courses.models import Course
from progress.selectors import (
    gradebook_columns,
    gradebook_learner_batches,
    gradebook_rows,
    gradebook_sections,
)

BATCH = 500


class _Line:
    """A file-like object whose write returns the line (csv.writer writes one row at a time)."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def gradebook_csv_lines(*, course: Course) -> Iterator[str]:
    sections = gradebook_sections(course)
    columns = gradebook_columns(sections)
    section_ids = [section.pk for section in sections]
    writer = csv.writer(_Line())
    items = [column.item for column in columns if column.item is not None]
    late_heads = [_text(f"{c.title}: late") for c in columns if c.item is not None]
    yield writer.writerow(["learner_id", "username", *[_text(c.title) for c in columns],
                           *late_heads])  # fmt: skip
    for batch in gradebook_learner_batches(course, size=BATCH):
        rows = gradebook_rows(
            learner_ids=[learner_id for learner_id, _name in batch],
            section_ids=section_ids,
            with_scores=True,
            with_marks=True,
        )
        for learner_id, username in batch:
            got = rows[learner_id]
            line = [str(learner_id), _text(username)]
            for column in columns:
                if column.item is not None:
                    line.append(_cell(got.scores.get(column.item)))
                else:
                    line.append("yes" if got.cell(column.section_id).completed else "no")
            line += ["late" if got.mark(item).late else "" for item in items]
            yield writer.writerow(line)
