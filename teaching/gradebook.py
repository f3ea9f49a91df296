"""The gradebook page: a course's learners x its sections, one page of learners at a time.

Five queries whatever the number of learners: the sections, the count of matching
learners, one page of them (searched, filtered and sorted in SQL, with their completed
sections counted there), their section rows, and the course.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from courses.models import Course, Section
from grader.models import Submission
from progress.models import SectionProgress
from quizzes.models import Attempt

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
    items_complete: int
    items_total: int
    completed: bool
    started: bool


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


def course_sections(course: Course) -> list[Section]:
    return list(
        Section.objects.filter(part__course=course)
        .exclude(status=Section.Status.ARCHIVED)
        .select_related("part")
        .order_by("part__order", "part__number", "order", "id")
    )


def course_learners(course: Course) -> QuerySet[User]:
    """Everyone enrolled, or with progress in the course."""
    enrolled = Q(enrollments__course=course)
    worked = Q(
        pk__in=SectionProgress.objects.filter(section__part__course=course).values("learner")
    )
    return User.objects.filter(enrolled | worked).distinct()


def gradebook_page(
    *,
    course: Course,
    search: str = "",
    sort: str = "name",
    section_id: int | None = None,
    completed: bool | None = None,
    page: int = 1,
) -> Gradebook:
    sections = course_sections(course)
    done = (
        SectionProgress.objects.filter(
            learner=OuterRef("pk"), section__in=[s.pk for s in sections], completed=True
        )
        .order_by()
        .values("learner")
        .annotate(n=Count("pk"))
        .values("n")
    )
    learners = course_learners(course).annotate(
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
    progress = {
        (p.learner_id, p.section_id): p
        for p in SectionProgress.objects.filter(
            learner__in=[u.pk for u in people], section__in=[s.pk for s in sections]
        ).only("learner_id", "section_id", "items_complete", "items_total", "completed")
    }
    rows = []
    for learner in people:
        cells = []
        for section in sections:
            row = progress.get((learner.pk, section.pk))
            cells.append(
                Cell(
                    section=section,
                    items_complete=row.items_complete if row else 0,
                    items_total=row.items_total if row else 0,
                    completed=bool(row and row.completed),
                    started=row is not None,
                )
            )
        rows.append(Row(learner, learner.completed_sections, cells))  # type: ignore[attr-defined]
    return Gradebook(sections, current, rows, paginator.count)


@dataclass(frozen=True)
class LearnerSectionWork:
    learner: User
    section: Section
    progress: SectionProgress | None
    attempts: list[Attempt]
    submissions: list[Submission]


def learner_section_work(*, learner: User, section: Section) -> LearnerSectionWork:
    """What a gradebook cell stands on: the learner's attempts and submissions there."""
    attempts = list(
        Attempt.objects.filter(learner=learner, quiz__section=section)
        .select_related("quiz")
        .prefetch_related("answers__question")
        .order_by("quiz__order", "quiz_id", "number")
    )
    submissions = list(
        Submission.objects.filter(learner=learner, exercise__section=section)
        .select_related("exercise")
        .order_by("exercise__order", "exercise_id", "id")
    )
    progress = SectionProgress.objects.filter(learner=learner, section=section).first()
    return LearnerSectionWork(learner, section, progress, attempts, submissions)
