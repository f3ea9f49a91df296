"""Serializers of webhook endpoints and deliveries for /api/v1/."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from webhooks.models import Event, WebhookDelivery, WebhookEndpoint


class EndpointSerializer(serializers.ModelSerializer):
    url = serializers.URLField(max_length=500)
    secret = serializers.CharField(
        min_length=16,
        max_length=128,
        write_only=True,
        help_text=_("Signs every delivery (X-Zachet-Signature); never shown again."),
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), min_length=1, max_length=10
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "secret", "events", "description", "is_active", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class DeliverySerializer(serializers.ModelSerializer):
    delivery = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "delivery", "endpoint", "event", "body", "status", "attempts",
            "next_attempt_at", "response_code", "response_body", "error", "replay_of",
            "created_at", "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields
