"""Handing work to the broker from a service, where a periodic sweep is the safety net."""

from __future__ import annotations

import contextlib
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
BROKER_CHECK_TIMEOUT = 2


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


def queue_waiting(task_name: str) -> int | None:
    """Messages waiting in the broker queue `task_name` is routed to (Redis or RabbitMQ:
    kombu's passive queue declare); None when the broker cannot tell now.

    A queue the broker does not have holds nothing (a Redis list is deleted when emptied, a
    RabbitMQ restart drops a queue until a worker declares it again): 0."""
    from celery import current_app
    from kombu.exceptions import ChannelError

    try:
        queue = current_app.amqp.router.route({}, task_name)["queue"].name
        with current_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_CHECK_TIMEOUT)
            channel: Any = connection.channel()  # (kombu's stubs type it StdChannel)
            try:
                return int(channel.queue_declare(queue=queue, passive=True).message_count)
            except ChannelError as error:
                if "NOT_FOUND" in str(error) or getattr(error, "code", None) == 404:
                    return 0
                raise
            finally:
                with contextlib.suppress(Exception):
                    channel.close()
    except Exception:  # the broker is down or slow: the caller falls back to its slow rule
        logger.warning("could not read the depth of %s's queue", task_name, exc_info=True)
        return None
