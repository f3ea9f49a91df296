"""`manage.py import_course PATH`: import a part README or an mdBook course folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.provenance import add_import_arguments, policy_from
from courses.services import CourseImportError, course_import


class Command(BaseCommand):
    help = (
        "Import a course from Markdown: a part README (like the course's own) or an mdBook "
        "folder (SUMMARY.md + section files). Re-importing updates rows in place; all or nothing. "
        "What was edited on the site, and sections that hold work, are kept unless --overwrite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="part README file or mdBook course folder")
        parser.add_argument(
            "--course", dest="course_slug", help="slug of the course to import into"
        )
        parser.add_argument("--course-title", help="title for a course created by this import")
        add_import_arguments(
            parser,
            overwrite_help=(
                "take the source's version even of what was edited on the site, and archive "
                "sections gone from it that hold work (nothing in them is deleted)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = course_import(
                path=options["path"],
                course_slug=options["course_slug"],
                course_title=options["course_title"],
                dry_run=options["dry_run"],
                policy=policy_from(options),
            )
        except CourseImportError as error:
            raise CommandError(str(error)) from None
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for line in report.lines():
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was written")
