"""`manage.py import_course PATH`: import a part README or an mdBook course folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.services import CourseImportError, course_import


class Command(BaseCommand):
    help = (
        "Import a course from Markdown: a part README (like the course's own) or an mdBook "
        "folder (SUMMARY.md + section files). Re-importing updates rows in place; all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="part README file or mdBook course folder")
        parser.add_argument(
            "--course", dest="course_slug", help="slug of the course to import into"
        )
        parser.add_argument("--course-title", help="title for a course created by this import")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change, write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = course_import(
                path=options["path"],
                course_slug=options["course_slug"],
                course_title=options["course_title"],
                dry_run=options["dry_run"],
            )
        except CourseImportError as error:
            raise CommandError(str(error)) from None
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for line in report.lines():
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was written")
