"""`manage.py import_gift SECTION FILE`: a section's quiz questions from a GIFT file or a Moodle
XML file (".xml"), as Moodle reads them: what cannot be represented is skipped and named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.provenance import add_import_arguments, policy_from
from courses.selectors import section_get_by_number
from quizzes.authoring import QuizImportError, quiz_import_gift


class Command(BaseCommand):
    help = (
        "Import questions from a GIFT or Moodle XML file into a section's quizzes (one per "
        "$CATEGORY); a question that cannot be represented is skipped and named, the rest "
        "imports. Questions made or edited on the site, and answered questions' keys, are "
        "kept unless --overwrite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("section", help="section number, e.g. 4.2")
        parser.add_argument("file", type=Path, help="GIFT file (UTF-8) or Moodle XML file (.xml)")
        parser.add_argument("--course", dest="course_slug", help="course slug (needed if several)")
        parser.add_argument(
            "--quiz", dest="quiz_title", help="quiz title (default: from $CATEGORY)"
        )
        add_import_arguments(
            parser,
            overwrite_help=(
                "take the file's version even of questions edited or made on the site, and "
                "of answered questions' keys (answered questions are never removed)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            section = section_get_by_number(
                number=options["section"], course_slug=options["course_slug"]
            )
        except LookupError as error:
            raise CommandError(str(error)) from None
        try:
            report = quiz_import_gift(
                section=section,
                path=options["file"],
                quiz_title=options["quiz_title"],
                policy=policy_from(options),
                dry_run=options["dry_run"],
            )
        except QuizImportError as error:
            raise CommandError(str(error)) from None
        for line in report.lines():
            self.stdout.write(line)
        for problem in report.skipped:
            self.stderr.write(f"warning: skipped {problem}")
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was written")
