"""Celery tasks of the `webhooks` queue: ids in, one service call each."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from core import outbox
from webhooks.services import deliveries_send_due, delivery_send, pending_event_fan_out


@shared_task(name="webhooks.tasks.fan_out_event", **outbox.TASK_OPTIONS)
def fan_out_event_task(pending_id: int) -> int:
    return len(pending_event_fan_out(pending_id=pending_id))


@shared_task(bind=True, name="webhooks.tasks.deliver", **outbox.TASK_OPTIONS)
def deliver_webhook_task(self: Task, delivery_id: int) -> str:
    return outbox.task_result(self, delivery_send(delivery_id=delivery_id))


@shared_task(
    name="webhooks.tasks.send_due_deliveries",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def send_due_deliveries_task() -> int:
    return deliveries_send_due()
