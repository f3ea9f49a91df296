"""The Celery application: configured from Django settings (CELERY_*), tasks found per app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("zachet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping", soft_time_limit=5, time_limit=10)
def ping_task() -> str:
    """A no-op task: the floor for latency benchmarks and a liveness probe for workers."""
    return "pong"
