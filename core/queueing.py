"""Handing work to the broker from a service, where a periodic sweep is the safety net."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from django.conf import settings
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from core.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

# A stopped broker accepts connections and never answers: kombu would wait out its socket
# timeout (5 s, which its workers' blocking reads need). A publish therefore runs on a
# thread of its own and the caller waits at most ENQUEUE_TIMEOUT_SECONDS; after a publish
# that failed slowly, publishes are skipped for a few seconds (the sweeps queue the work).
broker_breaker = CircuitBreaker("the broker", open_seconds=5.0)
_publisher = ThreadPoolExecutor(max_workers=4, thread_name_prefix="enqueue")


def _publish(task: Any, args: tuple[Any, ...], countdown: float) -> None:
    task.apply_async(args=args, countdown=countdown or None, retry=False)


def _late_outcome(future: Future[None]) -> None:
    error = future.exception()
    if error is None:
        broker_breaker.succeeded()
    elif isinstance(error, (OSError, OperationalError, RedisError)):
        broker_breaker.failed(error)


def enqueue(task: Any, *args: Any, what: str, countdown: float = 0) -> bool:
    """Send `task(*args)` once, without waiting on a broker that is down or slow.

    False (logged) when the broker cannot take it now: the work stays recorded in the
    database and the periodic sweep of its app queues it later, so no caller fails. A publish
    still under way when the caller stops waiting may yet arrive: tasks are safe to run twice.
    """
    if not broker_breaker.allows():
        logger.warning(
            "could not queue %s (the broker did not answer just now); the sweep will", what
        )
        return False
    started = time.monotonic()
    future = _publisher.submit(_publish, task, args, countdown)
    try:
        future.result(timeout=settings.ENQUEUE_TIMEOUT_SECONDS)
    except FutureTimeout:
        # Slow, not necessarily gone (a loaded machine): the breaker opens only if this
        # publish fails in the end, so a busy moment does not hold back the next publishes.
        future.add_done_callback(_late_outcome)
        logger.warning("could not queue %s in time; the sweep will if it does not arrive", what)
        return False
    except (OSError, OperationalError, RedisError) as error:  # the broker is down
        # A refusal is quick and costs the caller nothing: only a slow failure (a broker
        # that does not answer) makes the next publishes skip it.
        if time.monotonic() - started >= settings.ENQUEUE_TIMEOUT_SECONDS / 2:
            broker_breaker.failed(error)
        logger.warning("could not queue %s; the sweep will", what, exc_info=True)
        return False
    except Exception:  # anything else: not the broker's fault, still never the caller's
        logger.exception("could not queue %s; the sweep will", what)
        return False
    broker_breaker.succeeded()
    return True
