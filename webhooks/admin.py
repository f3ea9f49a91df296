"""Admin for webhooks: endpoints (switched on and off here; URLs and events change through
the API, which checks them) and the delivery log, with replay."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import delivery_replay, endpoint_cache_clear, endpoint_update


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "events", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("url", "owner__username", "description")
    list_select_related = ("owner",)
    # The secret is never shown: it signs deliveries and only its owner knows it.
    fields = ("owner", "url", "events", "description", "is_active", "created_at", "updated_at")
    readonly_fields = ("owner", "url", "events", "created_at", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        changes = {name: getattr(obj, name) for name in form.changed_data}
        endpoint_update(endpoint=obj, **changes)
        endpoint_cache_clear()


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "uuid", "endpoint", "event", "status", "attempts", "response_code", "created_at",
        "delivered_at",
    )  # fmt: skip
    list_filter = ("status", "event", "created_at")
    search_fields = ("uuid", "endpoint__url")
    list_select_related = ("endpoint",)
    actions = ["replay"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send the selected deliveries again"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset.select_related("endpoint"):
            delivery_replay(delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext("%d delivery queued again.", "%d deliveries queued again.", count) % count,
            messages.SUCCESS,
        )
