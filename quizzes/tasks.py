"""Celery tasks of the quiz queue: ids in, one service call, retries for transient errors."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import celeryd_after_setup
from django.conf import settings

from core.db import TRANSIENT_ERRORS, asynchronous_commit_for_every_transaction
from core.logs import work_logging
from quizzes.services import (
    attempt_grade_or_retry,
    attempts_requeue_lost,
    attempts_requeue_stuck,
    attempts_submit_expired,
)

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="quizzes.tasks.grade_attempt",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=8,
    # Well below the broker's visibility timeout: a slow run is not delivered twice.
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def grade_attempt_task(self: Task, attempt_id: int, claim: bool = False) -> str:
    # claim: a re-delivery from the sweep (quizzes.services.attempt_queue_grading)
    with work_logging(attempt_id=attempt_id):
        outcome = attempt_grade_or_retry(attempt_id=attempt_id, claim=claim)
    if outcome.retry:
        # An internal error is never the learner's fault: run it again shortly.
        raise self.retry(countdown=2, max_retries=None)
    return outcome.status


@shared_task(
    name="quizzes.tasks.submit_expired_attempts",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def submit_expired_attempts_task() -> int:
    return attempts_submit_expired()


@shared_task(
    name="quizzes.tasks.requeue_lost_attempts",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def requeue_lost_attempts_task() -> int:
    return attempts_requeue_lost()


@shared_task(
    name="quizzes.tasks.requeue_stuck_attempts",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def requeue_stuck_attempts_task() -> int:
    return attempts_requeue_stuck()


@celeryd_after_setup.connect
def quiz_worker_commits_asynchronously(
    sender: Any = None, instance: Any = None, **kwargs: Any
) -> None:
    """A worker serving only the quiz queue runs gradings, sweeps and reconciliations, all
    redone if a database crash loses their commit: its connections commit asynchronously
    (set before the pool forks, so every process has it)."""
    consuming = set(instance.app.amqp.queues.consume_from or ()) if instance else set()
    if consuming == {"quiz"}:
        asynchronous_commit_for_every_transaction()
