"""Handing work to the broker from a service, where a periodic sweep is the safety net."""

from __future__ import annotations

import contextlib
import json
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


def held_by_dead_workers_restore(*, older_than: float) -> int | None:
    """Redis only: give back to their queues, at once, the messages held unacknowledged for
    over `older_than` seconds by no worker that answers; how many (None: not Redis, or it
    could not tell now).

    Redis gives a message a worker took back only after the visibility timeout (45 s), the
    same for a worker that died with it as for one that is still running it. The workers
    that answer Celery's remote control (`inspect`: the tasks they run, hold for their pool,
    and keep for a later time) say which messages are alive; any other one held that long is
    a dead (killed, lost, frozen) worker's. Each is given back in kombu's own transaction,
    which does nothing if its worker acknowledged it meanwhile. A live worker too slow to
    answer has its message delivered twice: every task is safe to run twice, and a code run
    is not started twice (its claim's lease: grader.services). RabbitMQ needs none of this:
    it gives a message back as soon as its worker's connection drops."""
    from celery import current_app

    try:
        with current_app.connection_for_write() as connection:
            if connection.transport.driver_type != "redis":
                return None
            connection.ensure_connection(max_retries=1, timeout=BROKER_CHECK_TIMEOUT)
            channel: Any = connection.default_channel
            client = channel.client
            tags = client.zrangebyscore(channel.unacked_index_key, 0, time.time() - older_than)
            if not tags:
                return 0  # the common case: one Redis command, no worker asked
            alive = _task_ids_held_by_live_workers()
            if alive is None:
                return None
            restored = 0
            for tag in tags:
                raw = client.hget(channel.unacked_key, tag)
                if raw is None:  # acknowledged since
                    continue
                headers = json.loads(raw)[0].get("headers") or {}
                if headers.get("id") in alive:
                    continue
                channel.qos.restore_by_tag(tag, client=client)
                restored += 1
                logger.warning("gave back %s (%s), held by a worker that no longer answers",
                               headers.get("task"), headers.get("argsrepr"))  # fmt: skip
            return restored
    except Exception:  # the broker is down or slow: the visibility timeout still gives them back
        logger.warning("could not look for messages dead workers held", exc_info=True)
        return None


# How long the workers have to answer: a reply is a few milliseconds' work of their main loop.
INSPECT_TIMEOUT = 1.0


def _task_ids_held_by_live_workers() -> set[str] | None:
    """The ids of the tasks the workers that answer hold (running, waiting for a pool
    process, or kept for later); None if no worker answered at all (or the broadcast
    failed): then nothing is judged dead."""
    from celery import current_app

    inspect = current_app.control.inspect(timeout=INSPECT_TIMEOUT)
    ids: set[str] = set()
    answered = False
    # (celery-stubs type each kind of answer apart; they are read alike here)
    answers: list[Any] = [inspect.active(), inspect.reserved(), inspect.scheduled()]
    for replies in answers:
        for tasks in (replies or {}).values():
            answered = True
            for task in tasks:
                # (a scheduled task's own fields are under "request")
                ids.add((task.get("request") or task).get("id"))
    return ids if answered else None
