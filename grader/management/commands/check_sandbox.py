"""`manage.py check_sandbox`: can learner code run here? One line per problem, with its fix."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from grader.runners import runners_problems


class Command(BaseCommand):
    help = "Start Python and Go in the sandbox once; exit non-zero, saying why, if either fails."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = runners_problems()
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("sandbox: Python and Go code runs work here")
