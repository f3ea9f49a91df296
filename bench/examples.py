"""Latency of "run the examples": the learner presses the button -> the result is stored.

    .venv/bin/python bench/examples.py [--python 30] [--go 8]   (0: skip a language)

PostgreSQL and Redis as bench/code.py (DATABASE_URL, REDIS_URL; defaults: the local
servers, database `zachet_bench`, Redis db 14). A demo Python and a demo Go exercise are
imported; a real `celery worker` on the code queue (concurrency 1, one learner's runs are
one at a time anyway) runs the learner's code on the exercise's visible examples in the
bubblewrap sandbox. Each run is created with `example_run_create` (what the page's and
the API's "run the examples" call) and awaited before the next, the reference solution
alternating with the starter (a failing run costs what a passing one does, or more).

Printed per language: submit -> result (example_run_create called -> status done seen by
polling every 10 ms) p50/p90/max, and its parts from the row's timestamps. The page adds
its own poll interval on top (courses/static/courses/live.js). Not a test: numbers only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zachet_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
# One learner runs back to back here: the per-learner limit would stop the bench.
os.environ["GRADER_EXAMPLE_RUNS_PER_MINUTE"] = "100000"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", type=int, default=30, help="Python runs")
    parser.add_argument("--go", type=int, default=8, help="Go runs")
    args = parser.parse_args()

    from bench.code import demo_folder
    from bench.quiz import ensure_database
    from bench.timing import percentiles, print_load

    ensure_database()
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from config.celery import app
    from core.devstack import celery_worker_command, stop_process
    from courses.models import Course, Part, Section
    from grader.models import CodingExercise, ExampleRun
    from grader.runners.go import go_cache_warm
    from grader.services import example_run_create, exercise_import

    call_command("migrate", verbosity=0)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("code")  # type: ignore[attr-defined]
    go_cache_warm()
    course, _ = Course.objects.get_or_create(slug="bench", defaults={"title": "bench"})
    part, _ = Part.objects.get_or_create(course=course, number=1, defaults={"title": "bench"})
    section, _ = Section.objects.get_or_create(
        part=part, number="1.3", defaults={"title": "bench examples", "slug": "bench-examples"}
    )
    learner, _ = User.objects.get_or_create(username="bench-examples")
    ExampleRun.objects.filter(learner=learner).delete()
    print_load("before")

    def run_once(exercise: CodingExercise, files: dict[str, str]) -> tuple[float, ExampleRun]:
        started = time.perf_counter()
        run = example_run_create(learner=learner, exercise=exercise, files=files)
        deadline = time.monotonic() + 300
        while True:
            status = ExampleRun.objects.filter(pk=run.pk).values_list("status", flat=True)[0]
            if status in {ExampleRun.Status.DONE, ExampleRun.Status.ERROR}:
                elapsed = (time.perf_counter() - started) * 1000
                run.refresh_from_db()
                return elapsed, run
            if time.monotonic() > deadline:
                raise SystemExit("a run of the examples did not finish within 300 s")
            time.sleep(0.01)

    for language, count in (("python", args.python), ("go", args.go)):
        if count < 1:
            continue
        imported = exercise_import(path=demo_folder(language), section=section)
        if not imported.check.ok:
            raise SystemExit(imported.check.report)
        exercise = imported.exercise
        worker = subprocess.Popen(
            celery_worker_command(queue="code", concurrency=1),
            cwd=BASE_DIR, env=os.environ.copy(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            run_once(exercise, exercise.reference_files)  # the worker is up and warm
            seen, queued, running, verdicts = [], [], [], []
            for n in range(count):
                files = exercise.reference_files if n % 2 == 0 else exercise.starter_files
                elapsed, run = run_once(exercise, files)
                seen.append(elapsed)
                if run.started_at and run.finished_at:
                    queued.append((run.started_at - run.created_at).total_seconds() * 1000)
                    running.append((run.finished_at - run.started_at).total_seconds() * 1000)
                verdicts.append(run.verdict or run.status)
        finally:
            stop_process(worker, timeout=60)
        print(
            f"{language:6s} {exercise.slug}: {count} runs, submit -> result {percentiles(seen)}\n"
            f"{'':6s} of it: created -> run started p50 {statistics.median(queued):.0f} ms,"
            f" run and store p50 {statistics.median(running):.0f} ms;"
            f" verdicts {sorted(set(verdicts))}",
            flush=True,
        )
    print_load("after")


if __name__ == "__main__":
    main()
