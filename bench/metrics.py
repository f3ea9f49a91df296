"""/metrics at a large record: a scrape's time before (every counter computed by scanning the
attempts and submissions) and now (read from the counters), the upgrade's data migration, and
what counting adds to one grading.

    .venv/bin/python bench/metrics.py [--rows 300000] [--processes 4] [--gradings 2000]

PostgreSQL (DATABASE_URL; default: the local server, database `zachet_bench_metrics`, made if
missing). The first run bulk-creates `--rows` graded code submissions and as many graded quiz
attempts (kept for the next runs). Printed:

* scrape: the database part of /metrics (the broker's queue lengths left out), median of 20,
  the old way (the queries the scrape ran before: those the data migration now runs once)
  and now; and the plans of the waiting-work gauges (index scans, not sequential);
* migration: counters 0002 on this record;
* grading: one `grading_count` in a transaction (statements and ms added), and the same from
  `--processes` processes at once, each on its own shard (as deployed) and all on one row.
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zachet_bench_metrics")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)

BATCH = 5000
SLUG = "bench-metrics"


def median_ms(run: Callable[[], Any], times: int = 20) -> float:
    run()  # warm: plans, caches
    took = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def record_make(rows: int) -> None:
    """`rows` graded submissions and attempts (a few waiting), unless they are there."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.utils import timezone

    from courses.models import Course, Part, Section
    from grader.models import CodingExercise, Submission
    from quizzes.models import Attempt, Quiz

    if Submission.objects.filter(exercise__slug=SLUG).count() >= rows:
        return
    pick = random.Random(7)
    now = timezone.now()
    with transaction.atomic():
        course, _ = Course.objects.get_or_create(slug=SLUG, defaults={"title": SLUG})
        part, _ = Part.objects.get_or_create(course=course, number=1, defaults={"title": SLUG})
        section, _ = Section.objects.get_or_create(
            part=part, number="1.1", defaults={"title": SLUG, "slug": SLUG}
        )
        exercise, _ = CodingExercise.objects.get_or_create(
            section=section, slug=SLUG, defaults={"title": SLUG, "language": "python"}
        )
        quiz, _ = Quiz.objects.get_or_create(section=section, title=SLUG)
        learner, _ = User.objects.get_or_create(username=SLUG)
        Submission.objects.filter(exercise=exercise).delete()
        Attempt.objects.filter(quiz=quiz).delete()

        def when() -> tuple[Any, Any]:
            start = now - timedelta(seconds=pick.uniform(0, 30 * 86400))
            return start, start + timedelta(seconds=pick.expovariate(1 / 3))

        for first in range(0, rows, BATCH):
            submissions, attempts = [], []
            for i in range(first, min(rows, first + BATCH)):
                created, graded = when()
                waiting = i % 10_000 == 0
                submissions.append(Submission(
                    learner=learner, exercise=exercise, files={}, created_at=created,
                    status="queued" if waiting else pick.choice(["graded"] * 20 + ["error"]),
                    verdict=pick.choice(["passed", "failed", "compile_error", "timeout"]),
                    graded_at=None if waiting else graded, requeues=int(i % 997 == 0),
                ))  # fmt: skip
                submitted, graded = when()
                attempts.append(Attempt(
                    learner=learner, quiz=quiz, number=i + 1, seed=1, started_at=submitted,
                    submitted_at=submitted, status="submitted" if waiting else "graded",
                    graded_at=None if waiting else graded, passed=pick.random() < 0.6,
                    requeues=int(i % 991 == 0),
                ))  # fmt: skip
            Submission.objects.bulk_create(submissions)
            Attempt.objects.bulk_create(attempts)
        # created_at is set on insert (auto_now_add): each submission's wait is written after.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE grader_submission SET created_at = graded_at - random() * interval '8 s'"
                " WHERE exercise_id = %s AND graded_at IS NOT NULL",
                [exercise.pk],
            )
    print(f"made {rows} submissions and {rows} attempts", flush=True)


def the_old_scrape() -> Callable[[], Any]:
    """The scrape's database work before the counters: the gauges as now, and each counter
    computed from every row (the queries the data migration keeps, run at each scrape)."""
    from django.apps import apps

    from ops import selectors

    migration = importlib.import_module("counters.migrations.0002_counters_from_the_record")

    def scrape() -> None:
        selectors.waiting_work()
        migration.outcome_counts(apps)
        migration.latency_histograms(apps)
        migration.sweep_finds(apps)

    return scrape


def plans() -> None:
    """EXPLAIN of the gauges' queries as the scrape sends them: no sequential scan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ops import selectors

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE quizzes_attempt; ANALYZE grader_submission")
    with CaptureQueriesContext(connection) as sent:
        selectors.waiting_work()
    for query in sent.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + query["sql"])
            plan = [row[0] for row in cursor.fetchall()]
        print("  waiting work:", " | ".join(line.strip() for line in plan))
        assert not any("Seq Scan" in line for line in plan), plan


def grading_ms(gradings: int, shard: int | None, *, counted: bool = True) -> tuple[float, int]:
    """ms per transaction that writes a row, as a grade does, and counts it (or not); and
    the statements counting sent."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from counters.models import Counter
    from counters.services import QUIZ_ATTEMPT, Increment, counters_add, labels_key

    increments = [Increment("bench_graded", labels_key({"kind": QUIZ_ATTEMPT}), 1, 0.5)]
    row, _ = Counter.objects.get_or_create(name="bench_grade", shard=os.getpid() % 1000)
    with CaptureQueriesContext(connection) as statements, transaction.atomic():
        counters_add(increments=increments, shard=shard)
    started = time.perf_counter()
    for _ in range(gradings):
        with transaction.atomic():
            Counter.objects.filter(pk=row.pk).update(total=1.0)  # the grade's own write
            if counted:
                counters_add(increments=increments, shard=shard)
    sent = [q for q in statements.captured_queries if q["sql"] not in {"BEGIN", "COMMIT"}]
    return (time.perf_counter() - started) * 1000 / gradings, len(sent)


def _hammer(gradings: int, shard: int | None, results: Any) -> None:
    from django.db import connection

    connection.close()  # a connection of its own, not the parent's
    results.put(grading_ms(gradings, shard)[0])


def in_parallel(processes: int, gradings: int, shard: int | None) -> float:
    """Gradings per second counted by `processes` processes at once."""
    from django.db import connection

    connection.close()
    results: Any = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_hammer, args=(gradings, shard, results))
        for _ in range(processes)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    took = time.perf_counter() - started
    assert all(worker.exitcode == 0 for worker in workers)
    return processes * gradings / took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--gradings", type=int, default=2000)
    args = parser.parse_args()

    from bench.quiz import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.apps import apps
    from django.core.management import call_command

    from counters.models import Counter
    from ops import metrics, selectors

    call_command("migrate", verbosity=0)
    record_make(args.rows)
    selectors.queue_depths = dict  # the broker is not what is measured here

    print(f"scrape at {args.rows} submissions and {args.rows} attempts (PostgreSQL):")
    print(f"  before (scans): {median_ms(the_old_scrape(), times=5):8.1f} ms")
    migration = importlib.import_module("counters.migrations.0002_counters_from_the_record")
    Counter.objects.all().delete()
    started = time.perf_counter()
    migration.counters_from_the_record(apps, None)
    print(f"  migration 0002: {(time.perf_counter() - started) * 1000:8.1f} ms (once)")
    print(f"  now (counters): {median_ms(metrics.metrics_text):8.1f} ms "
          f"({Counter.objects.count()} counter rows; the waiting-work gauges alone: "
          f"{median_ms(selectors.waiting_work):.1f} ms)")  # fmt: skip
    plans()

    bench_rows = Counter.objects.filter(name__in=["bench_graded", "bench_grade"])
    bench_rows.delete()
    uncounted = grading_ms(args.gradings, shard=None, counted=False)[0]
    counted, statements = grading_ms(args.gradings, shard=None)
    print(f"one grading: {statements} statement added; a transaction that writes a row: "
          f"{uncounted:.3f} ms, and counts it: {counted:.3f} ms")  # fmt: skip
    gradings = args.gradings // 2
    for label, shard in (("own shards", None), ("one row", 0)):
        rate = in_parallel(args.processes, gradings, shard)
        print(f"  {args.processes} processes, {label}: {rate:8.0f} counted gradings/s")
    bench_rows.delete()


if __name__ == "__main__":
    main()
