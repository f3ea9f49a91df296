"""`manage.py load_demo`: the demo course (Part 4 of "Go для C# разработчиков") and demo users.

Idempotent: run it again and it changes nothing (or updates the demo content in place).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from courses.services import CourseImportError, course_import

DEMO_COURSE_DIR = Path(settings.BASE_DIR) / "demo" / "course"
DEMO_COURSE_SLUG = "go-for-csharp"
DEMO_USERS = {
    # username: (password, is instructor)
    "learner": ("learner-demo-2026", False),
    "instructor": ("instructor-demo-2026", True),
}
INSTRUCTOR_GROUP = "Instructors"
INSTRUCTOR_APPS = ("courses", "quizzes", "grader")


class Command(BaseCommand):
    help = "Load the demo course and a demo learner and instructor."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = course_import(path=DEMO_COURSE_DIR, course_slug=DEMO_COURSE_SLUG)
        except CourseImportError as error:
            raise CommandError(str(error)) from None
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"demo course: {report.lines()[-1]}")

        group, _ = Group.objects.get_or_create(name=INSTRUCTOR_GROUP)
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
                self.stdout.write(f"demo user {username} created")
