"""Imports from the teaching pages: an uploaded file is staged, previewed (a dry run of the same
import the commands run, with every problem named by file and line), and imported only when
the instructor confirms. Exports: a quiz as GIFT, a part's README as the exporter writes it.

A staged file is its uploader's, in its course, for STAGED_FOR; nothing is written to the
course before the confirmation, and the confirmation runs the import again (what changed
on the site meanwhile is kept as any import keeps it: core.provenance)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.utils import timezone

from courses.models import Course, Part, Section
from courses.readme_export import part_readme_render
from quizzes.authoring import QuizImportError, QuizImportReport, quiz_export_gift, quiz_import_gift
from quizzes.models import Quiz
from teaching.models import StagedUpload

GIFT_MAX_BYTES = 2 * 1024 * 1024
STAGED_FOR = timedelta(days=1)
T = TypeVar("T")


class SiteImportError(Exception):
    """The file cannot be imported: `problems`, each naming the file and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class GiftPreview:
    staged: StagedUpload
    section: Section
    quiz_title: str  # as given ("" for the file's $CATEGORY, else the section's title)
    report: QuizImportReport | None  # None when refused
    problems: list[str]


def upload_name(name: str) -> str:
    """The uploaded file's own name, safe as a file name (no folders, no odd characters)."""
    base = re.sub(r"[^\w.\- ]+", "_", Path(name.replace("\\", "/")).name).strip(" .")
    return base[:100] or "upload"


def staged_purge(*, now: datetime | None = None) -> int:
    """Remove staged files older than STAGED_FOR; how many."""
    cutoff = (now or timezone.now()) - STAGED_FOR
    deleted, _ = StagedUpload.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def staged_get(*, token: str, course: Course, user: User) -> StagedUpload | None:
    """The staged file `token`, if `user` uploaded it in `course` and it has not expired."""
    return StagedUpload.objects.filter(
        token=token,
        course=course,
        uploaded_by=user,
        created_at__gte=timezone.now() - STAGED_FOR,
    ).first()


def gift_stage(
    *, course: Course, user: User, section: Section, quiz_title: str, name: str, data: bytes
) -> StagedUpload:
    if section.part.course_id != course.pk:
        raise ValueError("the section is not in this course")
    staged_purge()
    return StagedUpload.objects.create(
        kind=StagedUpload.Kind.GIFT,
        course=course,
        uploaded_by=user,
        name=upload_name(name),
        data=data,
        options={"section": section.pk, "quiz_title": quiz_title},
    )


def gift_preview(*, staged: StagedUpload) -> GiftPreview:
    """What importing the staged GIFT file would do (nothing is written)."""
    section = Section.objects.select_related("part").get(
        pk=staged.options["section"], part__course=staged.course_id
    )
    quiz_title = str(staged.options.get("quiz_title") or "")
    try:
        report = _gift_import(staged, section, quiz_title, dry_run=True)
    except SiteImportError as error:
        return GiftPreview(staged, section, quiz_title, None, error.problems)
    return GiftPreview(staged, section, quiz_title, report, [])


def gift_apply(*, staged: StagedUpload) -> QuizImportReport:
    """Import the staged GIFT file for real, then forget it; SiteImportError if it cannot
    be (it stays staged: the page shows why)."""
    section = Section.objects.select_related("part").get(
        pk=staged.options["section"], part__course=staged.course_id
    )
    report = _gift_import(
        staged, section, str(staged.options.get("quiz_title") or ""), dry_run=False
    )
    staged.delete()
    return report


def _gift_import(
    staged: StagedUpload, section: Section, quiz_title: str, *, dry_run: bool
) -> QuizImportReport:
    with _as_file(staged) as path:
        return _named_as_uploaded(
            path.parent,
            lambda: quiz_import_gift(
                section=section, path=path, quiz_title=quiz_title or None, dry_run=dry_run
            ),
        )


@contextmanager
def _as_file(staged: StagedUpload) -> Iterator[Path]:
    """The staged bytes as a file of the uploaded name, in a folder of its own."""
    with tempfile.TemporaryDirectory(prefix="zachet-upload-") as folder:
        path = Path(folder) / staged.name
        path.write_bytes(bytes(staged.data))
        yield path


def _named_as_uploaded(folder: Path, run: Callable[[], T]) -> T:
    """Run an import whose problems name files by their paths in `folder`: they are named
    as the instructor knows them (the uploaded name) instead."""
    try:
        return run()
    except QuizImportError as error:
        prefix = f"{folder}/"
        raise SiteImportError([p.replace(prefix, "") for p in error.problems]) from None


def quiz_gift_file(*, quiz: Quiz) -> tuple[str, str]:
    """(file name, GIFT text) of a quiz; questions GIFT cannot express are named in a comment
    at the top (an import of the file skips comments)."""
    text, skipped = quiz_export_gift(quiz=quiz)
    if skipped:
        note = "".join(f"// left out (GIFT cannot express it): {title}\n" for title in skipped)
        text = note + "\n" + text
    return f"{upload_name(quiz.title)}.gift", text


def part_readme_file(*, part: Part) -> tuple[str, str]:
    return "README.md", part_readme_render(part=part)


def sections_of(course: Course) -> list[Section]:
    return list(
        Section.objects.filter(part__course=course)
        .select_related("part")
        .order_by("part__number", "order", "id")
    )


def report_groups(report: QuizImportReport) -> list[tuple[str, list[str]]]:
    """The report's lists, keyed for the page (which words them)."""
    fields: dict[str, Any] = vars(report)
    keys = ("created", "updated", "removed", "unchanged", "kept", "kept_site", "kept_edited",
            "kept_learners")  # fmt: skip
    return [(key, list(fields[key])) for key in keys if fields[key]]
