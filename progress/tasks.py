"""Celery tasks for progress: the periodic reconciliation, and sections whose items changed."""

from __future__ import annotations

from celery import shared_task

from progress.services import progress_reconcile, sections_refresh


@shared_task(name="progress.tasks.reconcile", soft_time_limit=600, time_limit=660)
def reconcile_progress_task() -> dict[str, int]:
    result = progress_reconcile()
    return {
        "items_checked": result.items_checked,
        "items_fixed": result.items_fixed,
        "sections_checked": result.sections_checked,
        "sections_fixed": result.sections_fixed,
    }


@shared_task(name="progress.tasks.refresh_sections", soft_time_limit=600, time_limit=660)
def refresh_sections_task(section_ids: list[int]) -> int:
    return sections_refresh(section_ids=section_ids)
