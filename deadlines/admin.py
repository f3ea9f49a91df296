"""Groups of learners in the admin (saved through deadlines.services.group_save: members must
be the course's learners); extensions and results releases are shown, never edited here
(every grant and release is a record: who, when, why)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from deadlines.models import CourseGroup, Extension, ResultsRelease
from deadlines.services import group_save


class CourseGroupForm(forms.ModelForm):
    class Meta:
        model = CourseGroup
        fields = ["course", "name", "members"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        course, name = cleaned.get("course"), cleaned.get("name")
        if course is not None and name:
            # The service's own checks, on the form's fields, before anything is written.
            self.group_input = (course, name, list(cleaned.get("members") or []))
            try:
                _check_only(*self.group_input, group=self.instance if self.instance.pk else None)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return cleaned


def _check_only(course: Any, name: str, members: list[Any], *, group: Any) -> None:
    # group_save in a transaction that is rolled back: its checks, nothing kept.
    with transaction.atomic():
        group_save(course=course, name=name, members=members, group=group)
        transaction.set_rollback(True)


@admin.register(CourseGroup)
class CourseGroupAdmin(admin.ModelAdmin):
    form = CourseGroupForm
    list_display = ["name", "course", "created_at"]
    list_filter = ["course"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        course, name, members = form.group_input
        saved = group_save(course=course, name=name, members=members, group=obj if obj.pk else None)
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The members were set by group_save."""


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    list_display = ["course", "learner", "group", "quiz", "exercise", "due_at", "granted_by",
                    "granted_at"]  # fmt: skip
    list_filter = ["course"]


@admin.register(ResultsRelease)
class ResultsReleaseAdmin(ReadOnlyAdmin):
    list_display = ["quiz", "exercise", "released_by", "released_at"]
