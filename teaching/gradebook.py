"""The gradebook page: a course's learners x its sections and their items, one page of
learners at a time.

Each section has a cell (items done of its items, completed) and one per quiz and
published exercise: the points and percent that count under the item's scoring rule
(a quiz's score policy; an exercise's best graded submission), a dash when not attempted
(never a 0), "late" when the work that counts came after the learner's due date (their
extensions counted), "to grade" when an attempt waits for a person's grade.

A fixed number of queries whatever the number of learners: the sections, their items (one
per kind), the count of matching learners, one page of them (searched, filtered and sorted
in SQL, with their completed sections counted there), their cells and marks
(progress.selectors.gradebook_rows: two, the CSV shares it), and the course.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from courses.models import Course, Section
from grader.models import Submission
from grader.selectors import SubmissionView, submission_view
from progress.items import NOT_ATTEMPTED, ItemMark
from progress.models import SectionProgress
from progress.selectors import (
    GradebookCell,
    GradebookColumn,
    gradebook_columns,
    gradebook_learners,
    gradebook_rows,
    gradebook_sections,
)
from quizzes.models import Attempt
from quizzes.presentation import question_form_entry, question_text_html
from quizzes.selectors import AttemptView, attempt_questions, attempt_view
from teaching.models import GradeChange

PER_PAGE = 50
SORTS = {
    "name": ("username", "id"),
    "-name": ("-username", "-id"),
    "progress": ("completed_sections", "username", "id"),
    "-progress": ("-completed_sections", "username", "id"),
}


@dataclass(frozen=True)
class Cell:
    section: Section
    standing: GradebookCell  # the gradebook's cell, as the CSV has it
    html: SafeString  # the cell's content, made here: 50 rows x 10-100 sections per page

    @property
    def completed(self) -> bool:
        return self.standing.completed


@dataclass(frozen=True)
class ItemCell:
    """A learner on one quiz or exercise: points and percent under its scoring rule."""

    column: GradebookColumn
    mark: ItemMark
    html: SafeString

    @property
    def css(self) -> str:
        """The cell's classes after "gradebook__item" (each after a space)."""
        if not self.mark.attempted:
            return " gradebook__item--none"
        return " gradebook__item--waiting" if self.mark.waiting else ""


@dataclass(frozen=True)
class Row:
    learner: User
    completed_sections: int
    # Per section: the section's cell, then its items' cells.
    groups: list[tuple[Cell, list[ItemCell]]]
    html: SafeString  # those cells as the table's <td>s

    @property
    def cells(self) -> list[Cell]:
        return [cell for cell, _items in self.groups]


@dataclass(frozen=True)
class ColumnGroup:
    """A section's columns: its own (items done), then one per counted item."""

    section: Section
    items: list[GradebookColumn]

    @property
    def span(self) -> int:
        return 1 + len(self.items)


@dataclass(frozen=True)
class Gradebook:
    sections: list[Section]
    page: Page[Any]
    rows: list[Row]
    learners: int  # matching the search and filter
    parts: list[tuple[int, str]]  # (number, title) of every part, for the part filter
    part: int | None  # the part shown, or None: all
    groups: list[ColumnGroup]


# A course with more sections than this shows one part at a time unless asked for all.
ALL_PARTS_UP_TO = 20


def gradebook_page(
    *,
    course: Course,
    cell_url: str,
    part: int | None = None,
    all_parts: bool = False,
    search: str = "",
    sort: str = "name",
    section_id: int | None = None,
    completed: bool | None = None,
    page: int = 1,
) -> Gradebook:
    """`cell_url` has {learner} and {section} for the ids (one reverse() per page)."""
    every = gradebook_sections(course)
    parts = sorted({(s.part.number, s.part.title) for s in every})
    if part is None and not all_parts and len(every) > ALL_PARTS_UP_TO and parts:
        part = parts[0][0]
    sections = [s for s in every if part is None or s.part.number == part]
    items: dict[int, list[GradebookColumn]] = {s.pk: [] for s in sections}
    for column in gradebook_columns(sections):
        if column.item is not None:
            items[column.section_id].append(column)
    groups = [ColumnGroup(section, items[section.pk]) for section in sections]
    done = (
        SectionProgress.objects.filter(
            learner=OuterRef("pk"), section__in=[s.pk for s in sections], completed=True
        )
        .order_by()
        .values("learner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    learners = gradebook_learners(course).annotate(
        completed_sections=Coalesce(Subquery(done, output_field=IntegerField()), Value(0))
    )
    if search.strip():
        learners = learners.filter(
            Q(username__icontains=search.strip())
            | Q(first_name__icontains=search.strip())
            | Q(last_name__icontains=search.strip())
        )
    if section_id is not None and completed is not None:
        finished = SectionProgress.objects.filter(section_id=section_id, completed=True)
        rows_done = Q(pk__in=finished.values("learner"))
        learners = learners.filter(rows_done if completed else ~rows_done)
    learners = learners.order_by(*SORTS.get(sort, SORTS["name"]))
    paginator = Paginator(learners.only("id", "username", "first_name", "last_name"), PER_PAGE)
    current = paginator.get_page(page)
    people = list(current.object_list)
    book = gradebook_rows(
        learner_ids=[u.pk for u in people], section_ids=[s.pk for s in sections], with_marks=True
    )
    words = _Words()
    rows = []
    for learner in people:
        got = book[learner.pk]
        url = cell_url.format(learner=learner.pk, section="{section}")
        row_groups = []
        for group in groups:
            section_url = url.format(section=group.section.pk)
            cell = _cell(group.section, got.cell(group.section.pk), learner, section_url, words)
            marks = []
            for column in group.items:
                mark = got.mark(column.item) if column.item else NOT_ATTEMPTED
                html = _item_html(mark, url=escape(section_url), words=words)
                marks.append(ItemCell(column, mark, html))
            row_groups.append((cell, marks))
        rows.append(
            Row(learner, learner.completed_sections, row_groups, _row_html(row_groups))  # type: ignore[attr-defined]
        )
    return Gradebook(sections, current, rows, paginator.count, parts, part, groups)


class _Words:
    """The cells' words, translated and escaped once per page (not once per cell: a page has
    50 rows of up to a few hundred cells)."""

    def __init__(self) -> None:
        self.completed = escape(_("completed"))
        self.late = escape(_("late"))
        self.late_long = escape(_("submitted after the due date"))
        self.waiting = escape(_("to grade"))
        self.waiting_long = escape(_("waits for a grade"))
        self.points = _("%(points)s of %(max)s points, %(percent)s%%")
        self.section = _("%(learner)s, section %(number)s")
        self.separator = str(get_format("DECIMAL_SEPARATOR"))
        self.not_started = _hidden("—", _("not started"))
        self.not_attempted = _hidden("—", _("not attempted"))
        self.no_grade = _hidden("…", _("no grade yet"))


def _hidden(shown: str, said: str) -> str:
    """`shown` for the eye, `said` for a screen reader."""
    return (
        f'<span aria-hidden="true">{escape(shown)}</span>'
        f'<span class="visually-hidden">{escape(said)}</span>'
    )


def _number(value: Decimal, words: _Words) -> str:
    """8.00 as "8", 7.50 as "7.5" (with the language's decimal separator)."""
    text = format(value.normalize(), "f")
    return text.replace(".", words.separator)


# The cells are made with f-strings and html.escape rather than format_html: a page of the
# gradebook makes thousands of them (50 learners x 10 sections x their items), and
# format_html's lazy-aware escaping cost most of the page's time (bench/pages.py).


def _cell(
    section: Section,
    row: GradebookCell,
    learner: User,
    url: str,
    words: _Words,
) -> Cell:
    if not row.started:
        return Cell(section, row, mark_safe(words.not_started))  # noqa: S308 - escaped above
    name = words.section % {"learner": learner.username, "number": section.number}
    done = (
        ('<span aria-hidden="true">✓ </span>', f", {words.completed}")
        if row.completed
        else ("", "")
    )
    html = (
        f'<a href="{escape(url)}">{done[0]}{row.items_complete}/{row.items_total}'
        f'<span class="visually-hidden"> {escape(name)}{done[1]}</span></a>'
    )
    return Cell(section, row, mark_safe(html))  # noqa: S308 - every value escaped here


def _item_html(mark: ItemMark, *, url: str, words: _Words) -> SafeString:
    """Points and percent; not attempted is a dash (never a 0); tags for late work and work
    waiting for a grade; each words-only for a screen reader. `url` comes escaped."""
    if not mark.attempted:
        return mark_safe(words.not_attempted)  # noqa: S308 - escaped in _Words
    if mark.points is not None and mark.max_points is not None and mark.percent is not None:
        points, most = _number(mark.points, words), _number(mark.max_points, words)
        percent = _number(mark.percent, words)
        said = words.points % {"points": points, "max": most, "percent": percent}
        shown = _hidden(f"{points}/{most} · {percent}%", said)
    else:
        shown = words.no_grade
    tags = ""
    if mark.late:
        tags += f'<span class="gradebook__tag" title="{words.late_long}">{words.late}</span>'
    if mark.waiting:
        tags += f'<span class="gradebook__tag" title="{words.waiting_long}">{words.waiting}</span>'
    # No "(learner, item)" for a screen reader here: the cell's row and column headers say
    # it (the link's purpose in context), and it would be a fifth of the page's weight.
    html = f'<a href="{url}">{shown}{tags}</a>'
    return mark_safe(html)  # noqa: S308 - every value escaped here or in _Words


def _row_html(groups: list[tuple[Cell, list[ItemCell]]]) -> SafeString:
    """A row's cells after the learner's name and count, as one string (the template would
    take longer over thousands of cells)."""
    parts = []
    for cell, items in groups:
        done = " gradebook__cell--done" if cell.completed else ""
        parts.append(f'<td class="gradebook__cell{done}">{cell.html}</td>')
        parts.extend(f'<td class="gradebook__item{item.css}">{item.html}</td>' for item in items)
    return mark_safe("".join(parts))  # noqa: S308 - cells made (and escaped) above


@dataclass(frozen=True)
class ShownAnswer:
    """One question of an attempt as the learner saw it (quizzes/_question.html, read-only:
    choices in the order shown, typed text, gaps filled in place, pairs as pairs), and its
    grade."""

    entry: dict[str, Any]
    score: Any  # Decimal, or None: not graded (yet)
    points: Any
    feedback: list[str]
    waits: bool  # for a person's grade


@dataclass(frozen=True)
class Regraded:
    """A regrade applied to a piece of work: a line of its grade's history."""

    applied_at: datetime | None
    by: str  # the username of who started the regrade
    old_score: Decimal
    new_score: Decimal
    reason: str


@dataclass(frozen=True)
class AttemptRecord:
    """An attempt as the course's instructors see it (quizzes.selectors.attempt_view), with
    its questions as the learner saw them and the history of its grade."""

    view: AttemptView
    quiz_title: str
    answers: list[ShownAnswer]
    history: list[Regraded]


@dataclass(frozen=True)
class SubmissionRecord:
    """A submission as the course's instructors see it (grader.selectors.submission_view, with
    its code), and the history of its grade."""

    view: SubmissionView
    exercise_title: str
    points: Decimal
    history: list[Regraded]


@dataclass(frozen=True)
class SectionStanding:
    items_complete: int
    items_total: int
    completed: bool


@dataclass(frozen=True)
class LearnerSectionWork:
    learner: str  # the username
    section: Section
    progress: SectionStanding | None
    attempts: list[AttemptRecord]
    submissions: list[SubmissionRecord]


def learner_section_work(*, course: Course, learner_id: int, section_id: int) -> LearnerSectionWork:
    """What a gradebook cell stands on: the learner's attempts (each answer as the learner saw
    it) and submissions in one of the course's sections, with their grades' histories. A
    section of another course, or no such learner: a 404. Queries: the section, the learner,
    the progress, the attempts and submissions with what they show (a fixed number)."""
    section = get_object_or_404(
        Section.objects.select_related("part"), pk=section_id, part__course=course
    )
    learner = get_object_or_404(User.objects.only("id", "username"), pk=learner_id)
    history = Prefetch(
        "grade_changes",
        queryset=GradeChange.objects.filter(status=GradeChange.Status.APPLIED).select_related(
            "job__created_by"
        ),
    )
    attempts = (
        Attempt.objects.filter(learner=learner, quiz__section=section)
        .select_related("quiz")
        .prefetch_related("answers", "quiz__questions", history)
        .order_by("quiz__order", "quiz_id", "number")
    )
    submissions = (
        Submission.objects.filter(learner=learner, exercise__section=section)
        .select_related("exercise")
        .prefetch_related(history)
        .order_by("exercise__order", "exercise_id", "id")
    )
    progress = SectionProgress.objects.filter(learner=learner, section=section).first()
    return LearnerSectionWork(
        learner=learner.username,
        section=section,
        progress=None
        if progress is None
        else SectionStanding(progress.items_complete, progress.items_total, progress.completed),
        attempts=[
            AttemptRecord(
                view=attempt_view(attempt=attempt, teaches=True, with_questions=False),
                quiz_title=attempt.quiz.title,
                answers=_shown_answers(attempt),
                history=_history(attempt.grade_changes.all()),
            )
            for attempt in attempts
        ],
        submissions=[
            SubmissionRecord(
                view=submission_view(submission=submission, teaches=True, with_detail=True),
                exercise_title=submission.exercise.title,
                points=submission.exercise.points,
                history=_history(submission.grade_changes.all()),
            )
            for submission in submissions
        ],
    )


def _history(changes: Iterable[GradeChange]) -> list[Regraded]:
    return [
        Regraded(
            applied_at=change.applied_at,
            by=change.job.created_by.username,
            old_score=change.old_score,
            new_score=change.new_score,
            reason=change.job.reason,
        )
        for change in changes
    ]


def _shown_answers(attempt: Attempt) -> list[ShownAnswer]:
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    shown = []
    for number, item in enumerate(attempt_questions(attempt=attempt), start=1):
        question = item.question
        answer = answers.get(question.pk)
        response = item.response_to_shown(answer.response if answer else None) or {}
        entry = question_form_entry(
            number=number,
            view=item.view,
            text_html=question_text_html(question.text, question.text_format),
            response=response,
            field=f"a{attempt.pk}-q{question.pk}",
            disabled=True,
        )
        feedback = answer.feedback if answer and isinstance(answer.feedback, list) else []
        shown.append(
            ShownAnswer(
                entry=entry,
                score=answer.score if answer else None,
                points=question.points,
                feedback=[str(line) for line in feedback if line],
                waits=bool(answer and answer.needs_manual_grading),
            )
        )
    return shown
