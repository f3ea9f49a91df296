"""The gradebook of a course as CSV, streamed: one row per learner, a column per item.

Columns: learner id, username, then for each section in course order its
quizzes (percent by the quiz's score policy), its published exercises (best
points), each item followed by whether the work that counts was late ("late": made after
the learner's own due date), and whether the section is complete. The cells are the gradebook's
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
    head = ["learner_id", "username"]
    for column in columns:
        head.append(_text(column.title))
        if column.item is not None:
            head.append(_text(f"{column.title}: late"))
    yield writer.writerow(head)
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
                    line.append("late" if got.mark(column.item).late else "")
                else:
                    line.append("yes" if got.cell(column.section_id).completed else "no")
            yield writer.writerow(line)
