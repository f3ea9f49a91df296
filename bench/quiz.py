"""Quiz grading throughput and submit-to-graded latency through a real worker.

    .venv/bin/python bench/quiz.py [--attempts 600] [--rate 100] [--concurrency 2]

PostgreSQL and Redis (DATABASE_URL, REDIS_URL; defaults: the local servers,
database `zachet_bench`, Redis db 14). Attempts of 10 questions are submitted
through the service layer (attempt_submit, as the site does) and graded by a
real `celery worker` process. Three phases, printed as they finish:

* floor: the same Celery round trip with a no-op task (`config.ping`);
* latency: attempts submitted at a steady --rate; submit -> graded per attempt;
* throughput: --attempts submitted while no worker runs, then graded by a fresh
  worker: first to last graded_at (the worker's capacity, not the submitter's).

Not a test: it prints numbers. Targets (2-core machine): 150 graded attempts/s,
p50 under 25 ms, p99 under 150 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zachet_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_RESULT_BACKEND", os.environ["REDIS_URL"])  # for the floor only
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Production settings: DEBUG would record every query in every process.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)


def ensure_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def percentiles(values_ms: list[float]) -> str:
    q = statistics.quantiles(sorted(values_ms), n=100)
    return f"p50 {q[49]:6.1f} ms  p95 {q[94]:6.1f} ms  p99 {q[98]:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=600)
    parser.add_argument("--rate", type=float, default=100.0, help="submissions/s, latency phase")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", default="prefork", help="celery worker pool")
    args = parser.parse_args()

    ensure_database()
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from config.celery import app, ping_task
    from core.devstack import celery_worker_command, stop_process
    from courses.models import Course, Part, Section
    from quizzes.models import Attempt, Question, Quiz
    from quizzes.services import attempt_save_answers, attempt_start, attempt_submit

    call_command("migrate", verbosity=0)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("quiz")  # type: ignore[attr-defined]
    Attempt.objects.filter(quiz__title="bench").delete()
    course, _ = Course.objects.get_or_create(slug="bench", defaults={"title": "bench"})
    part, _ = Part.objects.get_or_create(course=course, number=1, defaults={"title": "bench"})
    section, _ = Section.objects.get_or_create(
        part=part, number="1.1", defaults={"title": "bench", "slug": "bench"}
    )
    quiz, created = Quiz.objects.get_or_create(section=section, title="bench")
    if created:
        make_questions(quiz, Question)
    responses = bench_responses(quiz)
    total = args.attempts * 2
    existing = set(
        User.objects.filter(username__startswith="bench-").values_list("username", flat=True)
    )
    User.objects.bulk_create(
        [User(username=f"bench-{i}") for i in range(total) if f"bench-{i}" not in existing]
    )
    learners = list(User.objects.filter(username__startswith="bench-").order_by("id")[:total])

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            celery_worker_command(queue="quiz", concurrency=args.concurrency, pool=args.pool),
            cwd=BASE_DIR,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    worker = start_worker()
    try:
        ping_task.apply_async(ignore_result=False).get(timeout=60)  # worker is up

        # floor: a no-op task, submit -> result seen
        floor = []
        for _ in range(args.attempts):
            started = time.perf_counter()
            ping_task.apply_async(ignore_result=False).get(timeout=10, interval=0.001)
            floor.append((time.perf_counter() - started) * 1000)
        print(f"no-op task round trip ({args.attempts}):       {percentiles(floor)}", flush=True)

        def prepare(batch: list[User]) -> list[Attempt]:
            attempts = []
            for learner in batch:
                attempt = attempt_start(learner=learner, quiz=quiz)
                attempt_save_answers(attempt=attempt, responses=responses)
                attempts.append(attempt)
            return attempts

        def wait_graded(ids: list[int]) -> None:
            # A range of this run's ids (consecutive: nothing else writes to the bench
            # database), not an IN list of 1000: each poll costs the worker little CPU.
            ours = Attempt.objects.filter(quiz=quiz, pk__range=(min(ids), max(ids)))
            deadline = time.monotonic() + 300
            while ours.filter(status="graded").count() < len(ids):
                if ours.filter(status="error").exists():
                    raise SystemExit("an attempt ended in error")
                if time.monotonic() > deadline:
                    raise SystemExit("attempts not graded within 300 s")
                time.sleep(0.05)

        # latency: a steady rate below capacity
        attempts = prepare(learners[: args.attempts])
        interval = 1 / args.rate
        next_at = time.perf_counter()
        for attempt in attempts:
            while time.perf_counter() < next_at:
                time.sleep(0.0005)
            attempt_submit(attempt=attempt)
            next_at += interval
        ids = [a.pk for a in attempts]
        wait_graded(ids)
        rows: list[Any] = list(
            Attempt.objects.filter(pk__in=ids).values_list("submitted_at", "graded_at")
        )
        latencies = [(graded - submitted).total_seconds() * 1000 for submitted, graded in rows]
        print(
            f"attempt submit -> graded at {args.rate:.0f}/s:     {percentiles(latencies)}",
            flush=True,
        )

        # throughput: a backlog of submitted attempts, graded as fast as the worker can
        stop_process(worker, timeout=30)
        attempts = prepare(learners[args.attempts : total])
        for attempt in attempts:
            attempt_submit(attempt=attempt)  # queued in Redis; no worker is running
        ids = [a.pk for a in attempts]
        worker = start_worker()
        wait_graded(ids)
        graded: list[Any] = list(
            Attempt.objects.filter(pk__in=ids).values_list("graded_at", flat=True)
        )
        graded.sort()
        seconds = (graded[-1] - graded[0]).total_seconds()
        print(
            f"throughput: a backlog of {len(ids)} attempts of 10 questions graded in"
            f" {seconds:.2f} s = {(len(ids) - 1) / seconds:.0f} graded/s"
        )
        database = os.environ["DATABASE_URL"]
        print(f"worker pool {args.pool}, concurrency {args.concurrency}, database {database}")
    finally:
        stop_process(worker, timeout=30)


def make_questions(quiz: Any, question_model: Any) -> None:
    """Ten questions of the common automatically graded types."""
    choice = {
        "choices": [
            {"id": "a", "text": "да", "weight": 100},
            {"id": "b", "text": "нет", "weight": 0},
        ]
    }
    specs = [
        ("single_choice", choice),
        (
            "multiple_choice",
            {
                "scoring": "partial",
                "choices": [
                    {"id": "a", "text": "1", "weight": 50},
                    {"id": "b", "text": "2", "weight": 50},
                    {"id": "c", "text": "3", "weight": -50},
                ],
            },
        ),
        ("true_false", {"answer": True}),
        ("short_text", {"answers": [{"text": "горутина", "weight": 100}]}),
        (
            "numeric",
            {
                "answers": [
                    {"kind": "tolerance", "value": "3.14", "tolerance": "0.01", "weight": 100}
                ]
            },
        ),
        (
            "ordering",
            {
                "scoring": "pairs",
                "items": [
                    {"id": "a", "text": "1"},
                    {"id": "b", "text": "2"},
                    {"id": "c", "text": "3"},
                ],
            },
        ),
        (
            "matching",
            {
                "pairs": [
                    {"id": "a", "prompt": "x", "answer": "1"},
                    {"id": "b", "prompt": "y", "answer": "2"},
                ]
            },
        ),
        (
            "fill_blanks",
            {
                "text": "{{1}} и {{2}}",
                "gaps": [
                    {"id": "1", "kind": "text", "answers": [{"text": "go", "weight": 100}]},
                    {
                        "id": "2",
                        "kind": "numeric",
                        "answers": [{"kind": "exact", "value": "2", "weight": 100}],
                    },
                ],
            },
        ),
        ("single_choice", choice),
        ("true_false", {"answer": False}),
    ]
    from quizzes.authoring import question_write

    for order, (kind, spec) in enumerate(specs):
        # written as the site writes a question: with its key's version (core.versions)
        question = question_model(quiz=quiz, type=kind, text=f"q{order}", spec=spec, order=order)
        question_write(question=question)


def bench_responses(quiz: Any) -> dict[int, object]:
    answers = {
        "single_choice": {"choice": "a"},
        "multiple_choice": {"choices": ["a", "b"]},
        "true_false": {"value": True},
        "short_text": {"text": "Горутина"},
        "numeric": {"text": "3,14"},
        "ordering": {"order": ["a", "c", "b"]},
        "matching": {"matches": {"a": "1", "b": "2"}},
        "fill_blanks": {"gaps": {"1": "Go", "2": "2"}},
    }
    return {q.id: answers[q.type] for q in quiz.questions.all()}


if __name__ == "__main__":
    main()
