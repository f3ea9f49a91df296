"""Extensions and results releases in the admin: shown, never edited here (every grant and
release is a record: who, when, why). Groups of learners are in teaching/admin.py, beside the
service they save through (teaching.deadlines.group_save)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from deadlines.models import Extension, ReleaseNotice, ResultsRelease


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


@admin.register(ReleaseNotice)
class ReleaseNoticeAdmin(ReadOnlyAdmin):
    list_display = ["quiz", "exercise", "release", "release_at", "created_at"]
