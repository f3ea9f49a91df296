"""Periodic housekeeping of the API."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from api.services import idempotency_records_purge


@shared_task(
    name="api.tasks.purge_idempotency_records",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def purge_idempotency_records_task() -> int:
    return idempotency_records_purge()
