"""Celery tasks of the regrade queue: one batch per task, then the next batch queued."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from core.db import TRANSIENT_ERRORS
from core.queueing import enqueue
from teaching.deadlines import releases_due_notice
from teaching.regrade import (
    regrade_apply_step,
    regrade_compute_step,
    regrade_failed,
    regrades_resume_stalled,
)

logger = logging.getLogger(__name__)


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


def _step(task: Any, job_id: int, step: Any) -> bool:
    try:
        more = step(job_id=job_id)
    except (*TRANSIENT_ERRORS, SoftTimeLimitExceeded):
        raise  # retried (a batch that ran out of time is done again, in the next task)
    except Exception as error:  # would fail the same way again: the job says why and stops
        logger.exception("regrade %s failed", job_id)
        regrade_failed(job_id=job_id, error=f"{type(error).__name__}: {error}")
        return False
    return _then_next(task, job_id, more)


@_regrade_task("teaching.tasks.regrade_compute")
def regrade_compute_task(job_id: int) -> bool:
    return _step(regrade_compute_task, job_id, regrade_compute_step)


@_regrade_task("teaching.tasks.regrade_apply")
def regrade_apply_task(job_id: int) -> bool:
    return _step(regrade_apply_task, job_id, regrade_apply_step)


@shared_task(
    name="teaching.tasks.resume_stalled_regrades",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def resume_stalled_regrades_task() -> int:
    return regrades_resume_stalled()


@shared_task(
    name="teaching.tasks.notice_due_releases",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
    soft_time_limit=settings.TASK_SOFT_TIME_LIMIT,
    time_limit=settings.TASK_TIME_LIMIT,
)
def notice_due_releases_task() -> int:
    """Exam-mode results whose release date passed: their webhook event and recount, once."""
    return releases_due_notice()
