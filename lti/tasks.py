"""Celery tasks of LTI (the `webhooks` worker: they wait on the LMS): ids in, one call each."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from core import outbox
from lti.grades import score_deliveries_send_due, score_send
from lti.keys import tool_keys_advance
from lti.launch import login_states_purge
from lti.roster import roster_sync_run


@shared_task(
    name="lti.tasks.housekeeping",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def housekeeping_task() -> int:
    """Advance the key rotation; forget logins whose launch never came."""
    tool_keys_advance()
    return login_states_purge()


@shared_task(bind=True, name="lti.tasks.deliver_score", **outbox.TASK_OPTIONS)
def deliver_score_task(self: Task, delivery_id: int) -> str:
    return outbox.task_result(self, score_send(delivery_id=delivery_id))


@shared_task(
    name="lti.tasks.send_due_scores",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def send_due_scores_task() -> int:
    return score_deliveries_send_due()


# An LMS course's members, read page by page (thousands of members: minutes). Longer than the
# broker's visibility timeout, so acknowledged when taken (a second worker must not run it
# meanwhile); a sync lost with its worker is replaced by the next request
# (lti.roster.ROSTER_SYNC_STALE_AFTER).
@shared_task(name="lti.tasks.sync_roster", soft_time_limit=600, time_limit=660, acks_late=False)
def sync_roster_task(sync_id: int) -> str:
    return roster_sync_run(sync_id=sync_id)
