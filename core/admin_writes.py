"""Admin deletes that go through an app's authoring service, as the API's do."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest


class DeletesThroughService(admin.ModelAdmin):
    """`deletable(obj)` says whether learners' work hangs on it (then the admin offers no
    delete, and Django's "delete selected" refuses the whole batch: 403); `delete(obj)` is
    the service, which does what must follow a delete (progress, caches)."""

    def deletable(self, obj: Any) -> bool:
        raise NotImplementedError

    def delete(self, obj: Any) -> None:
        raise NotImplementedError

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or self.deletable(obj))

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self.delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:  # each through the service, never one SQL DELETE
            self.delete(obj)
