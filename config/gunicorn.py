"""gunicorn's configuration for production web serving: `bin/serve` (docs/deploy.md).

The values are settings (config/settings.py, from the environment). The worker count follows
gunicorn's advice, 2 x cores + 1: a request spends part of its time waiting on PostgreSQL or
the broker, so one worker per core would leave cores idle, and more than that only adds
memory and database connections (bench/web.py measured it against runserver). Each worker
serves GUNICORN_THREADS requests at once (gthread), so a slow client or a slow query does not
hold a whole process; a worker holds at most that many database connections (CONN_MAX_AGE
keeps them), which PostgreSQL's max_connections must cover: web hosts x workers x threads,
plus the Celery workers.
"""

from __future__ import annotations

import multiprocessing
import os

from config import settings as zachet


def default_workers(cores: int) -> int:
    return 2 * cores + 1


bind = zachet.GUNICORN_BIND
workers = zachet.WEB_CONCURRENCY or default_workers(multiprocessing.cpu_count())
worker_class = zachet.GUNICORN_WORKER_CLASS
threads = zachet.GUNICORN_THREADS
# A request that takes longer is a bug or a stuck dependency: the worker is replaced.
timeout = zachet.GUNICORN_TIMEOUT
# On SIGTERM (deploys, systemd stop, Kubernetes) requests in flight get this long to finish.
graceful_timeout = zachet.GUNICORN_GRACEFUL_TIMEOUT
keepalive = 5
# Workers are replaced now and then so slow leaks never grow; the jitter keeps them
# from restarting all at once.
max_requests = zachet.GUNICORN_MAX_REQUESTS
max_requests_jitter = max_requests // 10
# The heartbeat file lives in memory: a container's disk may be slow or read-only.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
forwarded_allow_ips = zachet.FORWARDED_ALLOW_IPS
accesslog = zachet.GUNICORN_ACCESS_LOG or None
errorlog = "-"
loglevel = zachet.GUNICORN_LOG_LEVEL
wsgi_app = "config.wsgi:application"
proc_name = "zachet-web"
# gunicorn's control socket (gunicornc) would be one path in $HOME shared by every instance
# on the host, and a container's home may be read-only: off, as systemd and Kubernetes
# manage the processes.
control_socket_disable = True
