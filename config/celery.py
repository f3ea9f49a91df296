"""The Celery application: configured from Django settings (CELERY_*), tasks found per app."""

import logging
import os
from typing import Any

from celery import Celery, bootsteps

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


@app.task(name="config.ping", soft_time_limit=5, time_limit=10)
def ping_task() -> str:
    """A no-op task: the floor for latency benchmarks and a liveness probe for workers."""
    return "pong"
