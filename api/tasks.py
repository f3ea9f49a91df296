"""Periodic housekeeping of the API."""

from __future__ import annotations

from celery import shared_task

from api.services import idempotency_records_purge


@shared_task(name="api.tasks.purge_idempotency_records", soft_time_limit=25, time_limit=30)
def purge_idempotency_records_task() -> int:
    return idempotency_records_purge()
