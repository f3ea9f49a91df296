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

from django.contrib.auth.models import User
from django.db.models import Q

from courses.models import Course, Section
from grader.models import CodingExercise
from progress.models import ItemCompletion, SectionProgress
from quizzes.models import Quiz

BATCH = 500


@dataclass(frozen=True)
class Column:
    title: str
    section_id: int
    quiz_id: int | None = None
    exercise_id: int | None = None


class _Line:
    """A file-like object whose write returns the line (csv.writer writes one row at a time)."""

    def write(self, value: str) -> str:
        return value


def gradebook_columns(*, course: Course) -> list[Column]:
    sections = list(
        Section.objects.filter(part__course=course)
        .exclude(status=Section.Status.ARCHIVED)
        .order_by("part__order", "part__number", "order", "id")
    )
    ids = [s.pk for s in sections]
    quizzes: dict[int, list[Quiz]] = {}
    for quiz in Quiz.objects.filter(section_id__in=ids).order_by("order", "id"):
        quizzes.setdefault(quiz.section_id, []).append(quiz)
    exercises: dict[int, list[CodingExercise]] = {}
    for exercise in CodingExercise.objects.filter(section_id__in=ids, is_published=True).order_by(
        "order", "id"
    ):
        exercises.setdefault(exercise.section_id, []).append(exercise)
    columns = []
    for section in sections:
        for quiz in quizzes.get(section.pk, []):
            columns.append(Column(f"{section.number} quiz: {quiz.title} (%)", section.pk, quiz.pk))
        for exercise in exercises.get(section.pk, []):
            columns.append(
                Column(
                    f"{section.number} exercise: {exercise.title} (points)",
                    section.pk,
                    exercise_id=exercise.pk,
                )
            )
        columns.append(Column(f"{section.number} completed", section.pk))
    return columns


def _learner_batches(course: Course) -> Iterator[list[tuple[int, str]]]:
    learners = (
        User.objects.filter(
            Q(enrollments__course=course) | Q(section_progress__section__part__course=course)
        )
        .distinct()
        .order_by("id")
    )
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
        items: dict[tuple[int, str, int], Any] = {}
        for learner_id, quiz_id, exercise_id, score in ItemCompletion.objects.filter(
            learner_id__in=ids, section_id__in=section_ids
        ).values_list("learner_id", "quiz_id", "exercise_id", "score"):
            if quiz_id is not None:
                items[(learner_id, "q", quiz_id)] = score
            else:
                items[(learner_id, "e", exercise_id)] = score
        completed = set(
            SectionProgress.objects.filter(
                learner_id__in=ids, section_id__in=section_ids, completed=True
            ).values_list("learner_id", "section_id")
        )
        for learner_id, username in batch:
            row = [str(learner_id), _text(username)]
            for column in columns:
                if column.quiz_id is not None:
                    row.append(_cell(items.get((learner_id, "q", column.quiz_id))))
                elif column.exercise_id is not None:
                    row.append(_cell(items.get((learner_id, "e", column.exercise_id))))
                else:
                    row.append("yes" if (learner_id, column.section_id) in completed else "no")
            yield writer.writerow(row)
