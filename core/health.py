"""Liveness and readiness probes: `/healthz` and `/readyz` (docs/deploy.md).

Answered by a middleware placed first, before the host check and the session: a load
balancer or Kubernetes asks by the pod's address, which is not in ALLOWED_HOSTS, and a
probe must not need a session, a cookie or the database to say the process is alive.

* `/healthz`: the process answers (no database, no broker): restart it if not.
* `/readyz`: the database answers, the broker answers within READY_BROKER_TIMEOUT, and every
  migration is applied; otherwise 503 with the failing checks named, so traffic goes to
  another process until this one can serve.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# A probe waits at most this long on the broker (a frozen Redis accepts connections and
# never answers); Kubernetes' own probe timeout is longer.
READY_BROKER_TIMEOUT = 0.5

# Once every migration is applied it stays so for this process (new migrations come with new
# code, which means a new process): the loader, which reads every migration file, runs once.
_migrations_applied = False


def database_check() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def broker_check(*, timeout: float = READY_BROKER_TIMEOUT) -> None:
    """Reach the broker the Celery app publishes to, giving up after `timeout` seconds."""
    from celery import current_app as app

    url: str = app.conf.broker_url or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
        return
    from kombu import Connection

    with Connection(url, connect_timeout=timeout) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0)


def migrations_check() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        raise RuntimeError(f"{len(plan)} not applied: {names}")
    _migrations_applied = True


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": database_check,
    "broker": broker_check,
    "migrations": migrations_check,
}


def readiness() -> dict[str, str]:
    """Each check's outcome: "ok", or what failed (the exception's class; migrations by name)."""
    outcome: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure makes the process not ready, named
            logger.warning("readiness check %s failed: %r", name, error)
            detail = str(error) if name == "migrations" and isinstance(error, RuntimeError) else ""
            outcome[name] = f"failed: {type(error).__name__}" + (f": {detail}" if detail else "")
        else:
            outcome[name] = "ok"
    return outcome


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


class ProbeMiddleware:
    """Answer `/healthz` and `/readyz` before anything else runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == "/healthz":
            return _json(200, {"status": "ok"})
        if request.path_info == "/readyz":
            checks = readiness()
            failing = [name for name, result in checks.items() if result != "ok"]
            if failing:
                return _json(503, {"status": "failing", "failing": failing, "checks": checks})
            return _json(200, {"status": "ok", "checks": checks})
        return self.get_response(request)
