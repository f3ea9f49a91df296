"""Celery tasks of the `webhooks` queue: ids in, one service call each."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from core.db import TRANSIENT_ERRORS
from webhooks.services import (
    COUNTDOWN_LIMIT_SECONDS,
    deliveries_send_due,
    delivery_send,
    pending_event_fan_out,
)


@shared_task(
    name="webhooks.tasks.fan_out_event",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def fan_out_event_task(pending_id: int) -> int:
    return len(pending_event_fan_out(pending_id=pending_id))


@shared_task(
    bind=True,
    name="webhooks.tasks.deliver",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
    # The HTTP timeout is 5 s; well below the broker's 45 s visibility timeout.
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def deliver_webhook_task(self: Task, delivery_id: int) -> str:
    outcome = delivery_send(delivery_id=delivery_id)
    if outcome.retry_in is not None and outcome.retry_in <= COUNTDOWN_LIMIT_SECONDS:
        # A short back-off waits here; longer ones are picked up by the sweep (a
        # long countdown outlives Redis's visibility timeout and is delivered twice).
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.status


@shared_task(
    name="webhooks.tasks.send_due_deliveries",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def send_due_deliveries_task() -> int:
    return deliveries_send_due()
