"""Writes to the course structure: import from Markdown, section edits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from core.provenance import (
    FieldGroups,
    ImportPolicy,
    digests_for,
    field_values,
    made_by_import,
    merge_into,
    record_as_imported,
)
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
from deadlines.changes import results_rule_watch
from deadlines.models import schedule_change_check


class CourseImportError(Exception):
    """The import was refused; nothing was written."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    # What the source changes or drops but the import kept (core.provenance): "label: fields"
    # edited on the site too, and sections gone from the source that hold work.
    kept_edited: list[str] = field(default_factory=list)
    kept_sections: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    course: Course | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived)

    @property
    def conflicts(self) -> bool:
        return bool(self.kept_edited or self.kept_sections)

    def lines(self) -> list[str]:
        out = [f"created {item}" for item in self.created]
        out += [f"updated {item}" for item in self.updated]
        out += [
            f"archived {item} (no longer in the source; kept for learner data)"
            for item in self.archived
        ]
        out += [
            f"kept {item} as edited on the site (the source changes it too; --overwrite takes "
            "the source's)"
            for item in self.kept_edited
        ]
        out += [
            f"kept {item} (no longer in the source; --overwrite archives it)"
            for item in self.kept_sections
        ]
        out += [f"unchanged {item}" for item in self.unchanged]
        kept = len(self.kept_edited) + len(self.kept_sections)
        out.append(
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.archived)} archived, {len(self.unchanged)} unchanged"
            + (f", {kept} kept" if kept else "")
        )
        return out


# The groups of fields an import owns on each row (core.provenance); the others it writes
# (a section's number, slug, file and order, a part's README text) always follow the source.
COURSE_GROUPS: FieldGroups = (("title",), ("description",))
PART_GROUPS: FieldGroups = (("title",), ("description",), ("study_time",), ("nav_links",))
SECTION_GROUPS: FieldGroups = (("title",), ("topics",), ("material",), ("status",))


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


def schedule_set(*, row: Course | Part | Section, values: Mapping[str, Any]) -> None:
    """Set a course's, part's or section's dates, late policy and exam mode, the defaults of
    the quizzes and exercises below it. Bad dates or penalties are a ValidationError naming
    the field; nothing is written then."""
    schedule_change_check(row, values)
    with transaction.atomic(), results_rule_watch(row):
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=[*values, "updated_at"])


def section_schedule_set(*, section: Section, values: Mapping[str, Any]) -> Section:
    """A section's schedule_set (its quizzes' and exercises' defaults)."""
    schedule_set(row=section, values=values)
    return section


def section_save(*, section: Section) -> Section:
    """Save a section edited in the admin: the HTML always follows the Markdown."""
    section.full_clean(exclude=["material_html"])
    section_set_material(section=section, material=section.material)
    with transaction.atomic(), results_rule_watch(section):
        section.save()
    return section


@transaction.atomic
def course_import(
    *,
    path: Path,
    course_slug: str | None = None,
    course_title: str | None = None,
    dry_run: bool = False,
    policy: ImportPolicy = ImportPolicy.MERGE,
) -> ImportReport:
    """Import a part README or an mdBook course folder, all or nothing.

    Rows are matched to the source (part by number; section by its file, then by
    number) and updated in place, so their ids, and whatever hangs off them, stay.
    Sections no longer in the source are archived, not deleted. What was edited on the site,
    and sections gone from the source that hold quizzes, exercises or learners' progress, are
    kept unless `policy` is OVERWRITE (core.provenance); ADD_ONLY creates what is missing.
    """
    try:
        source = load_course_source(path)
    except CourseSourceError as error:
        raise CourseImportError(str(error)) from None
    report = ImportReport(warnings=list(source.warnings))
    course = _course_upsert(
        source=source, slug=course_slug, title=course_title, report=report, policy=policy
    )
    report.course = course
    for part_source in source.parts:
        part = _part_upsert(course=course, source=part_source, report=report, policy=policy)
        _sections_sync(part=part, sources=part_source.sections, report=report, policy=policy)
        _check_stated_status(part=part, source=part_source, report=report)
    if dry_run:
        transaction.set_rollback(True)
    return report


def _course_upsert(
    *,
    source: CourseSource,
    slug: str | None,
    title: str | None,
    report: ImportReport,
    policy: ImportPolicy,
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
        course = _create(Course(slug=slug, **{"title": slug, **wanted}), COURSE_GROUPS)
        report.created.append(f"course {slug}")
        return course
    _apply(course, wanted, COURSE_GROUPS, label=f"course {slug}", report=report, policy=policy)
    return course


def _create(instance: Any, groups: FieldGroups) -> Any:
    """Save a new row with the record of what the import wrote (core.provenance)."""
    record_as_imported(instance, groups)
    instance.save()
    return instance


def _apply(
    instance: Any,
    wanted: dict[str, Any],
    groups: FieldGroups,
    *,
    label: str,
    report: ImportReport,
    policy: ImportPolicy,
) -> bool:
    """Merge the source's values into the row (core.provenance) and save what changed;
    record the outcome in the report."""
    merged = merge_into(instance, wanted, groups, policy=policy)
    if merged.kept_edited:
        report.kept_edited.append(f"{label}: {', '.join(merged.kept_edited)}")
    changed = list(merged.take)
    if "material" in changed:
        changed.append("material_html")
        instance.material_html = render_markdown(instance.material)
    fields = list(changed)
    if merged.digests != instance.import_digests:
        instance.import_digests = merged.digests
        fields.append("import_digests")
    if fields:
        instance.save(update_fields=[*fields, "updated_at"])
    if changed:
        report.updated.append(f"{label}: {', '.join(changed)}")
    elif not merged.kept_edited:
        report.unchanged.append(label)
    return bool(merged.take)


def _part_upsert(
    *, course: Course, source: PartSource, report: ImportReport, policy: ImportPolicy
) -> Part:
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
        part = _create(Part(course=course, number=source.number, **wanted), PART_GROUPS)
        report.created.append(label)
        return part
    _apply(part, wanted, PART_GROUPS, label=label, report=report, policy=policy)
    return part


def _sections_sync(
    *,
    part: Part,
    sources: tuple[SectionSource, ...],
    report: ImportReport,
    policy: ImportPolicy,
) -> None:
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

    gone = [
        row for row in existing if row.pk not in matched and row.status != Section.Status.ARCHIVED
    ]
    leaving = [row for row in gone if _may_archive(row, policy)]
    staying = [row for row in gone if row not in leaving]
    if policy == ImportPolicy.ADD_ONLY:
        # Existing rows keep their numbers and slugs: a new section that would take one is
        # left out, with a warning.
        staying = [row for row in existing if row.status != Section.Status.ARCHIVED]
    _check_kept_out_of_the_way(staying, desired, report=report, policy=policy)
    for row in gone:
        if row in staying:
            report.kept_sections.append(f"section {row.number} {row.title}")

    # Renumbering (4.3 -> 4.4 while 4.4 -> 4.5) would collide mid-way under the
    # unique constraints: rows leaving the source and rows whose number or slug
    # changes first move those fields to a placeholder (in the database only;
    # the instances keep their old values so the report names what changed).
    for row in leaving:
        Section.objects.filter(pk=row.pk).update(number=f"~{row.pk}", slug=f"~{row.pk}")
    for _source, row, wanted in desired:
        if row is None or policy == ImportPolicy.ADD_ONLY:
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
        # (recorded as the import's own doing: the section comes back when the source
        # lists it again)
        row.import_digests = {
            **row.import_digests,
            **digests_for({"status": row.status}, (("status",),)),
        }
        row.save(update_fields=["status", "import_digests", "updated_at"])

    for source, row, wanted in desired:
        label = f"section {source.number} {source.title}"
        if row is None:
            if wanted.get("skip"):
                continue
            section = Section(part=part, **wanted)
            section_set_material(section=section, material=wanted.get("material", ""))
            _create(section, SECTION_GROUPS)
            report.created.append(label)
            continue
        _apply(row, wanted, SECTION_GROUPS, label=label, report=report, policy=policy)


def _may_archive(row: Section, policy: ImportPolicy) -> bool:
    """Whether the import may archive a section gone from its source: one it made and nobody
    edited on the site, that holds no quizzes, exercises or learners' progress."""
    if policy != ImportPolicy.MERGE:
        return policy == ImportPolicy.OVERWRITE
    return (
        made_by_import(
            current=field_values(row, SECTION_GROUPS),
            recorded=row.import_digests,
            groups=SECTION_GROUPS,
        )
        and not row.quizzes.exists()
        and not row.exercises.exists()
        and not row.progress.filter(
            Q(items_complete__gt=0) | Q(material_read_at__isnull=False) | Q(completed=True)
        ).exists()
    )


def _check_kept_out_of_the_way(
    staying: list[Section],
    desired: list[tuple[SectionSource, Section | None, dict[str, Any]]],
    *,
    report: ImportReport,
    policy: ImportPolicy,
) -> None:
    """A section the import keeps keeps its number and slug: refused (all or nothing) when
    the source gives either to another section; with ADD_ONLY, that new section is left out."""
    held = {row.pk for row in staying}
    numbers = {row.number: row for row in staying}
    slugs = {row.slug: row for row in staying}
    for source, row, wanted in desired:
        if row is not None and row.pk in held:
            continue
        other = numbers.get(wanted["number"]) or slugs.get(wanted["slug"])
        if other is None:
            continue
        if policy == ImportPolicy.ADD_ONLY:
            if row is None:
                wanted["skip"] = True
                report.warnings.append(
                    f"section {source.number} {source.title} was not added: section "
                    f"{other.number} {other.title!r} already has its number or slug"
                )
            continue
        raise CourseImportError(
            f"{source.source_path or 'the source'}: section {source.number} {source.title!r} "
            f"would take the number or slug of section {other.number} {other.title!r}, which "
            "is no longer in the source but was kept: it was made or edited on the site, or "
            "holds quizzes, exercises or learners' progress. Run the import with --overwrite "
            "to archive it (nothing in it is deleted), or list it in the source again"
        )


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
    with transaction.atomic(), results_rule_watch(course):
        course.save()
    return course


def part_save(*, part: Part) -> Part:
    """Save a part after validating it (its number unique in the course)."""
    part.full_clean()
    with transaction.atomic(), results_rule_watch(part):
        part.save()
    return part


class PartNotEmpty(Exception):
    """A part with sections is not deleted: its sections' learners' progress hangs on them."""


def part_delete(*, part: Part) -> None:
    if part.sections.exists():
        raise PartNotEmpty(f"part {part.number} has sections")
    part.delete()


def section_archive(*, section: Section) -> Section:
    """Take a section out of the course. Archived, not deleted: learner progress hangs off it."""
    section.status = Section.Status.ARCHIVED
    section.save(update_fields=["status", "updated_at"])
    return section
