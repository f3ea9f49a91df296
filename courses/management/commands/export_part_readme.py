"""`manage.py export_part_readme PART`: render a part's README from the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.models import Part
from courses.readme_export import part_readme_render


class Command(BaseCommand):
    help = "Write a part's README (status computed from its sections) to stdout or a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("part", type=int, help="part number, e.g. 4")
        parser.add_argument("--course", dest="course_slug", help="course slug (needed if several)")
        parser.add_argument("-o", "--output", type=Path, help="file to write instead of stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        parts = Part.objects.select_related("course").filter(number=options["part"])
        if options["course_slug"]:
            parts = parts.filter(course__slug=options["course_slug"])
        found = list(parts[:2])
        if not found:
            raise CommandError(
                f"no part {options['part']}"
                + (f" in course {options['course_slug']!r}" if options["course_slug"] else "")
            )
        if len(found) > 1:
            raise CommandError(f"part {options['part']} exists in several courses: pass --course")
        text = part_readme_render(part=found[0])
        if options["output"]:
            options["output"].write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")
