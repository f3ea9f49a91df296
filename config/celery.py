"""The Celery application: configured from Django settings (CELERY_*), tasks found per app."""

import logging
import os
from typing import Any

from celery import Celery, bootsteps, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("zachet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
logger = logging.getLogger(__name__)


class SweepOnConnect(bootsteps.StartStopStep):
    """A worker of the sweeps queue runs the recovery sweeps each time it connects to the
    broker: at start, and when the broker is back after an outage (the consumer restarts on
    every reconnection). Work whose first message never reached the broker is graded then,
    not at the next scheduled sweep."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, parent: Any) -> None:
        from django.conf import settings

        if settings.SWEEPS_QUEUE not in parent.app.amqp.queues.consume_from:
            return
        for name in settings.RECOVERY_SWEEPS:
            try:
                parent.app.send_task(name, queue=settings.SWEEPS_QUEUE, expires=60, retry=False)
            except Exception:  # the scheduled sweeps still run
                logger.warning("could not queue %s on connecting", name, exc_info=True)


app.steps["consumer"].add(SweepOnConnect)


@signals.task_prerun.connect
def drop_failed_database_connections(task: Any = None, **kwargs: Any) -> None:
    """Before each task, close a database connection that failed (the database restarted or
    terminated it) and is no longer usable: the task connects anew. Celery's Django fixup
    closes connections only every 2 x CELERY_DB_REUSE_MAX tasks, and until then every task
    of the process failed on the dead one: after `pg_terminate_backend`, a sweeps worker
    stopped sweeping and a code submission waited minutes (bench/chaos.py db-terminate).
    Only a connection that saw an error is checked (one `SELECT 1`); healthy ones cost
    nothing."""
    if task is not None and getattr(task.request, "is_eager", False):
        return  # (run inline, inside the caller's transaction: not ours to close)
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.errors_occurred and not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


@app.task(name="config.ping", soft_time_limit=5, time_limit=10)
def ping_task() -> str:
    """A no-op task: the floor for latency benchmarks and a liveness probe for workers."""
    return "pong"


# A message held this long by no worker that answers is a dead worker's: longer than a live
# worker takes to list a message it has just received.
HELD_BY_DEAD_WORKER_AFTER_SECONDS = 5.0


@app.task(name="config.restore_held_by_dead_workers", soft_time_limit=20, time_limit=25)
def restore_held_by_dead_workers_task() -> int | None:
    """Redis: a dead worker's messages back in their queues within seconds, not after the
    visibility timeout (core.queueing.held_by_dead_workers_restore)."""
    from core.queueing import held_by_dead_workers_restore

    return held_by_dead_workers_restore(older_than=HELD_BY_DEAD_WORKER_AFTER_SECONDS)
