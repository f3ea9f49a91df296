"""Reads behind the course pages.

Each page is a fixed number of queries whatever the size of the course: counts
are annotated, sections are fetched once per page, and neighbours (previous /
next part or section) are picked from one ordered list rather than queried one
by one. Archived sections are excluded everywhere: not shown, not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.roles import is_admin, taught_course_ids, teaches
from courses.models import Course, Part, Section
from courses.status import Completion, part_status_icon, part_status_label

_NOT_ARCHIVED = ~Q(status=Section.Status.ARCHIVED)


class _PartStatus:
    """The authoring status ("✅ Завершено" / "🚧 В разработке") of something with a completion."""

    completion: Completion

    @property
    def status_label(self) -> str:
        return part_status_label(self.completion)

    @property
    def status_icon(self) -> str:
        return part_status_icon(self.completion)


@dataclass(frozen=True)
class PartSummary(_PartStatus):
    """A part as the course page lists it: the part and how much of it is written."""

    part: Part
    completion: Completion

    @property
    def planned_count(self) -> int:
        """Sections of the part announced but not yet written."""
        return self.completion.total - self.completion.done


@dataclass(frozen=True)
class CourseOverview:
    course: Course
    parts: list[PartSummary]

    @property
    def completion(self) -> Completion:
        return Completion(
            done=sum(summary.completion.done for summary in self.parts),
            total=sum(summary.completion.total for summary in self.parts),
        )

    @property
    def planned_count(self) -> int:
        """Sections announced but not yet written."""
        return self.completion.total - self.completion.done


@dataclass(frozen=True)
class PartDetail(_PartStatus):
    part: Part
    published_sections: list[Section]
    planned_sections: list[Section]
    previous_part: Part | None
    next_part: Part | None
    completion: Completion

    @property
    def course(self) -> Course:
        return self.part.course


@dataclass(frozen=True)
class SectionDetail:
    section: Section
    # Neighbours a reader can open: published sections only, across part boundaries.
    previous_section: Section | None
    next_section: Section | None

    @property
    def part(self) -> Part:
        return self.section.part

    @property
    def course(self) -> Course:
        return self.section.part.course

    @property
    def material_has_title(self) -> bool:
        # Imported material opens with its own "# 4.1 Title"; the page then uses it
        # as the page heading instead of printing the title twice.
        return self.section.is_published and self.section.material_html.lstrip().startswith("<h1")


def course_list() -> QuerySet[Course]:
    return Course.objects.order_by("title")


def course_get_with_parts(*, slug: str) -> CourseOverview | None:
    """The course and its parts with section counts: two queries."""
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        return None
    parts = (
        Part.objects.filter(course=course)
        .annotate(
            published_count=Count("sections", filter=Q(sections__status=Section.Status.PUBLISHED)),
            total_count=Count("sections", filter=~Q(sections__status=Section.Status.ARCHIVED)),
        )
        .order_by("order", "number")
    )
    summaries = []
    for part in parts:
        part.course = course  # already loaded; spares a query per get_absolute_url
        summaries.append(
            PartSummary(
                part=part,
                completion=Completion(done=part.published_count, total=part.total_count),
            )
        )
    return CourseOverview(course=course, parts=summaries)


def part_get_with_sections(*, course_slug: str, part_number: int) -> PartDetail | None:
    """The part, its sections and its neighbours: two queries.

    All the course's parts come in one query (a course has a handful), which
    gives the part, its course and the previous / next part by position. The
    position is taken from the ordered list rather than `order__lt`, so parts
    sharing an `order` value (the default 0) still have neighbours.
    """
    parts = list(
        Part.objects.filter(course__slug=course_slug)
        .select_related("course")
        .order_by("order", "number")
    )
    index = next((i for i, part in enumerate(parts) if part.number == part_number), None)
    if index is None:
        return None
    part = parts[index]
    sections = list(part.sections.filter(_NOT_ARCHIVED).order_by("order", "id"))
    published = [section for section in sections if section.is_published]
    planned = [section for section in sections if not section.is_published]
    return PartDetail(
        part=part,
        published_sections=published,
        planned_sections=planned,
        completion=Completion(done=len(published), total=len(published) + len(planned)),
        previous_part=parts[index - 1] if index > 0 else None,
        next_part=parts[index + 1] if index + 1 < len(parts) else None,
    )


def section_get_with_neighbours(
    *, course_slug: str, part_number: int, section_number: str
) -> SectionDetail | None:
    """A non-archived section with the published sections around it: two queries."""
    section = (
        Section.objects.filter(
            _NOT_ARCHIVED,
            part__course__slug=course_slug,
            part__number=part_number,
            number=section_number,
        )
        .select_related("part__course")
        .first()
    )
    if section is None:
        return None
    # The whole course's reading order, to step over part boundaries: "next" after
    # the last section of part 4 is the first of part 5. Plain rows, not model
    # instances: a course has a hundred sections and the page shows two of them.
    sequence = list(
        Section.objects.filter(_NOT_ARCHIVED, part__course_id=section.part.course_id)
        .order_by("part__order", "part__number", "order", "id")
        .values_list("id", "number", "title", "status", "part_id", "part__number")
    )
    index = next(i for i, row in enumerate(sequence) if row[0] == section.pk)
    published = Section.Status.PUBLISHED
    previous_row = next((row for row in reversed(sequence[:index]) if row[3] == published), None)
    next_row = next((row for row in sequence[index + 1 :] if row[3] == published), None)
    previous_section = _neighbour(previous_row, course=section.part.course)
    next_section = _neighbour(next_row, course=section.part.course)
    return SectionDetail(
        section=section, previous_section=previous_section, next_section=next_section
    )


def _neighbour(
    row: tuple[int, str, str, str, int, int] | None, *, course: Course
) -> Section | None:
    """A neighbouring section from its row, with what a link to it needs (no query)."""
    if row is None:
        return None
    pk, number, title, status, part_id, part_number = row
    part = Part(id=part_id, number=part_number, course=course)
    return Section(id=pk, number=number, title=title, status=status, part=part)


def section_get_by_number(*, number: str, course_slug: str | None = None) -> Section:
    """The section "4.2" (of the course, when several have one); LookupError says why not."""
    sections = Section.objects.select_related("part__course").filter(number=number)
    if course_slug:
        sections = sections.filter(part__course__slug=course_slug)
    found = list(sections[:2])
    if not found:
        where = f" in course {course_slug!r}" if course_slug else ""
        raise LookupError(f"no section {number}{where}")
    if len(found) > 1:
        raise LookupError(f"section {number} exists in several courses: pass --course SLUG")
    return found[0]


def course_get(*, slug: str) -> Course | None:
    return Course.objects.filter(slug=slug).first()


def section_get_published(*, section_id: int) -> Section | None:
    """A published section with its part and course (what a learner may mark read)."""
    return (
        Section.objects.select_related("part__course")
        .filter(pk=section_id, status=Section.Status.PUBLISHED)
        .first()
    )


def part_get(*, course_slug: str, part_number: int) -> Part | None:
    return (
        Part.objects.select_related("course")
        .filter(course__slug=course_slug, number=part_number)
        .first()
    )


def course_get_by_id(*, course_id: int) -> Course | None:
    return Course.objects.filter(pk=course_id).first()


def courses_listed() -> QuerySet[Course]:
    """Every course, for the API (each with its instructors)."""
    return Course.objects.prefetch_related("instructors").order_by("title", "id")


def parts_listed() -> QuerySet[Part]:
    return Part.objects.order_by("course_id", "order", "number")


def sections_visible_to(user: Any) -> QuerySet[Section]:
    """Planned and published sections; archived ones to their instructors and admins."""
    sections = Section.objects.select_related("part").order_by("part_id", "order", "id")
    if is_admin(user):
        return sections
    return sections.filter(
        ~Q(status=Section.Status.ARCHIVED) | Q(part__course_id__in=taught_course_ids(user))
    )


def section_taught(*, user: Any, section_id: int) -> Section | None:
    """The section (with its part) if `user` teaches its course; else None (as if none)."""
    section = Section.objects.select_related("part").filter(pk=section_id).first()
    if section is None or not teaches(user, section.part.course_id):
        return None
    return section
