"""`manage.py export_gift SECTION [--xml]`: a section's quiz as GIFT (or Moodle XML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.selectors import section_get_by_number
from quizzes.authoring import quiz_export_gift, quiz_export_moodle_xml
from quizzes.gift import GiftError
from quizzes.models import Quiz


class Command(BaseCommand):
    help = "Write a section's quiz as a GIFT file, or Moodle XML with --xml (stdout or -o FILE)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("section", help="section number, e.g. 4.2")
        parser.add_argument("--course", dest="course_slug", help="course slug (needed if several)")
        parser.add_argument(
            "--quiz", dest="quiz_title", help="quiz title (if the section has several)"
        )
        parser.add_argument("-o", "--output", type=Path, help="file to write instead of stdout")
        parser.add_argument("--xml", action="store_true", help="write Moodle XML instead of GIFT")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            section = section_get_by_number(
                number=options["section"], course_slug=options["course_slug"]
            )
        except LookupError as error:
            raise CommandError(str(error)) from None
        quizzes = Quiz.objects.filter(section=section)
        if options["quiz_title"]:
            quizzes = quizzes.filter(title=options["quiz_title"])
        found = list(quizzes[:2])
        if len(found) != 1:
            raise CommandError(
                f"section {section.number} has {'no' if not found else 'several'} quizzes"
                + ("" if not found else ": pass --quiz TITLE")
            )
        if options["xml"]:
            text, skipped = quiz_export_moodle_xml(quiz=found[0])
            for why in skipped:
                self.stderr.write(f"warning: question {why}; left out")
        else:
            try:
                text, skipped = quiz_export_gift(quiz=found[0])
            except GiftError as error:
                raise CommandError(f"cannot write as GIFT: {error}") from None
            for title in skipped:
                self.stderr.write(
                    f"warning: question {title!r} has a type GIFT cannot express; left out"
                )
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
