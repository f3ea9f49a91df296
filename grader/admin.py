"""Admin for coding exercises (saved and checked through the service) and submissions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core.admin_search import SearchIgnoresCase
from core.admin_writes import DeletesThroughService
from grader.editor_forms import ExerciseFiles
from grader.models import CodingExercise, Submission
from grader.services import (
    ExerciseError,
    exercise_check,
    exercise_deletable,
    exercise_delete,
    exercise_save,
)


class ExerciseFilesWidget(forms.Widget):
    """The exercise's files as rows of a name and a code editor (grader/_exercise_files.html,
    as on the teaching pages), not JSON dictionaries typed into text boxes."""

    files: ExerciseFiles
    language: str = ""

    class Media:
        css = {"all": ("code-editor/code-editor.css",)}
        js = ("code-editor/code-editor.min.js",)

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        context = {"files": self.files, "language": self.language}
        html = render_to_string("grader/_exercise_files.html", context)
        return mark_safe(html)  # noqa: S308 - a template's output, escaped by the template

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return None  # the rows are read by ExerciseFiles, from the whole post


class CodingExerciseForm(forms.ModelForm):
    code_files = forms.Field(label=_("Files"), required=False, widget=ExerciseFilesWidget)

    class Meta:
        model = CodingExercise
        fields = (
            "section", "slug", "title", "statement", "language", "allowances", "cpu_seconds",
            "wall_seconds", "memory_mb", "output_kb", "scoring", "points", "order",
            "is_published",
        )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound:
            action = self.data.get("action", "")
            self.exercise_files = ExerciseFiles(
                data=self.data, add_role=action.removeprefix("add-")
            )
        else:
            self.exercise_files = ExerciseFiles(exercise=self.instance)
        widget = self.fields["code_files"].widget
        assert isinstance(widget, ExerciseFilesWidget)
        widget.files = self.exercise_files
        widget.language = str(self["language"].value() or "")

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        language = (cleaned or {}).get("language") or self.instance.language
        if self.data.get("action", "").startswith("add-"):  # "add a file": not a save
            self.add_error("code_files", _("A file was added; fill it in and save."))
        elif self.exercise_files.is_valid(language=language):
            for field_name, value in self.exercise_files.files().items():
                setattr(self.instance, field_name, value)
        else:
            self.add_error("code_files", _("Some files need fixing: see the messages below."))
        return cleaned


@admin.register(CodingExercise)
class CodingExerciseAdmin(SearchIgnoresCase, DeletesThroughService):
    form = CodingExerciseForm
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
