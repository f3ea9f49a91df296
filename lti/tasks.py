"""Celery tasks of LTI (the `webhooks` worker: they wait on the LMS): ids in, one call each."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from lti.keys import tool_keys_advance
from lti.launch import login_states_purge


@shared_task(
    name="lti.tasks.housekeeping",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def housekeeping_task() -> int:
    """Advance the key rotation; forget logins whose launch never came."""
    tool_keys_advance()
    return login_states_purge()
