"""Reads of learner progress: a part's or a course's "N из M разделов" for one learner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.roles import own_or_taught
from courses.models import Course, Part, Section
from courses.status import Completion
from progress.items import (
    NOT_ATTEMPTED,
    ItemKind,
    ItemMark,
    ItemRef,
    ItemState,
    WorkRow,
    item_kinds,
    section_items_states,
)
from progress.models import Enrollment, ItemCompletion, SectionProgress
from progress.presentation import reopen_notice_text
from webhooks.payloads import EventSubject

_COUNTED = ~Q(sections__status=Section.Status.ARCHIVED)


# --- the gradebook's rows and columns (its page and its CSV) ---------------------------


def gradebook_sections(course: Course) -> list[Section]:
    """The sections a gradebook shows, in course order: all but the archived ones."""
    return list(
        Section.objects.filter(part__course=course)
        .exclude(status=Section.Status.ARCHIVED)
        .select_related("part")
        .order_by("part__order", "part__number", "order", "id")
    )


def course_learners(*, course: Course) -> QuerySet[User]:
    """The course's enrolled learners, by username."""
    return User.objects.filter(enrollments__course=course).order_by("username")


def gradebook_learners(course: Course) -> QuerySet[User]:
    """The learners a gradebook shows: everyone enrolled, or with progress in the course."""
    enrolled = Q(enrollments__course=course)
    worked = Q(
        pk__in=SectionProgress.objects.filter(section__part__course=course).values("learner")
    )
    return User.objects.filter(enrolled | worked).distinct()


def gradebook_learner_batches(course: Course, *, size: int) -> Iterator[list[tuple[int, str]]]:
    """The gradebook's learners as (id, username), `size` at a time by id (one query each),
    so that memory stays flat whatever their number."""
    learners = gradebook_learners(course).order_by("id")
    last = 0
    while True:
        batch = list(learners.filter(id__gt=last).values_list("id", "username")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1][0]


@dataclass(frozen=True)
class GradebookColumn:
    """One item of a section (its score), or the section itself (item None: completed?)."""

    title: str
    section_id: int
    item: ItemRef | None = None
    name: str = ""  # the item's own title (the page's column head)


def gradebook_columns(sections: list[Section]) -> list[GradebookColumn]:
    """For each section in order: its counted items, kind by kind (quizzes, then published
    exercises), then the section. One query per kind of item."""
    items: dict[int, list[tuple[ItemKind, Any]]] = {}
    for kind in item_kinds():
        item: Any
        for item in (
            kind.model._default_manager.filter(
                section_id__in=[s.pk for s in sections], **kind.counted()
            )
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
            columns.append(
                GradebookColumn(title, section.pk, ItemRef(kind.name, item.pk), item.title)
            )
        columns.append(GradebookColumn(f"{section.number} completed", section.pk))
    return columns


@dataclass(frozen=True)
class GradebookCell:
    """A learner in a section: items done of the section's items, and whether it is
    complete; `started`: the learner has a row there at all."""

    items_complete: int = 0
    items_total: int = 0
    completed: bool = False
    started: bool = False


NOT_STARTED = GradebookCell()


@dataclass(frozen=True)
class GradebookRow:
    learner_id: int
    cells: dict[int, GradebookCell]  # section id -> the learner's cell (absent: not started)
    scores: dict[ItemRef, Decimal | None]  # with_scores: each item's score (absent: none)
    # with_marks: each item's points, percent, late, waiting (absent: not attempted)
    marks: dict[ItemRef, ItemMark] = field(default_factory=dict)

    def cell(self, section_id: int) -> GradebookCell:
        return self.cells.get(section_id, NOT_STARTED)

    def mark(self, item: ItemRef) -> ItemMark:
        return self.marks.get(item, NOT_ATTEMPTED)


def gradebook_rows(
    *,
    learner_ids: list[int],
    section_ids: list[int],
    with_scores: bool = False,
    with_marks: bool = False,
) -> dict[int, GradebookRow]:
    """The gradebook's cells of these learners in these sections, for its page and its CSV:
    one query for the sections' cells; one more for the items' stored scores (`with_scores`,
    the CSV) or for the items' marks read from the work itself (`with_marks`, the page)."""
    cells: dict[int, dict[int, GradebookCell]] = {learner_id: {} for learner_id in learner_ids}
    for learner_id, section_id, items_complete, items_total, completed in (
        SectionProgress.objects.filter(learner_id__in=learner_ids, section_id__in=section_ids)
        .order_by()
        .values_list("learner_id", "section_id", "items_complete", "items_total", "completed")
    ):
        cells[learner_id][section_id] = GradebookCell(
            items_complete, items_total, completed, started=True
        )
    scores: dict[int, dict[ItemRef, Decimal | None]] = {learner_id: {} for learner_id in cells}
    if with_scores:
        kinds = item_kinds()
        for learner_id, *refs, score in (
            ItemCompletion.objects.filter(learner_id__in=learner_ids, section_id__in=section_ids)
            .order_by()
            .values_list("learner_id", *[kind.column for kind in kinds], "score")
        ):
            for kind, item_id in zip(kinds, refs, strict=True):
                if item_id is not None:
                    scores[learner_id][ItemRef(kind.name, item_id)] = score
    marks = _gradebook_marks(learner_ids, section_ids) if with_marks and learner_ids else {}
    return {
        learner_id: GradebookRow(
            learner_id, cells[learner_id], scores[learner_id], marks.get(learner_id, {})
        )
        for learner_id in cells
    }


def _gradebook_marks(
    learner_ids: list[int], section_ids: list[int]
) -> dict[int, dict[ItemRef, ItemMark]]:
    """Each learner's mark on each item they worked on: every kind's work rows in one query
    (UNION ALL), each learner's rows on an item folded by the item's kind."""
    kinds = {kind.name: kind for kind in item_kinds() if kind.work and kind.mark}
    querysets = [kind.work(learner_ids, section_ids) for kind in kinds.values()]  # type: ignore[misc]
    if not querysets:
        return {}
    rows = querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]
    work: dict[tuple[int, ItemRef], list[WorkRow]] = {}
    for values in rows:
        row = WorkRow(*values)
        work.setdefault((row.learner_id, ItemRef(row.kind, row.item_id)), []).append(row)
    marks: dict[int, dict[ItemRef, ItemMark]] = {}
    for (learner_id, item), pieces in work.items():
        pieces.sort(key=lambda piece: piece.seq)
        fold = kinds[item.kind].mark
        assert fold is not None
        marks.setdefault(learner_id, {})[item] = fold(pieces)
    return marks


def item_marks(*, item: ItemRef, section_id: int, learner_ids: list[int]) -> dict[int, ItemMark]:
    """These learners' marks on one item of the section, as the gradebook counts them, by
    learner id (a learner with nothing there has none); read 500 learners at a time."""
    found: dict[int, ItemMark] = {}
    for start in range(0, len(learner_ids), 500):
        marks = _gradebook_marks(learner_ids[start : start + 500], [section_id])
        found |= {learner_id: mine[item] for learner_id, mine in marks.items() if item in mine}
    return found


def course_completions(*, learner_id: int, course_ids: list[int]) -> dict[int, Completion]:
    """Each course's "N of M sections" completed by the learner, in two queries whatever the
    number of courses."""
    live = ~Q(status=Section.Status.ARCHIVED)
    totals = dict(
        Section.objects.filter(live, part__course_id__in=course_ids)
        .values("part__course_id")
        .annotate(n=Count("id"))
        .values_list("part__course_id", "n")
    )
    done = dict(
        SectionProgress.objects.filter(
            learner_id=learner_id, completed=True, section__part__course_id__in=course_ids
        )
        .exclude(section__status=Section.Status.ARCHIVED)
        .values("section__part__course_id")
        .annotate(n=Count("id"))
        .values_list("section__part__course_id", "n")
    )
    return {
        course_id: Completion(done=done.get(course_id, 0), total=totals.get(course_id, 0))
        for course_id in course_ids
    }


def sections_completed_by(*, course_id: int, learner_ids: list[int]) -> tuple[int, dict[int, int]]:
    """The course's number of sections, and how many each learner completed (two queries)."""
    sections = Section.objects.filter(~Q(status=Section.Status.ARCHIVED), part__course_id=course_id)
    done = dict(
        SectionProgress.objects.filter(
            learner_id__in=learner_ids, section__in=sections, completed=True
        )
        .values("learner_id")
        .annotate(n=Count("id"))
        .values_list("learner_id", "n")
    )
    return sections.count(), done


def section_progress_row(*, learner: User, section: Section) -> SectionProgress | None:
    """The learner's row of the section, with what its serializer reads (the part)."""
    return (
        SectionProgress.objects.select_related("section__part")
        .filter(learner=learner, section=section)
        .first()
    )


def section_progress_visible_to(user: Any) -> QuerySet[SectionProgress]:
    """A learner's own section rows, and every learner's in the courses the user teaches."""
    rows = SectionProgress.objects.select_related("section__part")
    return own_or_taught(user, rows, course_path="section__part__course_id")


def part_progress_for(*, learner: User, part: Part) -> Completion:
    """Completed sections of the part out of all its (non-archived) sections: one query."""
    return _completion(learner=learner, sections=Section.objects.filter(part=part))


def course_progress_for(*, learner: User, course: Course) -> Completion:
    return _completion(learner=learner, sections=Section.objects.filter(part__course=course))


@dataclass(frozen=True)
class ReopenedSection:
    """A section the learner had completed and new work reopened: the work still to do."""

    section: Section
    new_items: list[tuple[str, str]]  # (kind name, title), in the section's order

    @property
    def notice(self) -> str:
        return reopen_notice_text(self.new_items)


def reopened_sections(
    *, learner: User, rows: list[SectionProgress], sections: dict[int, Section]
) -> list[ReopenedSection]:
    """The reopened ones among the learner's rows, each with its items not yet complete:
    one query per kind of item, none when nothing was reopened."""
    ids = [row.section_id for row in rows if row.reopened_at and not row.completed]
    if not ids:
        return []
    todo: dict[int, list[tuple[str, str]]] = {section_id: [] for section_id in ids}
    for kind in item_kinds():
        done = ItemCompletion.objects.filter(
            learner=learner, complete=True, **{f"{kind.column}__isnull": False}
        ).values(kind.column)
        item: Any
        for item in (
            kind.model._default_manager.filter(section_id__in=ids, **kind.counted())
            .exclude(pk__in=done)
            .only("id", "section_id", "title")
            .order_by("order", "id")
        ):
            todo[item.section_id].append((kind.name, item.title))
    # In the course's reading order (the order of `sections`).
    return [ReopenedSection(section, todo[pk]) for pk, section in sections.items() if pk in todo]


@dataclass(frozen=True)
class CourseLearnerStanding:
    """The signed-in learner on the course page: their own completion (apart from the
    course's authoring status) and where to continue."""

    completion: Completion
    # The first published section, in reading order, the learner has not completed;
    # None once every published section is done.
    continue_section: Section | None
    started: bool  # any progress at all in the course ("Continue" vs "Start")
    parts: dict[int, Completion]  # part id -> the learner's completion of that part
    # Completed sections that new work reopened, with why (progress notices).
    reopened: list[ReopenedSection]

    def part(self, part_id: int) -> Completion:
        return self.parts.get(part_id, Completion(done=0, total=0))


def course_standing_for(
    *, learner: User | AnonymousUser, course: Course
) -> CourseLearnerStanding | None:
    """Two queries; None for a visitor. Planned sections count in the total (the course's
    sections, as on the dashboard) but are never offered to continue: they cannot be read."""
    if not isinstance(learner, User):
        return None
    sections = list(
        Section.objects.filter(part__course=course)
        .exclude(status=Section.Status.ARCHIVED)
        .select_related("part")
        .order_by("part__order", "part__number", "order", "id")
    )
    rows = section_progress_map(learner=learner, section_ids=[s.pk for s in sections])
    done = sum(1 for row in rows.values() if row.completed)
    continue_section = next(
        (
            section
            for section in sections
            if section.is_published and not (section.pk in rows and rows[section.pk].completed)
        ),
        None,
    )
    part_done: dict[int, int] = {}
    part_total: dict[int, int] = {}
    for section in sections:
        part_total[section.part_id] = part_total.get(section.part_id, 0) + 1
        row = rows.get(section.pk)
        part_done[section.part_id] = part_done.get(section.part_id, 0) + int(
            row is not None and row.completed
        )
    by_id = {section.pk: section for section in sections}
    for section in sections:
        section.part.course = course
    return CourseLearnerStanding(
        completion=Completion(done=done, total=len(sections)),
        continue_section=continue_section,
        started=bool(rows),
        reopened=reopened_sections(learner=learner, rows=list(rows.values()), sections=by_id),
        parts={
            part_id: Completion(done=part_done[part_id], total=total)
            for part_id, total in part_total.items()
        },
    )


def _completion(*, learner: User, sections: QuerySet[Section]) -> Completion:
    # EXISTS per section, not a join: a join would read every learner's rows.
    completed = SectionProgress.objects.filter(
        learner=learner, section=OuterRef("pk"), completed=True
    )
    counts = sections.exclude(status=Section.Status.ARCHIVED).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(Exists(completed)))
    )
    return Completion(done=counts["done"], total=counts["total"])


# --- pages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PartStanding:
    part: Part
    completion: Completion


@dataclass(frozen=True)
class CourseStanding:
    """An enrolled course on the learner's dashboard, with progress per part."""

    course: Course
    enrolled_at: datetime
    parts: list[PartStanding]

    @property
    def completion(self) -> Completion:
        return Completion(
            done=sum(p.completion.done for p in self.parts),
            total=sum(p.completion.total for p in self.parts),
        )


def dashboard_for(*, learner: User) -> list[CourseStanding]:
    """The learner's enrolled courses with per-part progress: two queries in all."""
    enrollments = list(
        Enrollment.objects.filter(learner=learner)
        .select_related("course")
        .order_by("-created_at", "-id")
    )
    if not enrollments:
        return []
    course_ids = [e.course_id for e in enrollments]
    parts = (
        Part.objects.filter(course_id__in=course_ids)
        .annotate(
            total=Count("sections", filter=_COUNTED),
            # A subquery, not a join: joining every learner's progress rows
            # and filtering afterwards reads the whole course's rows.
            done=Coalesce(
                Subquery(
                    SectionProgress.objects.filter(
                        learner=learner, completed=True, section__part=OuterRef("pk")
                    )
                    .exclude(section__status=Section.Status.ARCHIVED)
                    .values("section__part")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            ),
        )
        .order_by("order", "number")
    )
    by_course: dict[int, list[PartStanding]] = {course_id: [] for course_id in course_ids}
    for part in parts:
        by_course[part.course_id].append(
            PartStanding(part=part, completion=Completion(done=part.done, total=part.total))
        )
    standings = []
    for enrollment in enrollments:
        for standing in by_course[enrollment.course_id]:
            standing.part.course = enrollment.course  # loaded already: no query per URL
        standings.append(
            CourseStanding(
                course=enrollment.course,
                enrolled_at=enrollment.created_at,
                parts=by_course[enrollment.course_id],
            )
        )
    return standings


def is_enrolled(*, learner: User | AnonymousUser, course: Course) -> bool:
    if not learner.is_authenticated:
        return False
    return Enrollment.objects.filter(learner=learner, course=course).exists()


def enrolled_among(*, course: Course, users: list[User]) -> list[User]:
    """Those of `users` who are learners of the course, in the same order."""
    ids = set(
        Enrollment.objects.filter(course=course, learner__in=users).values_list(
            "learner_id", flat=True
        )
    )
    return [user for user in users if user.pk in ids]


def section_progress_map(
    *, learner: User | AnonymousUser, section_ids: list[int]
) -> dict[int, SectionProgress]:
    """The learner's progress rows for these sections (absent: not started)."""
    if not learner.is_authenticated or not section_ids:
        return {}
    rows = SectionProgress.objects.filter(learner=learner, section_id__in=section_ids)
    return {row.section_id: row for row in rows}


def section_items_for(*, learner: User | AnonymousUser, section: Section) -> list[ItemState]:
    """The section's quizzes and published exercises with the learner's state on each (each
    kind of item lists its own: progress.items)."""
    return section_items_states(learner=learner, section=section, now=timezone.now())


def section_reopened_for(
    *, section: Section, progress: SectionProgress | None, items: list[ItemState]
) -> ReopenedSection | None:
    """The section page's notice, from what the page has loaded already (no query)."""
    if progress is None or progress.completed or progress.reopened_at is None:
        return None
    new_items = [(state.kind, state.item.title) for state in items if state.state != "passed"]
    return ReopenedSection(section, new_items)


@dataclass(frozen=True)
class PartLearnerStanding:
    """The learner's progress in a part, with each section's state."""

    completion: Completion
    section_states: dict[int, str]  # section id -> "not_started" | "in_progress" | "completed"


def part_standing_for(
    *, learner: User | AnonymousUser, part: Part, sections: list[Section]
) -> PartLearnerStanding | None:
    """From the part's sections (already loaded): one query, none for a visitor."""
    if not isinstance(learner, User):
        return None
    rows = section_progress_map(learner=learner, section_ids=[s.pk for s in sections])
    states = {}
    for section in sections:
        row = rows.get(section.pk)
        if row is not None and row.completed:
            states[section.pk] = "completed"
        elif row is not None and (row.items_complete or row.material_read_at):
            states[section.pk] = "in_progress"
        else:
            states[section.pk] = "not_started"
    done = sum(1 for state in states.values() if state == "completed")
    return PartLearnerStanding(
        completion=Completion(done=done, total=len(sections)), section_states=states
    )


# --- webhooks (registered in apps.py) ----------------------------------------------------


def section_completed_events(progress_id: int) -> list[tuple[str, EventSubject]]:
    """section.completed, and part.completed when it was the part's last section."""
    row = SectionProgress.objects.select_related("section__part").filter(pk=progress_id).first()
    if row is None or not row.completed:
        return []
    section = row.section
    course_id = section.part.course_id
    data = {
        "learner": row.learner_id,
        "section": section.pk,
        "number": section.number,
        "title": section.title,
        "part": section.part_id,
        "course": course_id,
        "completed_at": row.completed_at,
    }
    events = [("section.completed", EventSubject(course_id, row.learner_id, data, data))]
    if part_completed_by(learner_id=row.learner_id, part=section.part):
        part = section.part
        part_data = {
            "learner": row.learner_id, "part": part.pk, "number": part.number,
            "title": part.title, "course": course_id,
        }  # fmt: skip
        events.append(
            ("part.completed", EventSubject(course_id, row.learner_id, part_data, part_data))
        )
    return events


def part_completed_by(*, learner_id: int, part: Part) -> bool:
    """Every (non-archived) section of the part is complete for the learner."""
    sections = Section.objects.filter(part=part).exclude(status=Section.Status.ARCHIVED)
    total = sections.count()
    done = SectionProgress.objects.filter(
        learner_id=learner_id, section__in=sections, completed=True
    ).count()
    return total > 0 and done == total


def enrollments_of(*, learner: Any) -> QuerySet[Enrollment]:
    """The learner's enrolments with their courses (the API's "my courses")."""
    return Enrollment.objects.filter(learner=learner).select_related("course").order_by("course_id")
