"""`manage.py import_exercise PATH --section 4.2`: an exercise folder, checked in the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.provenance import add_import_arguments, policy_from
from courses.selectors import section_get_by_number
from grader.services import ExerciseError, exercise_import


class Command(BaseCommand):
    help = (
        "Import an exercise folder (ours, or Exercism's Go/Python practice layout) into a "
        "section; the reference solution must pass and the starter must not, or it stays "
        "unpublished and the command fails. What was edited on the site, and the tests of an "
        "exercise learners have submitted to, are kept unless --overwrite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--section", required=True, help="section number, e.g. 4.2")
        parser.add_argument("--course", dest="course_slug", help="course slug (needed if several)")
        parser.add_argument("--no-publish", action="store_true", help="import but keep it hidden")
        add_import_arguments(
            parser,
            overwrite_help=(
                "take the folder's version even of what was edited on the site or what "
                "learners' submissions hang on"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            section = section_get_by_number(
                number=options["section"], course_slug=options["course_slug"]
            )
            result = exercise_import(
                path=options["path"],
                section=section,
                publish=not options["no_publish"],
                policy=policy_from(options),
                dry_run=options["dry_run"],
            )
        except (LookupError, ExerciseError) as error:
            raise CommandError(str(error)) from None
        for line in result.lines():
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write("dry run: nothing was written or run")
            return
        self.stdout.write(result.check.report)
        if not result.check.ok:
            raise CommandError(f"exercise {result.exercise.slug} failed its check; not published")
