"""Code grading latency and throughput through the worker and the sandbox, vs the naive way.

    .venv/bin/python bench/code.py [--python 60] [--go 12] [--concurrency 2]   (0: skip a language)

PostgreSQL and Redis (DATABASE_URL, REDIS_URL; defaults: the local servers,
database `zachet_bench`, Redis db 14). Submissions of a demo Python and a demo Go
exercise (their reference solutions) go through `submission_create`, a real
`celery worker` on the code queue and the bubblewrap sandbox. For each language:

* latency: submissions at a steady rate, created -> graded per submission;
* throughput: a backlog graded by the worker, first to last graded;
* naive: the same tests the naive way, unsandboxed: a fresh `python -m pytest`
  process per submission (pytest alone in a plain virtualenv, plugin autoloading off:
  PYTEST_DISABLE_PLUGIN_AUTOLOAD=1, as a user's machine would run it, not our dev
  environment with every plugin), or `go test -count=1` with a warm build cache, as a
  user's machine has (one untimed run warms it first; before, the cache was empty: 22.8 s a
  run).

Targets (2-core machine, issue 27): Python p50 <= 30 ms, >= 25 graded/s and >= 4x naive
(with warm starts of both its processes); Go p50 <= 0.6 s warm, >= 2 graded/s.
bench/rpc.py measures one call between a Python run's two processes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zachet_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)

DEMO_EXERCISES = BASE_DIR / "demo" / "exercises"
NAIVE_VENV = BASE_DIR / "var" / "bench-naive-venv"


def naive_python() -> str:
    """A plain virtualenv with pytest alone (our version of it), made once."""
    python = NAIVE_VENV / "bin" / "python"
    if not python.exists():
        import pytest

        subprocess.run([sys.executable, "-m", "venv", str(NAIVE_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"pytest=={pytest.__version__}"],
            check=True,
        )
    return str(python)


def percentiles(values_ms: list[float]) -> str:
    q = statistics.quantiles(sorted(values_ms), n=100) if len(values_ms) > 1 else values_ms * 99
    return f"p50 {q[49]:7.1f} ms  p95 {q[94]:7.1f} ms"


def demo_folder(language: str) -> Path:
    for folder in sorted(DEMO_EXERCISES.iterdir()):
        config = folder / "exercise.toml"
        if config.is_file() and tomllib.loads(config.read_text())["language"] == language:
            return folder
    raise SystemExit(f"no demo {language} exercise")


def naive_run(exercise: Any, language: str, go_cache: str = "") -> float:
    """One submission graded the naive way; seconds. `go_cache`: the build cache `go test`
    keeps between runs (empty: one of its own, cold)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {**exercise.support_files, **exercise.reference_files,
                 **exercise.example_files, **exercise.test_files}  # fmt: skip
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        if language == "python":
            command = [naive_python(), "-m", "pytest", "-q", str(root)]
            env = {"PATH": os.environ["PATH"], "HOME": str(root),
                   "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # fmt: skip
        else:
            from grader.runners.go import go_root

            goroot = go_root()
            command = [str(goroot / "bin" / "go"), "test", "-count=1", "./..."]
            env = {**os.environ, "GOROOT": str(goroot), "GOCACHE": go_cache or str(root / ".cache"),
                   "GOPATH": str(root / ".gopath"), "GOTOOLCHAIN": "local", "GOPROXY": "off",
                   "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"naive run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", type=int, default=60, help="Python submissions per phase")
    parser.add_argument("--go", type=int, default=12, help="Go submissions per phase")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    from bench.quiz import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db.models import Count, Q

    from config.celery import app
    from core.devstack import celery_worker_command, stop_process
    from courses.models import Course, Part, Section
    from grader.models import Submission
    from grader.runners.go import go_cache_warm
    from grader.services import exercise_import, submission_create

    call_command("migrate", verbosity=0)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("code")  # type: ignore[attr-defined]
    go_cache_warm()
    course, _ = Course.objects.get_or_create(slug="bench", defaults={"title": "bench"})
    part, _ = Part.objects.get_or_create(course=course, number=1, defaults={"title": "bench"})
    section, _ = Section.objects.get_or_create(
        part=part, number="1.2", defaults={"title": "bench code", "slug": "bench-code"}
    )
    learner, _ = User.objects.get_or_create(username="bench-coder")
    Submission.objects.filter(learner=learner).delete()

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            celery_worker_command(queue="code", concurrency=args.concurrency),
            cwd=BASE_DIR, env=os.environ.copy(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def wait_graded(ids: list[int]) -> None:
        # One cheap query per poll (a range of this run's ids, not an IN list of each), so
        # the bench takes little CPU from the worker it measures. The ids are this
        # process's, consecutive: nothing else writes to the bench database.
        ours = Submission.objects.filter(learner=learner, pk__range=(min(ids), max(ids)))
        deadline = time.monotonic() + 600
        while True:
            counts = ours.aggregate(
                graded=Count("pk", filter=Q(status="graded")),
                failed=Count("pk", filter=Q(status="error")),
            )
            if counts["failed"]:
                raise SystemExit("a submission ended in error")
            if counts["graded"] >= len(ids):
                return
            if time.monotonic() > deadline:
                raise SystemExit("not graded within 600 s")
            time.sleep(0.05)

    for language, count, rate in (("python", args.python, 10.0), ("go", args.go, 1.0)):
        if count < 1:  # --go 0: Python only
            continue
        imported = exercise_import(path=demo_folder(language), section=section)
        if not imported.check.ok:
            raise SystemExit(imported.check.report)
        exercise = imported.exercise
        files = exercise.reference_files

        worker = start_worker()
        try:
            warm = submission_create(learner=learner, exercise=exercise, files=files)
            wait_graded([warm.pk])  # the worker is up and warm

            ids = []
            for _ in range(count):
                ids.append(submission_create(learner=learner, exercise=exercise, files=files).pk)
                time.sleep(1 / rate)
            wait_graded(ids)
            rows = Submission.objects.filter(pk__in=ids).values_list(
                "created_at", "started_at", "graded_at"
            )
            latency = [(g - c).total_seconds() * 1000 for c, _s, g in rows if g]
            # Its two parts: the queue (broker, worker, claim) and the run with its storing.
            queued = [(s - c).total_seconds() * 1000 for c, s, g in rows if g and s]
            running = [(g - s).total_seconds() * 1000 for _c, s, g in rows if g and s]
            verdicts = set(Submission.objects.filter(pk__in=ids).values_list("verdict", flat=True))

            stop_process(worker, timeout=60)
            ids = [
                submission_create(learner=learner, exercise=exercise, files=files).pk
                for _ in range(count)
            ]
            worker = start_worker()
            wait_graded(ids)
            graded: list[Any] = list(
                Submission.objects.filter(pk__in=ids).values_list("graded_at", flat=True)
            )
            graded.sort()
            throughput = (len(ids) - 1) / (graded[-1] - graded[0]).total_seconds()
        finally:
            stop_process(worker, timeout=60)

        naive_count = min(count, 20 if language == "python" else 8)
        with (
            tempfile.TemporaryDirectory() as go_cache,
            ThreadPoolExecutor(max_workers=args.concurrency) as pool,
        ):
            if language == "go":
                naive_run(exercise, language, go_cache)  # warms the cache, untimed
            else:
                naive_python()  # made once here: two threads would both make it
            started = time.perf_counter()
            naive = list(
                pool.map(
                    naive_run,
                    [exercise] * naive_count,
                    [language] * naive_count,
                    [go_cache] * naive_count,
                )
            )
            naive_rate = naive_count / (time.perf_counter() - started)
        print(
            f"{language:6s} {exercise.slug}: latency at {rate:.0f}/s {percentiles(latency)};"
            f" throughput {throughput:5.1f} graded/s; verdicts {sorted(verdicts)}\n"
            f"{'':6s} of the latency: created -> run started p50"
            f" {statistics.median(queued):.1f} ms, run and store p50"
            f" {statistics.median(running):.1f} ms\n"
            f"{'':6s} naive ({'pytest' if language == 'python' else 'go test, warm cache'},"
            f" {naive_count} runs, {args.concurrency} at a time): {statistics.median(naive):.2f} s"
            f" each, {naive_rate:.2f}/s -> ours is {throughput / naive_rate:.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
