"""Imports from the teaching pages: an uploaded file is staged, previewed (a dry run of the same
import the commands run, with every problem named by file and line), and imported only when
the instructor confirms. Three kinds: a GIFT or Moodle XML file into a section's quizzes (a
question that cannot be represented is skipped and named, the rest imports), an exercise folder
(.zip) into a section, a part README (.md) or an mdBook (.zip) into the course. Exports: a
quiz as GIFT or Moodle XML, a part's README as the exporter writes it.

A staged file is its uploader's, in its course, for STAGED_FOR; nothing is written to the
course before the confirmation, and the confirmation runs the import again (what changed
on the site meanwhile is kept as any import keeps it: core.provenance). A .zip is unpacked
into a folder of its own with limits on its size and number of files, and no entry may
leave that folder (absolute paths, "..", links)."""

from __future__ import annotations

import io
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TypeVar
from uuid import UUID

from django.contrib.auth.models import User
from django.utils import timezone

from courses.models import Course, Part, Section
from courses.readme_export import part_readme_render
from courses.services import CourseImportError, course_import
from grader.services import ExerciseError, exercise_import
from quizzes.authoring import (
    QuizImportError,
    quiz_export_gift,
    quiz_export_moodle_xml,
    quiz_import_gift,
)
from quizzes.models import Quiz
from teaching.models import StagedUpload

MAX_BYTES = {  # an upload, as sent
    StagedUpload.Kind.GIFT: 20 * 1024 * 1024,  # (Moodle XML embeds images)
    StagedUpload.Kind.EXERCISE: 5 * 1024 * 1024,
    StagedUpload.Kind.COURSE: 20 * 1024 * 1024,
}
UNPACKED_MAX_BYTES = 100 * 1024 * 1024  # a .zip's files together, unpacked
UNPACKED_MAX_FILES = 5000
STAGED_FOR = timedelta(days=1)
T = TypeVar("T")


class SiteImportError(Exception):
    """The file cannot be imported: `problems`, each naming the file and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class ImportPreview:
    """What importing a staged file would do (`groups`: what is created, changed, kept...,
    keyed for the page, which words them), or why it cannot be (`problems`)."""

    staged: StagedUpload
    section: Section | None
    target: str  # the quiz, exercise or course it goes into
    groups: list[tuple[str, list[str]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportDone:
    kind: str
    target: str
    created: int
    updated: int
    removed: int
    check_queued: bool = False
    skipped: int = 0  # questions of the file left out (each named in the preview)


def upload_name(name: str) -> str:
    """The uploaded file's own name, safe as a file name (no folders, no odd characters)."""
    base = re.sub(r"[^\w.\- ]+", "_", Path(name.replace("\\", "/")).name).strip(" .")
    return base[:100] or "upload"


def staged_purge(*, now: datetime | None = None) -> int:
    """Remove staged files older than STAGED_FOR; how many."""
    cutoff = (now or timezone.now()) - STAGED_FOR
    deleted, _ = StagedUpload.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def staged_get(*, token: UUID | str, course: Course, user: User) -> StagedUpload | None:
    """The staged file `token`, if `user` uploaded it in `course` and it has not expired."""
    return StagedUpload.objects.filter(
        token=token,
        course=course,
        uploaded_by=user,
        created_at__gte=timezone.now() - STAGED_FOR,
    ).first()


def upload_stage(
    *,
    kind: StagedUpload.Kind,
    course: Course,
    user: User,
    name: str,
    data: bytes,
    section: Section | None = None,
    quiz_title: str = "",
) -> StagedUpload:
    if section is not None and section.part.course_id != course.pk:
        raise ValueError("the section is not in this course")
    staged_purge()
    options: dict[str, object] = {"quiz_title": quiz_title} if kind == "gift" else {}
    if section is not None:
        options["section"] = section.pk
    return StagedUpload.objects.create(
        kind=kind, course=course, uploaded_by=user, name=upload_name(name), data=data,
        options=options,
    )  # fmt: skip


def _section(staged: StagedUpload) -> Section | None:
    if "section" not in staged.options:
        return None
    return Section.objects.select_related("part").get(
        pk=staged.options["section"], part__course=staged.course_id
    )


def upload_preview(*, staged: StagedUpload) -> ImportPreview:
    """What importing the staged file would do (nothing is written)."""
    section = _section(staged)
    try:
        return _IMPORTS[staged.kind](staged, section, True)[0]
    except SiteImportError as error:
        return ImportPreview(staged, section, "", problems=error.problems)


def upload_apply(*, staged: StagedUpload) -> ImportDone:
    """Import the staged file for real, then forget it; SiteImportError if it cannot be (it
    stays staged: the page shows why)."""
    done = _IMPORTS[staged.kind](staged, _section(staged), False)[1]
    staged.delete()
    return done


# --- the three kinds -----------------------------------------------------------------------


def _gift(
    staged: StagedUpload, section: Section | None, dry_run: bool
) -> tuple[ImportPreview, ImportDone]:
    assert section is not None
    quiz_title = str(staged.options.get("quiz_title") or "")
    with _as_file(staged) as path:
        report = _named_as_uploaded(
            path.parent,
            lambda: quiz_import_gift(
                section=section,
                path=path,
                quiz_title=quiz_title or None,
                dry_run=dry_run,
                check_later=True,  # (a CodeRunner exercise's check runs in a worker)
            ),
        )
    groups = [
        (key, list(items))
        for key, items in (
            ("created", report.created), ("updated", report.updated),
            ("removed", report.removed), ("kept", report.kept), ("kept_site", report.kept_site),
            ("kept_edited", report.kept_edited), ("kept_learners", report.kept_learners),
            ("unchanged", report.unchanged),
        )
        if items
    ]  # fmt: skip
    prefix = f"{path.parent}/"
    if report.exercises:
        groups.insert(0, ("exercises", list(report.exercises)))
    if report.skipped:
        # Moodle reads them; we cannot represent them: named with line and reason.
        groups.insert(0, ("skipped", [line.replace(prefix, "") for line in report.skipped]))
    target = ", ".join(quiz_report.quiz.title for quiz_report in report.quizzes)
    done = ImportDone(
        "gift",
        target,
        len(report.created),
        len(report.updated),
        len(report.removed),
        skipped=len(report.skipped),
    )
    return ImportPreview(staged, section, target, groups), done


def _exercise(
    staged: StagedUpload, section: Section | None, dry_run: bool
) -> tuple[ImportPreview, ImportDone]:
    assert section is not None
    with _unpacked(staged) as root:
        imported = _named_as_uploaded(
            root.parent,
            lambda: exercise_import(
                path=root, section=section, dry_run=dry_run, check_later=not dry_run
            ),
        )
    exercise = imported.exercise
    groups = [
        (key, list(items))
        for key, items in (
            ("created", [exercise.title] if imported.created else []),
            ("updated", [f"{exercise.title}: {', '.join(imported.updated)}"]
             if imported.updated else []),
            ("kept_edited", [f"{exercise.title}: {', '.join(imported.kept_edited)}"]
             if imported.kept_edited else []),
            ("kept_learners", [f"{exercise.title}: {', '.join(imported.kept_learners)}"]
             if imported.kept_learners else []),
        )
        if items
    ]  # fmt: skip
    if not groups:
        groups = [("unchanged", [exercise.title])]
    done = ImportDone(
        "exercise", exercise.title, int(imported.created), int(bool(imported.updated)), 0,
        check_queued=not dry_run,
    )  # fmt: skip
    return ImportPreview(staged, section, exercise.title, groups), done


def _course(
    staged: StagedUpload, section: Section | None, dry_run: bool
) -> tuple[ImportPreview, ImportDone]:
    course = staged.course
    with _unpacked(staged) as root:
        report = _named_as_uploaded(
            root.parent,
            lambda: course_import(path=root, course_slug=course.slug, dry_run=dry_run),
        )
    groups = [
        (key, list(items))
        for key, items in (
            ("created", report.created), ("updated", report.updated),
            ("archived", report.archived), ("kept_edited", report.kept_edited),
            ("kept_sections", report.kept_sections), ("unchanged", report.unchanged),
        )
        if items
    ]  # fmt: skip
    folder = f"{root.parent}/"
    warnings = [warning.replace(folder, "") for warning in report.warnings]
    done = ImportDone(
        "course", course.title, len(report.created), len(report.updated), len(report.archived)
    )
    return ImportPreview(staged, None, course.title, groups, warnings), done


_IMPORTS: dict[
    str, Callable[[StagedUpload, Section | None, bool], tuple[ImportPreview, ImportDone]]
] = {
    StagedUpload.Kind.GIFT: _gift,
    StagedUpload.Kind.EXERCISE: _exercise,
    StagedUpload.Kind.COURSE: _course,
}


# --- files ---------------------------------------------------------------------------------


@contextmanager
def _as_file(staged: StagedUpload) -> Iterator[Path]:
    """The staged bytes as a file of the uploaded name, in a folder of its own."""
    with tempfile.TemporaryDirectory(prefix="zachet-upload-") as folder:
        path = Path(folder) / staged.name
        path.write_bytes(bytes(staged.data))
        yield path


@contextmanager
def _unpacked(staged: StagedUpload) -> Iterator[Path]:
    """A .zip unpacked (its one top folder, if everything is in one), or a single file (a
    part README) as it is."""
    if not staged.name.lower().endswith(".zip"):
        with _as_file(staged) as path:
            yield path
        return
    with tempfile.TemporaryDirectory(prefix="zachet-upload-") as folder:
        root = Path(folder) / PurePosixPath(staged.name).stem
        root.mkdir()
        unpack_zip(bytes(staged.data), root, name=staged.name)
        entries = [entry for entry in root.iterdir() if entry.name not in ("__MACOSX",)]
        yield entries[0] if len(entries) == 1 and entries[0].is_dir() else root


def unpack_zip(data: bytes, into: Path, *, name: str) -> None:
    """Unpack a .zip into `into` (an empty folder); SiteImportError naming the entry for an
    archive that is not one, too big, or whose entries would land outside the folder."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SiteImportError([f"{name}: not a .zip archive"]) from None
    total = 0
    with archive:
        entries = archive.infolist()
        if len(entries) > UNPACKED_MAX_FILES:
            raise SiteImportError([f"{name}: more than {UNPACKED_MAX_FILES} files"])
        for entry in entries:
            path = PurePosixPath(entry.filename.replace("\\", "/"))
            where = f"{name}: {entry.filename}"
            if path.is_absolute() or ".." in path.parts or ":" in path.parts[0]:
                raise SiteImportError([f"{where}: a path outside the archive's folder"])
            if stat.S_ISLNK(entry.external_attr >> 16):
                raise SiteImportError([f"{where}: links are not accepted"])
            if path.name == ".DS_Store" or (path.parts and path.parts[0] == "__MACOSX"):
                continue
            target = into.joinpath(*path.parts)
            if entry.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(entry) as source, target.open("wb") as out:
                    while chunk := source.read(65536):  # (the sizes it declares may lie)
                        total += len(chunk)
                        if total > UNPACKED_MAX_BYTES:
                            raise SiteImportError(
                                [f"{name}: more than {UNPACKED_MAX_BYTES // 2**20} MB unpacked"]
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as error:
                raise SiteImportError([f"{where}: cannot be unpacked ({error})"]) from None


def _named_as_uploaded(folder: Path, run: Callable[[], T]) -> T:
    """Run an import whose problems name files by their paths in `folder`: they are named
    as the instructor knows them (the uploaded name) instead."""
    prefix = f"{folder}/"
    try:
        return run()
    except QuizImportError as error:
        raise SiteImportError([p.replace(prefix, "") for p in error.problems]) from None
    except (ExerciseError, CourseImportError) as error:
        lines = str(error).split("\n")
        raise SiteImportError([line.replace(prefix, "") for line in lines]) from None


# --- exports -------------------------------------------------------------------------------


def quiz_gift_file(*, quiz: Quiz) -> tuple[str, str]:
    """(file name, GIFT text) of a quiz; questions GIFT cannot express are named in a comment
    at the top (an import of the file skips comments)."""
    text, skipped = quiz_export_gift(quiz=quiz)
    if skipped:
        note = "".join(f"// left out (GIFT cannot express it): {title}\n" for title in skipped)
        text = note + "\n" + text
    return f"{upload_name(quiz.title)}.gift", text


def quiz_moodle_xml_file(*, quiz: Quiz) -> tuple[str, str]:
    """(file name, Moodle XML) of a quiz; questions it cannot hold are named in a comment."""
    text, skipped = quiz_export_moodle_xml(quiz=quiz)
    if skipped:
        note = "".join(f"<!-- left out: {why.replace('--', '- -')} -->\n" for why in skipped)
        head, _, body = text.partition("\n")
        text = f"{head}\n{note}{body}"
    return f"{upload_name(quiz.title)}.xml", text


def part_readme_file(*, part: Part) -> tuple[str, str]:
    return "README.md", part_readme_render(part=part)
