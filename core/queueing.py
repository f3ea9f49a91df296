"""Handing work to the broker from a service, where a periodic sweep is the safety net."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def enqueue(task: Any, *args: Any, what: str, countdown: float = 0) -> bool:
    """Send `task(*args)` once, without waiting on a broker that is down or slow.

    False (logged) when the broker cannot take it now: the work stays recorded in the
    database and the periodic sweep of its app queues it later, so no caller fails.
    """
    try:
        task.apply_async(args=args, countdown=countdown or None, retry=False)
    except Exception:  # the broker is down or slow: the sweep will queue it later
        logger.warning("could not queue %s; the sweep will", what, exc_info=True)
        return False
    return True
