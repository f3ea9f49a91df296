"""Celery tasks for progress: the periodic reconciliation, and sections whose items changed."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from core.db import TRANSIENT_ERRORS
from progress.services import items_recount, progress_reconcile, sections_refresh


# Longer than the broker's visibility timeout: acknowledged when taken, or Redis would hand
# it to a second worker while it runs. A reconciliation lost to a crash runs next hour.
@shared_task(name="progress.tasks.reconcile", soft_time_limit=600, time_limit=660, acks_late=False)
def reconcile_progress_task() -> dict[str, int]:
    result = progress_reconcile()
    return {
        "items_checked": result.items_checked,
        "items_fixed": result.items_fixed,
        "sections_checked": result.sections_checked,
        "sections_fixed": result.sections_fixed,
    }


# While an exercise of the sections is being checked, wait for its outcome (10 s at a time,
# up to 10 minutes), then refresh with whatever the database says.
CHECK_WAIT_SECONDS = 10
CHECK_WAITS = 60


# Below the broker's visibility timeout: a longer one would be delivered again while it
# runs. (The hourly reconciliation covers the rest.)
@shared_task(
    bind=True,
    name="progress.tasks.refresh_sections",
    soft_time_limit=settings.TASK_SOFT_TIME_LIMIT,
    time_limit=settings.TASK_TIME_LIMIT,
)
def refresh_sections_task(self: Task, section_ids: list[int]) -> int:
    waited_enough = self.request.retries >= CHECK_WAITS
    changed = sections_refresh(section_ids=section_ids, wait_for_checks=not waited_enough)
    if changed is None:
        raise self.retry(countdown=CHECK_WAIT_SECONDS, max_retries=CHECK_WAITS + 1)
    return changed


# An item's exam mode changed: its learners recounted at once (each learner in a short
# transaction; running twice recounts the same), or, for a course, part or section, one such
# task queued per item below it. Below the visibility timeout, like the above.
@shared_task(
    name="progress.tasks.recount_items",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=settings.TASK_SOFT_TIME_LIMIT,
    time_limit=settings.TASK_TIME_LIMIT,
)
def recount_items_task(level: str, pk: int) -> int:
    return items_recount(level=level, pk=pk)
