"""Web submits/s and page latency: `manage.py runserver` against gunicorn (config/gunicorn.py).

    .venv/bin/python bench/web.py [--servers runserver,gunicorn] [--clients 8]
        [--submits 400] [--pages 400] [--workers N] [--threads N] [--worker-class gthread]

PostgreSQL and Redis (DATABASE_URL, REDIS_URL; defaults: the local servers, database
`zachet_bench_web`, Redis db 13), DEBUG off. Learners with API tokens each hold a started
attempt of a 10-question quiz with its answers saved (prepared through the services, not
timed). Each server is then started as a process of its own, and --clients threads send,
each on a new connection as browsers behind a proxy do:

* submits: `POST /api/v1/attempts/{id}/submit/`, one per learner (no worker runs: the
  grading is queued in Redis and purged afterwards): submits/s over the wall time, p50/p99;
* pages: `GET /api/v1/attempts/{id}/` (the poll a learner's page makes) and the HTML course
  list, alternately: p50/p99.

--frozen-broker: the cache and the broker are a Redis of the bench's own, stopped (SIGSTOP:
it accepts connections and never answers) once the server is warm: what a frozen broker does
to submits and pages. Not a test: it prints numbers. The client threads share the machine's
cores with the server, as a load balancer on the same host would.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench.environment import production_defaults  # noqa: E402 - (the path above first)

production_defaults(database_url="postgres://postgres@127.0.0.1:5432/zachet_bench_web")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/13")
os.environ.setdefault("API_THROTTLE_USER", "100000/min")
os.environ.setdefault("API_THROTTLE_ANON", "100000/min")
os.environ.setdefault("GUNICORN_ACCESS_LOG", "")  # not timed: the servers' logs go nowhere

COURSE_SLUG = "bench-web"
LEARNER_PREFIX = "web-"


def percentiles(values_ms: list[float]) -> str:
    q = statistics.quantiles(sorted(values_ms), n=100)
    return f"p50 {q[49]:6.1f} ms  p99 {q[98]:6.1f} ms"


def server_command(name: str, *, port: int, args: argparse.Namespace) -> list[str]:
    if name == "runserver":
        return [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "--worker-class", args.worker_class, "--threads", str(args.threads)]  # fmt: skip
    if args.workers:
        command += ["--workers", str(args.workers)]
    return command


def request(port: int, method: str, path: str, headers: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=b"" if method == "POST" else None, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def run_clients(
    jobs: list[Callable[[], tuple[int, float]]], *, clients: int
) -> tuple[float, list[float], dict[int, int]]:
    """Run the jobs on `clients` threads; wall seconds, latencies (ms), status counts."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(reversed(jobs))

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            status, ms = job()
            with lock:
                latencies.append(ms)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def prepare(total: int) -> tuple[list[tuple[int, str]], Any]:
    """`total` learners, each with a token and a started attempt whose answers are saved."""
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from api.services import token_create
    from bench.quiz import bench_responses, make_questions
    from config.celery import app
    from courses.models import Course, Part, Section
    from progress.services import enrollment_create
    from quizzes.models import Attempt, Question, Quiz
    from quizzes.services import attempt_save_answers, attempt_start

    call_command("migrate", verbosity=0)
    course, _ = Course.objects.get_or_create(slug=COURSE_SLUG, defaults={"title": "bench web"})
    part, _ = Part.objects.get_or_create(course=course, number=1, defaults={"title": "bench"})
    section, _ = Section.objects.get_or_create(
        part=part, number="1.1", defaults={"title": "bench", "slug": "bench-web"}
    )
    Section.objects.filter(pk=section.pk).update(status=Section.Status.PUBLISHED)
    quiz, created = Quiz.objects.get_or_create(section=section, title="bench web")
    if created:
        make_questions(quiz, Question)
    responses = bench_responses(quiz)
    Attempt.objects.filter(quiz=quiz).delete()
    User.objects.filter(username__startswith=LEARNER_PREFIX).delete()
    learners = User.objects.bulk_create(
        [User(username=f"{LEARNER_PREFIX}{i}") for i in range(total)]
    )
    prepared = []
    for learner in learners:
        enrollment_create(learner=learner, course=course)
        attempt = attempt_start(learner=learner, quiz=quiz)
        attempt_save_answers(attempt=attempt, responses=responses)
        prepared.append((attempt.pk, token_create(user=learner, name="bench").key))
    return prepared, app


def bench_server(
    name: str,
    prepared: list[tuple[int, str]],
    *,
    args: argparse.Namespace,
    port: int,
    frozen: subprocess.Popen[bytes] | None = None,
) -> dict[str, Any]:
    from core.devstack import stop_process, wait_for_port

    log = (BASE_DIR / "var" / f"bench-web-{name}.log").open("wb")  # errors, to look at
    process = subprocess.Popen(
        server_command(name, port=port, args=args), cwd=BASE_DIR, env=os.environ.copy(),
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=60, process=process)
        for _ in range(20):  # warm up every worker's imports and connections
            request(port, "GET", "/", {})
        if frozen is not None:
            os.kill(frozen.pid, signal.SIGSTOP)
        submits: list[Callable[[], tuple[int, float]]] = [
            functools.partial(
                request, port, "POST", f"/api/v1/attempts/{attempt}/submit/",
                {"Authorization": f"Token {token}", "Content-Type": "application/json"},
            )
            for attempt, token in prepared
        ]  # fmt: skip
        seconds, submit_ms, submit_statuses = run_clients(submits, clients=args.clients)
        pages: list[Callable[[], tuple[int, float]]] = []
        for i in range(args.pages):
            attempt, token = prepared[i % len(prepared)]
            if i % 2:
                pages.append(functools.partial(request, port, "GET", "/", {}))
            else:
                pages.append(
                    functools.partial(
                        request, port, "GET", f"/api/v1/attempts/{attempt}/",
                        {"Authorization": f"Token {token}"},
                    )
                )  # fmt: skip
        _, page_ms, page_statuses = run_clients(pages, clients=args.clients)
    finally:
        if frozen is not None:
            os.kill(frozen.pid, signal.SIGCONT)
        stop_process(process, timeout=30)
        log.close()
    return {
        "submits_per_s": len(prepared) / seconds,
        "submit_ms": submit_ms,
        "submit_statuses": submit_statuses,
        "page_ms": page_ms,
        "page_statuses": page_statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", default="runserver,gunicorn")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--submits", type=int, default=400, help="per server")
    parser.add_argument("--pages", type=int, default=400, help="per server")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: config)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--frozen-broker", action="store_true",
        help="a Redis of its own (cache and broker), stopped with SIGSTOP while timing",
    )  # fmt: skip
    args = parser.parse_args()
    frozen = None
    if args.frozen_broker:
        from core.devstack import free_port, wait_for_port

        port = free_port(0)
        frozen = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", "/tmp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(port, timeout=10, process=frozen)
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        os.environ["API_THROTTLE_USER"] = "1200/min"  # the throttle counts in that Redis

    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')

    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    prepared, app = prepare(args.submits * len(servers))
    try:
        for index, server in enumerate(servers):
            mine = prepared[index * args.submits : (index + 1) * args.submits]
            result = bench_server(server, mine, args=args, port=args.port + index, frozen=frozen)
            label = server
            if server == "gunicorn":
                from config.gunicorn import workers

                label += (f" ({args.workers or workers} x {args.worker_class}"
                          f", {args.threads} threads)")  # fmt: skip
            print(
                f"{label}: {result['submits_per_s']:.0f} submits/s "
                f"({args.submits} by {args.clients} clients)"
                f", submit {percentiles(result['submit_ms'])}"
                f"; pages {percentiles(result['page_ms'])}"
                f"; statuses {json.dumps(result['submit_statuses'])}"
                f" {json.dumps(result['page_statuses'])}",
                flush=True,
            )
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("quiz")
        if frozen is not None:
            frozen.terminate()


if __name__ == "__main__":
    main()
