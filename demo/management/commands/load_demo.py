"""`manage.py load_demo`: the demo course (Part 4 of "Go для C# разработчиков") and demo users.

It only ever adds: run again, it creates what is missing (a section, a quiz, a question, an
exercise, a user) and leaves everything that exists as it is, edited or not, so nothing an
instructor made or changed on the site is lost (core.provenance's ADD_ONLY). `--if-new` (what
`./bin/run` passes at every start) does nothing once the demo course is there, so a demo
question an instructor deleted is not brought back either.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.provenance import ImportPolicy
from courses.services import CourseImportError, course_import

DEMO_COURSE_DIR = Path(settings.BASE_DIR) / "demo" / "course"
# One GIFT file per section: demo/quizzes/4.2.gift is the quiz of section 4.2.
DEMO_QUIZZES_DIR = Path(settings.BASE_DIR) / "demo" / "quizzes"
# Exercise folders named after their section: demo/exercises/4.2-ttl-cache.
DEMO_EXERCISES_DIR = Path(settings.BASE_DIR) / "demo" / "exercises"
DEMO_COURSE_SLUG = "go-for-csharp"
DEMO_USERS = {
    # username: (password, is instructor)
    "learner": ("learner-demo-2026", False),
    "instructor": ("instructor-demo-2026", True),
}
INSTRUCTOR_GROUP = "Instructors"
INSTRUCTOR_APPS = ("courses", "quizzes", "grader")


class Command(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-exercises",
            action="store_true",
            help="skip the coding exercises (their import runs each one in the sandbox)",
        )
        parser.add_argument(
            "--if-new",
            action="store_true",
            help="do nothing if the demo course is already there (./bin/run at each start)",
        )

    def _load_exercises(self) -> None:
        from courses.selectors import section_get_by_number
        from grader.services import ExerciseError, exercise_import

        for path in sorted(p for p in DEMO_EXERCISES_DIR.iterdir() if p.is_dir()):
            number = path.name.split("-", 1)[0]
            section = section_get_by_number(number=number, course_slug=DEMO_COURSE_SLUG)
            try:
                result = exercise_import(path=path, section=section, policy=ImportPolicy.ADD_ONLY)
            except ExerciseError as error:
                raise CommandError(str(error)) from None
            if not result.created and result.exercise.is_published:
                continue  # there already, as an instructor left it
            if result.check.ok:
                self.stdout.write(f"demo exercise {path.name}: ok")
            else:
                # Not fatal: the site still runs (say, on a machine without bubblewrap);
                # the exercise stays unpublished. CI runs check_exercises, which fails.
                first_line = result.check.report.splitlines()[0]
                self.stderr.write(f"warning: demo exercise {path.name} not published: {first_line}")

    def _load_quizzes(self) -> None:
        from courses.selectors import section_get_by_number
        from quizzes.authoring import QuizImportError, question_upsert, quiz_import_gift
        from quizzes.models import Quiz

        for path in sorted(DEMO_QUIZZES_DIR.glob("*.gift")):
            section = section_get_by_number(number=path.stem, course_slug=DEMO_COURSE_SLUG)
            try:
                report = quiz_import_gift(section=section, path=path, policy=ImportPolicy.ADD_ONLY)
            except QuizImportError as error:
                raise CommandError(str(error)) from None
            if report.skipped:  # (the demo must import whole)
                raise CommandError("\n".join(report.skipped))
            for quiz_report in report.quizzes:
                self.stdout.write(f"demo quiz {path.stem}: {quiz_report.lines()[-1]}")
        # Ordering questions: GIFT has no syntax for them.
        extra = json.loads((DEMO_QUIZZES_DIR / "extra-questions.json").read_text(encoding="utf-8"))
        for item in extra["questions"]:
            section = section_get_by_number(number=item["section"], course_slug=DEMO_COURSE_SLUG)
            quiz = Quiz.objects.filter(section=section).order_by("id").first()
            if quiz is None:
                raise CommandError(f"no demo quiz in section {item['section']}")
            fields = {
                "type": item["type"],
                "text": item["text"],
                "text_format": "markdown",
                "points": Decimal(item["points"]),
                "explanation": item["explanation"],
                "spec": item["spec"],
                "order": 1000,
            }
            try:
                _question, changed, _kept = question_upsert(
                    quiz=quiz, title=item["title"], fields=fields, policy=ImportPolicy.ADD_ONLY
                )
            except QuizImportError as error:
                raise CommandError(str(error)) from None
            if changed:
                self.stdout.write(f"demo question {item['title']}: saved")

    help = "Load the demo course and a demo learner and instructor."

    def handle(self, *args: Any, **options: Any) -> None:
        from courses.models import Course

        if options["if_new"] and Course.objects.filter(slug=DEMO_COURSE_SLUG).exists():
            self.stdout.write(
                f"demo course {DEMO_COURSE_SLUG!r} is already here: not loaded again "
                "(manage.py load_demo adds what is missing from it)"
            )
            return
        with transaction.atomic():
            self._load_content()
        # Outside the transaction: each exercise runs in the sandbox for a while.
        if not options["no_exercises"]:
            self._load_exercises()

    def _load_content(self) -> None:
        try:
            report = course_import(
                path=DEMO_COURSE_DIR, course_slug=DEMO_COURSE_SLUG, policy=ImportPolicy.ADD_ONLY
            )
        except CourseImportError as error:
            raise CommandError(str(error)) from None
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"demo course: {report.lines()[-1]}")
        course = report.course
        assert course is not None  # course_import always sets it
        self._load_quizzes()

        # A group or a user that exists is left as an administrator set it.
        group, new_group = Group.objects.get_or_create(name=INSTRUCTOR_GROUP)
        if new_group:
            group.permissions.set(
                Permission.objects.filter(content_type__app_label__in=INSTRUCTOR_APPS)
            )
        user_model = get_user_model()
        for username, (password, instructor) in DEMO_USERS.items():
            user, created = user_model.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_staff = instructor
                user.save()
                if instructor:
                    user.groups.add(group)
                    course.instructors.add(user)
                self.stdout.write(f"demo user {username} created")
            if not instructor:
                self._enrol(user, course)

    def _enrol(self, learner: Any, course: Any) -> None:
        """The demo learner is enrolled in the demo course, as a learner who signed up and
        enrolled would be: their dashboard shows it at first login. Added when missing (an
        existing learner too: databases loaded before this), never changed or removed."""
        from progress.models import Enrollment
        from progress.services import enrollment_create

        if Enrollment.objects.filter(learner=learner, course=course).exists():
            return
        enrollment_create(learner=learner, course=course)
        self.stdout.write(f"demo user {learner.username} enrolled in {course.slug}")
