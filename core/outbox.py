"""The transactional outbox that webhook deliveries and LTI score deliveries share (a review
found it written twice, in webhooks/services.py and lti/grades.py).

A delivery is a row written in the transaction whose outcome it reports, so it commits or
rolls back with it and survives a broker outage. A sender claims the row (locked only for the
claim: the network call happens after it commits), posts it, and records the outcome: done,
tried again after an exponential back-off, or given up after its tries. A periodic sweep
queues the retries that are due and the rows a broker or a dead worker lost. "Send again"
makes a new row: the log keeps both. Every step is safe to run twice.

What differs stays with each app, passed in as hooks: the rows loaded with the delivery, the
checks before a claim (LTI: results held, a newer score, an earlier one in flight), how a
delivery is posted, its settings (tries, back-off), and what a sweep adds (webhooks: pending
events; LTI: scores whose results were released).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from celery import Task
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.db import TRANSIENT_ERRORS

# A delivery claimed this long ago and still `sending` died with its worker.
SENDING_STALE_AFTER = timedelta(seconds=60)
# A delivery still `pending` this long after it was created lost its task (broker down).
PENDING_STALE_AFTER = timedelta(seconds=30)
# Retries shorter than this wait in the worker (countdown); longer ones, for the sweep.
COUNTDOWN_LIMIT_SECONDS = 30.0
# Rows a sweep looks at per kind, so one sweep stays short after a long outage.
SWEEP_BATCH = 500

# The options of an outbox task (a send, a fan-out): transient database errors are retried by
# Celery; the HTTP timeout (5 s) is well below the short tasks' time limit.
TASK_OPTIONS: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "max_retries": 5,
    "soft_time_limit": settings.SHORT_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.SHORT_TASK_TIME_LIMIT,
}


class OutboxDelivery(models.Model):
    """The fields every outbox row has. Abstract: each app's table keeps its own name,
    columns and migrations (this base adds none)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        RETRYING = "retrying", _("waiting to retry")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    # Sent with the delivery (X-Zachet-Delivery; the AGS log): a new one for "send again".
    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    # (An app with more states, LTI's, declares its own Status and this field again.)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # When the current send was claimed: a send claimed long ago died with its worker.
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        abstract = True


D = TypeVar("D", bound=OutboxDelivery)
WAITING = (OutboxDelivery.Status.PENDING, OutboxDelivery.Status.RETRYING)


@dataclass(frozen=True)
class SendOutcome:
    delivery_id: int
    status: str
    # Seconds until the next try, when one is due.
    retry_in: float | None = None


# A queue function of an app: `queue(delivery_id=...)`, False when the broker cannot take it.
Queue = Callable[..., bool]


def retry_delay(*, base_seconds: float, attempts: int) -> float:
    """Seconds before the next try after `attempts` failed tries: BASE, 2 BASE, 4 BASE ..."""
    return float(base_seconds) * 2 ** max(0, attempts - 1)


def queue_on_commit(*, ids: Iterable[int], queue: Queue) -> None:
    """Queue the rows written in the current transaction once it commits."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: [queue(delivery_id=i) for i in ids])


def claim(
    *,
    model: type[D],
    delivery_id: int,
    now: datetime,
    related: Collection[str] = (),
    before_claim: Callable[[D, datetime], SendOutcome | None] | None = None,
) -> D | SendOutcome:
    """Claim a delivery that is due (`sending`, one more attempt), or say why not.

    `before_claim(delivery, now)` runs under the row's lock and may decide otherwise (an
    outcome, saved by it): the app's own ordering rules. A second sender of the same row
    waits for the first's claim to commit (FOR UPDATE, not SKIP LOCKED; SQLite: the write lock
    of BEGIN IMMEDIATE), then finds it `sending` and stops there."""
    with transaction.atomic():
        # Locked only to claim it: the network call happens after this commits. Of the row
        # only: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        delivery = (
            model._default_manager.select_for_update(of=("self",))
            .select_related(*related)
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return SendOutcome(delivery_id, "missing")
        if delivery.status not in WAITING:
            return SendOutcome(delivery_id, delivery.status)
        if delivery.next_attempt_at and delivery.next_attempt_at > now:
            wait = (delivery.next_attempt_at - now).total_seconds()
            return SendOutcome(delivery_id, delivery.status, retry_in=wait)
        if before_claim is not None:
            decided = before_claim(delivery, now)
            if decided is not None:
                return decided
        delivery.status = OutboxDelivery.Status.SENDING
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "claimed_at", "attempts"])
    return delivery


def outcome_record(
    *,
    delivery: OutboxDelivery,
    now: datetime,
    ok: bool,
    max_attempts: int,
    retry_base_seconds: float,
    give_up: bool = False,
    fields: Collection[str] = (),
) -> SendOutcome:
    """Store the outcome of a claimed delivery's send: succeeded, failed for good (its last
    try, or `give_up`), or retrying after the back-off. The app has set the response fields
    (`response_code`, `error` and its own `fields`) before."""
    delivery.claimed_at = None
    retry_in = None
    if ok:
        delivery.status = OutboxDelivery.Status.SUCCEEDED
        delivery.delivered_at = timezone.now()
        delivery.next_attempt_at = None
    elif delivery.attempts >= max_attempts or give_up:
        delivery.status = OutboxDelivery.Status.FAILED
        delivery.next_attempt_at = None
    else:
        retry_in = retry_delay(base_seconds=retry_base_seconds, attempts=delivery.attempts)
        delivery.status = OutboxDelivery.Status.RETRYING
        delivery.next_attempt_at = now + timedelta(seconds=retry_in)
    delivery.save(
        update_fields=[
            "status", "response_code", *fields, "error", "claimed_at", "delivered_at",
            "next_attempt_at",
        ]
    )  # fmt: skip
    return SendOutcome(delivery.pk, delivery.status, retry_in=retry_in)


def send_again(*, create: Callable[[], D], queue: Queue) -> D:
    """A new delivery made by `create` (a copy of an old one; the log keeps both), queued
    once it commits."""
    with transaction.atomic():
        again = create()
        queue_on_commit(ids=[again.pk], queue=queue)
    return again


def abandoned_requeue(
    *,
    model: type[OutboxDelivery],
    now: datetime,
    max_attempts: int,
    give_up_reason: Callable[[int], str],
    what: str,
    log: logging.Logger,
) -> None:
    """The sweep's first step: deliveries claimed long ago whose outcome was never stored
    (the worker died, or the database refused the result) are tried again.

    Each claim is a try (attempts): one whose every try ended so is given up after the tries
    it is allowed, with `give_up_reason(attempts)`, as grading work is (core.grading_work):
    not sent again every minute for ever. `what` names one in the app's `log` ("webhook
    delivery")."""
    abandoned = model._default_manager.filter(
        status=OutboxDelivery.Status.SENDING, claimed_at__lt=now - SENDING_STALE_AFTER
    )
    for delivery_id, attempts in abandoned.filter(attempts__gte=max_attempts).values_list(
        "pk", "attempts"
    )[:SWEEP_BATCH]:
        reason = give_up_reason(attempts)
        if abandoned.filter(pk=delivery_id).update(
            status=OutboxDelivery.Status.FAILED, claimed_at=None, next_attempt_at=None,
            error=reason,
        ):  # fmt: skip
            log.error("%s %s: %s", what, delivery_id, reason)
    abandoned.update(status=OutboxDelivery.Status.RETRYING, next_attempt_at=now, claimed_at=None)


def due(*, model: type[OutboxDelivery], now: datetime) -> list[int]:
    """The sweep's deliveries to queue: retries that are due, and pending ones that lost
    their task (the broker was down when they were written)."""
    rows = model._default_manager
    retries = rows.filter(status=OutboxDelivery.Status.RETRYING, next_attempt_at__lte=now)
    lost = rows.filter(
        status=OutboxDelivery.Status.PENDING, created_at__lt=now - PENDING_STALE_AFTER
    )
    return list(retries.values_list("pk", flat=True)[:SWEEP_BATCH]) + list(
        lost.values_list("pk", flat=True)[:SWEEP_BATCH]
    )


def task_result(task: Task, outcome: SendOutcome) -> str:
    """What a send task does with the outcome: a short back-off waits in the worker; longer
    ones are for the sweep (a long countdown outlives the broker's visibility timeout and
    would be delivered twice)."""
    if outcome.retry_in is not None and outcome.retry_in <= COUNTDOWN_LIMIT_SECONDS:
        raise task.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status
