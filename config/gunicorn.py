"""gunicorn's configuration for production web serving: `bin/serve` (docs/deploy.md).

Everything comes from the environment, with defaults measured on this project
(bench/web.py). The worker count follows gunicorn's advice, 2 x cores + 1: a request
spends part of its time waiting on PostgreSQL or the broker, so one worker per core
would leave cores idle, and more than that only adds memory and database connections.
Each worker serves GUNICORN_THREADS requests at once (gthread), so a slow client or a
slow query does not hold a whole process; a worker holds at most that many database
connections (CONN_MAX_AGE keeps them), which is what PostgreSQL's max_connections must
cover: web hosts x workers x threads, plus the Celery workers.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


def default_workers(cores: int) -> int:
    return 2 * cores + 1


bind = os.environ.get("GUNICORN_BIND") or (
    f"{os.environ.get('HOST') or '0.0.0.0'}:{os.environ.get('PORT') or '8000'}"  # noqa: S104
)
workers = _int("WEB_CONCURRENCY", default_workers(multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 4)
# A request that takes longer is a bug or a stuck dependency: the worker is replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (deploys, systemd stop, Kubernetes) requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Workers are replaced now and then so slow leaks never grow; the jitter keeps them
# from restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# The heartbeat file lives in memory: a container's disk may be slow or read-only.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# X-Forwarded-* are believed only from these addresses (the reverse proxy).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
wsgi_app = "config.wsgi:application"
proc_name = "zachet-web"
# gunicorn's control socket (gunicornc) would be one path in $HOME shared by every instance
# on the host, and a container's home may be read-only: off, as systemd and Kubernetes
# manage the processes.
control_socket_disable = True
