"""Admin for coding exercises (saved and checked through the service) and submissions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.admin_search import SearchIgnoresCase
from core.admin_writes import DeletesThroughService
from grader.models import CodingExercise, Submission
from grader.services import (
    ExerciseError,
    exercise_check,
    exercise_deletable,
    exercise_delete,
    exercise_save,
)


@admin.register(CodingExercise)
class CodingExerciseAdmin(SearchIgnoresCase, DeletesThroughService):
    list_display = (
        "title", "section", "language", "scoring", "check_status", "is_published", "integrity",
    )  # fmt: skip
    list_filter = ("language", "check_status", "is_published", "section__part__course")
    search_fields = ("title", "slug")
    list_select_related = ("section",)
    readonly_fields = ("check_status", "check_report", "checked_at", "source_path", "integrity")

    @admin.display(description=_("integrity"))
    def integrity(self, obj: CodingExercise) -> str:
        return obj.get_integrity_level_display()

    actions = ["check_again"]

    def save_model(
        self, request: HttpRequest, obj: CodingExercise, form: Any, change: bool
    ) -> None:
        # Every save runs the reference and the starter in the sandbox; an
        # exercise whose check fails is saved unpublished, with the report shown.
        try:
            outcome = exercise_save(exercise=obj)
        except ExerciseError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        level = messages.SUCCESS if outcome.ok else messages.ERROR
        self.message_user(request, outcome.report.splitlines()[0], level)

    # Learners' submissions hang on it: unpublish it instead.
    def deletable(self, obj: CodingExercise) -> bool:
        return exercise_deletable(obj)

    def delete(self, obj: CodingExercise) -> None:
        exercise_delete(exercise=obj)

    @admin.action(description=_("Check the selected exercises again"))
    def check_again(self, request: HttpRequest, queryset: QuerySet[CodingExercise]) -> None:
        for exercise in queryset:
            outcome = exercise_check(exercise=exercise)
            self.message_user(
                request,
                f"{exercise}: {outcome.report.splitlines()[0]}",
                messages.SUCCESS if outcome.ok else messages.ERROR,
            )


@admin.register(Submission)
class SubmissionAdmin(SearchIgnoresCase):
    list_display = (
        "exercise", "learner", "status", "verdict", "score", "created_at", "runs", "requeues",
    )  # fmt: skip
    list_filter = ("status", "verdict", "exercise__language")
    search_fields = ("learner__username", "exercise__title")
    list_select_related = ("exercise__section", "learner")
    readonly_fields = [f.name for f in Submission._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
