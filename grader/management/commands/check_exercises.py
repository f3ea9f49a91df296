"""`manage.py check_exercises`: run every exercise's reference and starter; fail on any problem."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grader.models import CodingExercise
from grader.runners import runners_problems
from grader.services import exercise_check


class Command(BaseCommand):
    help = "Check all exercises (reference passes, starter fails); exit non-zero on any failure."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--course", dest="course_slug")

    def handle(self, *args: Any, **options: Any) -> None:
        exercises = CodingExercise.objects.select_related("section").order_by(
            "section__part__number", "section__order", "order"
        )
        if options["course_slug"]:
            exercises = exercises.filter(section__part__course__slug=options["course_slug"])
        if exercises.exists() and (problems := runners_problems()):
            # One line with the fix now, not the same internal error for every exercise.
            raise CommandError("\n".join(problems))
        failed = []
        for exercise in exercises:
            outcome = exercise_check(exercise=exercise)
            self.stdout.write(
                f"{exercise.section.number} {exercise.slug} [{exercise.integrity_level}]: "
                f"{outcome.report}"
            )
            if not outcome.ok:
                failed.append(exercise.slug)
        total = exercises.count()
        self.stdout.write(f"{total - len(failed)} of {total} exercises passed their check")
        forgeable = [e.slug for e in exercises if e.integrity_level == "in-process"]
        if forgeable:
            # Not a failure: the exercise's author chose it (docs/grader.md, "Integrity").
            self.stdout.write(
                f"{len(forgeable)} exercises run learner code beside their tests beyond the Go "
                f"policy, so a pass there can be forged: {', '.join(forgeable)}"
            )
        if failed:
            raise CommandError(f"{len(failed)} exercises failed their check: {', '.join(failed)}")
