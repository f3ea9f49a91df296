"""Reads of webhooks: a user's endpoints and their deliveries (the API lists them)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoints_of(user: Any) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=user).order_by("id")


def deliveries_of(user: Any) -> QuerySet[WebhookDelivery]:
    """The deliveries to `user`'s endpoints, the newest first."""
    return WebhookDelivery.objects.filter(endpoint__owner=user).order_by("-created_at", "-id")
