"""The gradebook page: a course's learners x its sections, one page of learners at a time.

Five queries whatever the number of learners: the sections, the count of matching
learners, one page of them (searched, filtered and sorted in SQL, with their completed
sections counted there), their cells (progress.selectors.gradebook_rows, as in the CSV),
and the course.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from courses.models import Course, Section
from grader.models import Submission
from grader.selectors import SubmissionView, submission_view
from progress.models import SectionProgress
from progress.selectors import (
    GradebookCell,
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
class Row:
    learner: User
    completed_sections: int
    cells: list[Cell]


@dataclass(frozen=True)
class Gradebook:
    sections: list[Section]
    page: Page[Any]
    rows: list[Row]
    learners: int  # matching the search and filter
    parts: list[tuple[int, str]]  # (number, title) of every part, for the part filter
    part: int | None  # the part shown, or None: all


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
    every = gradebook_sections(course)
    parts = sorted({(s.part.number, s.part.title) for s in every})
    if part is None and not all_parts and len(every) > ALL_PARTS_UP_TO and parts:
        part = parts[0][0]
    sections = [s for s in every if part is None or s.part.number == part]
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
        learner_ids=[u.pk for u in people], section_ids=[s.pk for s in sections], with_scores=False
    )
    labels = {
        "completed": _("completed"), "not_started": _("not started"),
    }  # fmt: skip
    rows = []
    for learner in people:
        got = book[learner.pk]
        cells = [
            _cell(section, got.cell(section.pk), learner, cell_url, labels) for section in sections
        ]
        rows.append(Row(learner, learner.completed_sections, cells))  # type: ignore[attr-defined]
    return Gradebook(sections, current, rows, paginator.count, parts, part)


def _cell(
    section: Section,
    row: GradebookCell,
    learner: User,
    cell_url: str,
    labels: dict[str, str],
) -> Cell:
    """`cell_url` has {learner} and {section} for the ids (one reverse() per page)."""
    if not row.started:
        html = format_html(
            '<span aria-hidden="true">—</span><span class="visually-hidden">{}</span>',
            labels["not_started"],
        )
        return Cell(section, row, html)
    name = _("%(learner)s, section %(number)s") % {
        "learner": learner.username, "number": section.number,
    }  # fmt: skip
    html = format_html(
        '<a href="{}">{}{}/{}<span class="visually-hidden"> {}{}</span></a>',
        cell_url.format(learner=learner.pk, section=section.pk),
        mark_safe('<span aria-hidden="true">✓ </span>') if row.completed else "",
        row.items_complete,
        row.items_total,
        name,
        f", {labels['completed']}" if row.completed else "",
    )
    return Cell(section, row, html)


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
