"""Writes to the course structure: import from Markdown, section edits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from courses.course_source import (
    CourseSource,
    CourseSourceError,
    PartSource,
    SectionSource,
    load_course_source,
)
from courses.markdown import render_markdown
from courses.models import Course, Part, Section
from courses.part_readme import status_match
from courses.section_matching import sections_matched


class CourseImportError(Exception):
    """The import was refused; nothing was written."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    course: Course | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived)

    def lines(self) -> list[str]:
        out = [f"created {item}" for item in self.created]
        out += [f"updated {item}" for item in self.updated]
        out += [
            f"archived {item} (no longer in the source; kept for learner data)"
            for item in self.archived
        ]
        out += [f"unchanged {item}" for item in self.unchanged]
        out.append(
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.archived)} archived, {len(self.unchanged)} unchanged"
        )
        return out


# Russian letters for slugs of sections that have no file name to take one from.
_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        (
            "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".replace(
                "_", ""
            ).split(" ")
        ),
        strict=True,
    )
)


def section_slug_for(*, title: str, source_path: str) -> str:
    """ "02_caching.md" -> "caching"; "Очереди сообщений" -> "ocheredi-soobshcheniy"."""
    if source_path:
        stem = PurePosixPath(source_path).stem
        slug = slugify(re.sub(r"^[\d_.\-]+", "", stem).replace("_", "-"))
        if slug:
            return slug
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in title.lower())
    return slugify(latin)[:180] or "section"


def section_set_material(*, section: Section, material: str) -> None:
    """Set a section's Markdown and its sanitised HTML together (not saved)."""
    section.material = material
    section.material_html = render_markdown(material)


def section_save(*, section: Section) -> Section:
    """Save a section edited in the admin: the HTML always follows the Markdown."""
    section.full_clean(exclude=["material_html"])
    section_set_material(section=section, material=section.material)
    section.save()
    return section


@transaction.atomic
def course_import(
    *,
    path: Path,
    course_slug: str | None = None,
    course_title: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import a part README or an mdBook course folder, all or nothing.

    Rows are matched to the source (part by number; section by its file, then by
    number) and updated in place, so their ids, and whatever hangs off them, stay.
    Sections no longer in the source are archived, not deleted.
    """
    try:
        source = load_course_source(path)
    except CourseSourceError as error:
        raise CourseImportError(str(error)) from None
    report = ImportReport(warnings=list(source.warnings))
    course = _course_upsert(source=source, slug=course_slug, title=course_title, report=report)
    report.course = course
    for part_source in source.parts:
        part = _part_upsert(course=course, source=part_source, report=report)
        _sections_sync(part=part, sources=part_source.sections, report=report)
        _check_stated_status(part=part, source=part_source, report=report)
    if dry_run:
        transaction.set_rollback(True)
    return report


def _course_upsert(
    *, source: CourseSource, slug: str | None, title: str | None, report: ImportReport
) -> Course:
    slug = slug or source.slug
    if slug is None:
        # A part README does not name its course.
        courses = list(Course.objects.all()[:2])
        if len(courses) == 1:
            return courses[0]
        raise CourseImportError(
            "a part README does not say which course it belongs to: pass --course SLUG"
        )
    wanted: dict[str, Any] = {}
    if title or source.title:
        wanted["title"] = title or source.title
    if source.description is not None:
        wanted["description"] = source.description
    course = Course.objects.filter(slug=slug).first()
    if course is not None and not wanted:
        return course
    if course is None:
        if not source.whole_course and not title:
            raise CourseImportError(
                f"course {slug!r} does not exist: create it with --course-title, "
                "or import the whole course folder"
            )
        course = Course.objects.create(slug=slug, **{"title": slug, **wanted})
        report.created.append(f"course {slug}")
        return course
    _apply(course, wanted, label=f"course {slug}", report=report)
    return course


def _apply(instance: Any, wanted: dict[str, Any], *, label: str, report: ImportReport) -> bool:
    """Set the fields that differ and save them; record the outcome in the report."""
    changed = [name for name, value in wanted.items() if getattr(instance, name) != value]
    if not changed:
        report.unchanged.append(label)
        return False
    for name in changed:
        setattr(instance, name, wanted[name])
    instance.save(update_fields=[*changed, "updated_at"])
    report.updated.append(f"{label}: {', '.join(changed)}")
    return True


def _part_upsert(*, course: Course, source: PartSource, report: ImportReport) -> Part:
    wanted: dict[str, Any] = {
        "title": source.title,
        "description": source.description,
        "study_time": source.study_time,
        "order": source.number,
        "source_path": source.source_path,
        "nav_links": [{"label": link.label, "href": link.href} for link in source.nav_links],
        "source_text": source.source_text,
    }
    if source.folder:
        wanted["slug"] = source.folder
    label = f"part {source.number} {source.title}"
    part = Part.objects.filter(course=course, number=source.number).first()
    if part is None:
        part = Part.objects.create(course=course, number=source.number, **wanted)
        report.created.append(label)
        return part
    _apply(part, wanted, label=label, report=report)
    return part


def _sections_sync(*, part: Part, sources: tuple[SectionSource, ...], report: ImportReport) -> None:
    existing = list(Section.objects.filter(part=part).order_by("order", "id"))
    rows = _section_rows(sources, existing)
    matched = {row.pk: row for row in rows if row is not None}
    plan = list(zip(sources, rows, strict=True))

    slugs_taken: set[str] = set()
    desired: list[tuple[SectionSource, Section | None, dict[str, Any]]] = []
    for order, (source, row) in enumerate(plan, start=1):
        slug = section_slug_for(title=source.title, source_path=source.source_path)
        if slug in slugs_taken:
            slug = f"{slug}-{source.number.replace('.', '-')}"
        slugs_taken.add(slug)
        wanted: dict[str, Any] = {
            "number": source.number,
            "title": source.title,
            "slug": slug,
            "topics": list(source.topics),
            "source_path": source.source_path,
            "status": Section.Status.PUBLISHED if source.published else Section.Status.PLANNED,
            "order": order,
        }
        if source.material is not None:
            wanted["material"] = source.material
        desired.append((source, row, wanted))

    # Renumbering (4.3 -> 4.4 while 4.4 -> 4.5) would collide mid-way under the
    # unique constraints: rows leaving the source and rows whose number or slug
    # changes first move those fields to a placeholder (in the database only;
    # the instances keep their old values so the report names what changed).
    leaving = [
        row for row in existing if row.pk not in matched and row.status != Section.Status.ARCHIVED
    ]
    for row in leaving:
        Section.objects.filter(pk=row.pk).update(number=f"~{row.pk}", slug=f"~{row.pk}")
    for _source, row, wanted in desired:
        if row is None:
            continue
        placeholders = {
            name: f"~{row.pk}" for name in ("number", "slug") if getattr(row, name) != wanted[name]
        }
        if placeholders:
            Section.objects.filter(pk=row.pk).update(**placeholders)

    for row in leaving:
        report.archived.append(f"section {row.number} {row.title}")
        # An archived row keeps a number out of the way of live sections.
        row.number, row.slug = f"~{row.pk}", f"~{row.pk}"
        row.status = Section.Status.ARCHIVED
        row.save(update_fields=["status", "updated_at"])

    for source, row, wanted in desired:
        label = f"section {source.number} {source.title}"
        if row is None:
            section = Section(part=part, **wanted)
            section_set_material(section=section, material=wanted.get("material", ""))
            section.save()
            report.created.append(label)
            continue
        if "material" in wanted and wanted["material"] != row.material:
            wanted["material_html"] = render_markdown(wanted["material"])
        _apply(row, wanted, label=label, report=report)


def _section_rows(
    sources: tuple[SectionSource, ...], existing: list[Section]
) -> list[Section | None]:
    """The row each source section updates (None: a new one): its own, found by its file,
    title or number (courses.section_matching), so that the quizzes, exercises and progress
    hanging off it stay with it; an archived one comes back by its file or title."""
    return sections_matched(
        sources, existing, retired=lambda row: row.status == Section.Status.ARCHIVED
    )


def _check_stated_status(*, part: Part, source: PartSource, report: ImportReport) -> None:
    """Warn when the README's status line says something other than its sections."""
    if not source.stated_status:
        return
    published = sum(1 for s in source.sections if s.published)
    total = len(source.sections)
    match = status_match(source.stated_status)
    if match and (int(match.group("done")), int(match.group("total"))) != (published, total):
        report.warnings.append(
            f"{source.source_path}: the status line says {match.group('done')} of "
            f"{match.group('total')} sections but the part has {published} of {total}; the "
            "status is computed"
        )


# --- API writes (instructors) -------------------------------------------------------


def course_save(*, course: Course) -> Course:
    """Save a course after validating it (slug unique, language known)."""
    course.full_clean()
    course.save()
    return course


def part_save(*, part: Part) -> Part:
    """Save a part after validating it (its number unique in the course)."""
    part.full_clean()
    part.save()
    return part


def section_archive(*, section: Section) -> Section:
    """Take a section out of the course. Archived, not deleted: learner progress hangs off it."""
    section.status = Section.Status.ARCHIVED
    section.save(update_fields=["status", "updated_at"])
    return section
