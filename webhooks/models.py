"""Webhook endpoints and the log of their deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.outbox import OutboxDelivery


class Event(models.TextChoices):
    ATTEMPT_GRADED = "attempt.graded", _("attempt graded")
    SUBMISSION_GRADED = "submission.graded", _("submission graded")
    SECTION_COMPLETED = "section.completed", _("section completed")
    PART_COMPLETED = "part.completed", _("part completed")
    RESULTS_RELEASED = "results.released", _("results released")


class WebhookEndpoint(models.Model):
    """Where an integration wants events. It gets the events its owner may see."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("owner"),
    )
    url = models.URLField(_("URL"), max_length=500)
    # Kept in clear: it signs every delivery (HMAC needs the secret itself).
    secret = models.CharField(_("secret"), max_length=128)
    # A list of Event values.
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.owner} → {self.url}"


class WebhookDelivery(OutboxDelivery):
    """One event sent to one endpoint: an outbox row (core.outbox), sent as X-Zachet-Delivery
    by its `uuid`; a replay gets a new one."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    # The exact JSON text sent (signed as is).
    body = models.TextField(_("request body"))
    response_body = models.TextField(_("response body (excerpt)"), blank=True)
    replay_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replays",
        verbose_name=_("replay of"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"


class PendingEvent(models.Model):
    """An event written in the grading's own transaction, until it is fanned out.

    The outbox: if the broker is down when the grading commits, the row stays and
    the sweep (`deliveries_send_due`) fans it out later, so no event is lost.
    """

    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    object_id = models.BigIntegerField(_("object id"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("pending event")
        verbose_name_plural = _("pending events")

    def __str__(self) -> str:
        return f"{self.event} {self.object_id}"
