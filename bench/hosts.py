"""Quiz and code graded/s with one worker host and with two (issue 26, item 2).

    sudo .venv/bin/python bench/hosts.py [--attempts 600] [--submissions 60] [--hosts 0,1,2]
        [--concurrency 1] [--broker redis|rabbitmq]
    sudo CELERY_BROKER_HEARTBEAT=10 .venv/bin/python bench/hosts.py --broker rabbitmq --frozen-host

Root (network namespaces). PostgreSQL (DATABASE_URL; default the local server, database
`zachet_bench_hosts`) and Redis (REDIS_URL, default db 12) or RabbitMQ (`--broker rabbitmq`:
its vhost `zachet_bench_hosts`, created if missing). Each worker host is a network namespace
of its own (ops.hosts) running a quiz worker and a code worker of `--concurrency` processes
each, reaching the database and broker through its forwarder. For each host count, the same
load: a backlog of quiz attempts (10 questions, bench/quiz.py's) queued while no worker runs,
then graded by freshly started hosts; then a backlog of Python submissions (the demo
exercise's reference solution) the same way. Throughput is first to last graded_at (the
hosts' capacity, not their start-up). `--hosts 0` runs the same workers in this machine's
own network namespace, on loopback: what the network hop through a forwarder costs.
`--frozen-host`: instead, how long a task held by a frozen host (SIGSTOP) waits before
another host grades it (on RabbitMQ, about three AMQP heartbeats).

On one machine the hosts share its cores: two hosts on a 2-core machine show what the
network hop and the shared database and broker cost, and that work spreads over the hosts;
the scale-out itself needs machines of their own. Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zachet_bench_hosts")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)

RABBITMQ_VHOST = "zachet_bench_hosts"


def rabbitmq_url() -> str:
    def rabbitmqctl(*args: str) -> str:
        return subprocess.run(
            ["rabbitmqctl", "-q", *args], capture_output=True, text=True, check=True
        ).stdout

    if RABBITMQ_VHOST not in rabbitmqctl("list_vhosts").split():
        rabbitmqctl("add_vhost", RABBITMQ_VHOST)
        rabbitmqctl("set_permissions", "-p", RABBITMQ_VHOST, "guest", ".*", ".*", ".*")
    return f"amqp://guest:guest@127.0.0.1:5672/{RABBITMQ_VHOST}"


def graded_per_second(times: list[Any]) -> tuple[float, float]:
    """(seconds from the first grade to the last, graded/s over them)."""
    times = sorted(times)
    seconds = (times[-1] - times[0]).total_seconds()
    return seconds, (len(times) - 1) / seconds


def frozen_host_regraded(*, quiz: Any, responses: dict[int, object], env: dict[str, str]) -> float:
    """Seconds from a worker host freezing (SIGSTOP: its connections open and silent, as a
    frozen VM or a cut network) with a quiz attempt's message in hand, to that attempt graded
    by a host started beside it."""
    from django.contrib.auth.models import User

    from ops.hosts import host_pids, worker_hosts
    from quizzes.models import Attempt
    from quizzes.services import attempt_save_answers, attempt_start, attempt_submit

    def submitted() -> int:
        attempt = attempt_start(
            learner=User.objects.create(username=f"bench-frozen-{time.time_ns()}"), quiz=quiz
        )
        attempt_save_answers(attempt=attempt, responses=responses)
        return attempt_submit(attempt=attempt).pk

    def wait_graded(pk: int) -> None:
        deadline = time.monotonic() + 600
        while Attempt.objects.get(pk=pk).status != "graded":
            if time.monotonic() > deadline:
                raise SystemExit("not graded within 600 s")
            time.sleep(0.1)

    with worker_hosts(1, env=env, workers={"quiz": 1}, sandbox_uid=650_000) as (frozen,):
        wait_graded(submitted())  # its worker is up
        time.sleep(2)
        pids = host_pids(frozen)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        attempt = submitted()  # delivered to the frozen worker, its only consumer
        time.sleep(1)
        try:
            with worker_hosts(1, env=env, workers={"quiz": 1}, sandbox_uid=651_000):
                wait_graded(attempt)
                return time.monotonic() - frozen_at
        finally:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=600, help="quiz attempts per run")
    parser.add_argument("--submissions", type=int, default=60, help="code submissions per run")
    parser.add_argument("--hosts", default="0,1,2", help="host counts (0: no namespace)")
    parser.add_argument("--concurrency", type=int, default=1, help="processes per worker")
    parser.add_argument("--broker", choices=["redis", "rabbitmq"], default="redis")
    parser.add_argument(
        "--frozen-host", action="store_true",
        help="instead: how soon a frozen host's task is graded by another host",
    )  # fmt: skip
    args = parser.parse_args()
    if args.frozen_host and args.broker != "rabbitmq":
        # Redis workers fetch: a frozen one takes nothing new (measured: another host graded
        # it 3.9 s later), and one it had fetched is the kill's case (the visibility timeout).
        parser.error("--frozen-host measures RabbitMQ's heartbeat: add --broker rabbitmq")
    if args.broker == "rabbitmq":
        os.environ["CELERY_BROKER_URL"] = rabbitmq_url()

    from bench.code import demo_folder
    from bench.quiz import bench_responses, ensure_database, make_questions

    ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import transaction
    from kombu import Queue

    from config.celery import app
    from core.devstack import celery_worker_command, stop_process
    from courses.models import Course, Part, Section
    from grader.models import Submission
    from grader.runners.go import go_cache_warm
    from grader.services import exercise_import, submission_create
    from ops.hosts import worker_hosts
    from quizzes.models import Attempt, Question, Quiz
    from quizzes.services import attempt_save_answers, attempt_start, attempt_submit

    call_command("migrate", verbosity=0)
    go_cache_warm()  # once: each code worker warms it at start otherwise
    course, _ = Course.objects.get_or_create(slug="bench", defaults={"title": "bench"})
    part, _ = Part.objects.get_or_create(course=course, number=1, defaults={"title": "bench"})
    section, _ = Section.objects.get_or_create(
        part=part, number="1.1", defaults={"title": "bench", "slug": "bench"}
    )
    quiz, created = Quiz.objects.get_or_create(section=section, title="bench")
    if created:
        make_questions(quiz, Question)
    responses = bench_responses(quiz)
    learner, _ = User.objects.get_or_create(username="bench-hosts")
    imported = exercise_import(path=demo_folder("python"), section=section)
    if not imported.check.ok:
        raise SystemExit(imported.check.report)
    exercise = imported.exercise
    env: dict[str, str] = {}  # this process's environment, as the hosts' workers run with it
    env["GRADER_GO_CACHE"] = str(settings.GRADER_GO_CACHE)
    with app.connection_for_write() as conn:
        for queue in ("quiz", "code"):
            # As Celery declares it (durable), so RabbitMQ has it to purge.
            Queue(queue)(conn.default_channel).queue_declare()
            conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
    if args.frozen_host:
        heartbeat = settings.CELERY_BROKER_HEARTBEAT
        seconds = frozen_host_regraded(quiz=quiz, responses=responses, env=env)
        print(f"broker {args.broker}, CELERY_BROKER_HEARTBEAT {heartbeat}: a frozen host's "
              f"attempt graded by another host {seconds:.1f} s after it froze")  # fmt: skip
        return

    def backlog_quiz() -> list[int]:
        Attempt.objects.filter(quiz=quiz).delete()
        existing = set(
            User.objects.filter(username__startswith="bench-").values_list("username", flat=True)
        )
        User.objects.bulk_create([User(username=f"bench-{i}") for i in range(args.attempts)
                                  if f"bench-{i}" not in existing])  # fmt: skip
        learners = User.objects.filter(username__startswith="bench-").order_by("id")
        ids = []
        with transaction.atomic():  # published together at commit, no worker running
            for someone in learners[: args.attempts]:
                attempt = attempt_start(learner=someone, quiz=quiz)
                attempt_save_answers(attempt=attempt, responses=responses)
                ids.append(attempt_submit(attempt=attempt).pk)
        return ids

    def backlog_code() -> list[int]:
        Submission.objects.filter(learner=learner).delete()
        files = exercise.reference_files
        with transaction.atomic():
            return [
                submission_create(learner=learner, exercise=exercise, files=files).pk
                for _ in range(args.submissions)
            ]

    def graded_times(kind: str, ids: list[int]) -> list[Any]:
        model = Attempt if kind == "quiz" else Submission
        ours = model.objects.filter(pk__range=(min(ids), max(ids)))
        deadline = time.monotonic() + 900
        while ours.filter(status="graded").count() < len(ids):
            if ours.filter(status="error").exists():
                raise SystemExit(f"a {kind} grading ended in error")
            if time.monotonic() > deadline:
                raise SystemExit(f"{kind} not graded within 900 s")
            time.sleep(0.2)
        return list(ours.values_list("graded_at", flat=True))

    phases: list[tuple[str, Callable[[], list[int]], int]] = [
        ("quiz", backlog_quiz, args.attempts), ("code", backlog_code, args.submissions)
    ]  # fmt: skip
    print(f"broker {args.broker}; each host: quiz and code workers of {args.concurrency} "
          f"process(es); cores on this machine: {os.cpu_count()}", flush=True)  # fmt: skip
    for count in [int(n) for n in args.hosts.split(",")]:
        for kind, backlog, size in phases:
            ids = backlog()
            workers = {kind: args.concurrency}
            if count == 0:  # the same worker on this machine's own network, no forwarder
                command = celery_worker_command(queue=kind, concurrency=args.concurrency)
                worker = subprocess.Popen(
                    command, cwd=BASE_DIR, env={**os.environ, **env,
                    "GRADER_SANDBOX_UID": "650000"}, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )  # fmt: skip
                try:
                    seconds, rate = graded_per_second(graded_times(kind, ids))
                finally:
                    stop_process(worker, timeout=30)
            else:
                with worker_hosts(count, env=env, workers=workers, sandbox_uid=650_000):
                    seconds, rate = graded_per_second(graded_times(kind, ids))
            where = f"{count} host(s)" if count else "no host (loopback)"
            print(f"{where}, {kind}: {size} graded in {seconds:.1f} s = {rate:.1f} graded/s",
                  flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
