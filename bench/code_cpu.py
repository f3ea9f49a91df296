"""The machine's CPU per graded Python submission, by where it is spent: the code worker with
its sandboxes, PostgreSQL, Redis.

    .venv/bin/python bench/code_cpu.py [--submissions 300] [--concurrency 2]   (as root)

A backlog of submissions of the demo Python exercise (its reference solution) is graded by a
real `celery worker` on the code queue, in a CPU cgroup of this script's (bench/run_cpu.py):
the worker, its pool processes and every sandbox they start are counted; PostgreSQL's and
Redis's processes are read from /proc before and after (PostgreSQL's includes the inserts of
the submissions, made while the warm worker grades them; this script's own CPU is not
counted). What caps throughput on a machine of few cores (issue 27: >= 4x the naive runner);
bench/code.py measures latency and graded/s, bench/run_cpu.py one run's CPU alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import code as code_bench  # noqa: E402  (sets the bench database's environment)
from bench.run_cpu import own_cpu_cgroup, used_seconds  # noqa: E402


def servers_cpu() -> dict[str, float]:
    """CPU seconds of the running PostgreSQL and Redis processes (their backends that live
    through the drain: the worker keeps its connections)."""
    found = {"postgres": 0.0, "redis": 0.0}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        for server in found:
            if name.startswith(server):
                found[server] += (int(fields[11]) + int(fields[12])) / tick
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    cgroup = own_cpu_cgroup()

    from bench.quiz import ensure_database

    ensure_database()
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from core.devstack import celery_worker_command, stop_process
    from courses.models import Course, Part, Section
    from grader.models import Submission
    from grader.services import exercise_import, submission_create

    call_command("migrate", verbosity=0)
    course, _ = Course.objects.get_or_create(slug="bench", defaults={"title": "bench"})
    part, _ = Part.objects.get_or_create(course=course, number=1, defaults={"title": "bench"})
    section, _ = Section.objects.get_or_create(
        part=part, number="1.2", defaults={"title": "bench code", "slug": "bench-code"}
    )
    learner, _ = User.objects.get_or_create(username="bench-coder")
    Submission.objects.filter(learner=learner).delete()
    exercise = exercise_import(path=code_bench.demo_folder("python"), section=section).exercise
    files = exercise.reference_files

    def worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            celery_worker_command(queue="code", concurrency=args.concurrency),
            cwd=BASE_DIR, env=os.environ.copy(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def graded(ids: list[int]) -> int:
        return Submission.objects.filter(pk__in=ids, status="graded").count()

    running = worker()
    try:
        first = [submission_create(learner=learner, exercise=exercise, files=files).pk]
        while graded(first) < 1:  # up and warm: its start is not counted
            time.sleep(0.1)
        time.sleep(1)
        cpu_before, servers_before, own_before = used_seconds(cgroup), servers_cpu(), os.times()
        started = time.perf_counter()
        ids = [
            submission_create(learner=learner, exercise=exercise, files=files).pk
            for _ in range(args.submissions)
        ]
        while graded(ids) < len(ids):
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        cpu_after, servers_after, own_after = used_seconds(cgroup), servers_cpu(), os.times()
    finally:
        stop_process(running, timeout=60)
    own = (own_after.user + own_after.system) - (own_before.user + own_before.system)
    per = 1000 / len(ids)
    print(
        f"{len(ids)} submissions made and graded in {seconds:.1f} s ({len(ids) / seconds:.1f}/s),"
        f" CPU per submission: worker and sandboxes"
        f" {(cpu_after - cpu_before - own) * per:.1f} ms, PostgreSQL"
        f" {(servers_after['postgres'] - servers_before['postgres']) * per:.1f} ms, Redis"
        f" {(servers_after['redis'] - servers_before['redis']) * per:.1f} ms"
    )


if __name__ == "__main__":
    main()
