"""Celery tasks of the regrade queue: one batch per task, then the next batch queued."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from core.queueing import enqueue
from teaching.regrade import regrade_apply_step, regrade_compute_step

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def _regrade_task(name: str) -> Any:
    """A task that does one batch of a regrade's step, then queues itself for the next."""
    return shared_task(
        name=name,
        autoretry_for=TRANSIENT_ERRORS,
        retry_backoff=True,
        max_retries=8,
        soft_time_limit=settings.TASK_SOFT_TIME_LIMIT,
        time_limit=settings.TASK_TIME_LIMIT,
    )


def _then_next(task: Any, job_id: int, more: bool) -> bool:
    if more:
        enqueue(task, job_id, what=f"{task.name} of regrade {job_id}")
    return more


@_regrade_task("teaching.tasks.regrade_compute")
def regrade_compute_task(job_id: int) -> bool:
    return _then_next(regrade_compute_task, job_id, regrade_compute_step(job_id=job_id))


@_regrade_task("teaching.tasks.regrade_apply")
def regrade_apply_task(job_id: int) -> bool:
    return _then_next(regrade_apply_task, job_id, regrade_apply_step(job_id=job_id))
