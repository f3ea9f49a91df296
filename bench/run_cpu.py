"""The machine's CPU time a Python run costs, with and without the worker's zygote.

    .venv/bin/python bench/run_cpu.py [--runs 40] [--exercise demo/exercises/...]   (as root)

Runs an exercise's reference solution through run_python_tests as a Celery worker does
(warm starts on), one run at a time with a pause after each, in a cpuacct cgroup of its own
(root: the runs' sandboxes, their bwrap and every process they start are counted, idle or not),
with both zygotes (each process forked from a loaded one, the default), with the tests' zygote
only, and with neither (new sandboxes and interpreters every run). Prints the latency of a run
(its call, not a submission's path through Celery: bench/code.py measures that) and the CPU per
run: what caps a worker's throughput on a machine of few cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# (the tests' zygote, the learner's zygote, what that is)
MODES = (
    (True, True, "both processes forks of zygotes"),
    (True, False, "the test process a fork, a new learner sandbox each run"),
    (False, False, "two new sandboxes each run"),
)
PAUSE = 0.15  # after each run: the next warm start and the kernel's teardown finish in it


def own_cpu_cgroup() -> Path:
    """A cpuacct cgroup (v1) or a v2 cgroup of our own, this process moved into it."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        hierarchy, controllers, relative = line.split(":", 2)
        if "cpuacct" in controllers.split(",") or (hierarchy == "0" and not controllers):
            base = Path("/sys/fs/cgroup", controllers if controllers else "")
            folder = base / relative.lstrip("/") / f"bench-run-cpu-{os.getpid()}"
            try:
                folder.mkdir()
                (folder / "cgroup.procs").write_text(str(os.getpid()))
            except OSError as error:
                raise SystemExit(
                    f"cannot make a cgroup to count CPU in ({error}): run as root"
                ) from None
            return folder
    raise SystemExit("no cpuacct cgroup here")


def used_seconds(folder: Path) -> float:
    if (folder / "cpuacct.usage").exists():
        return int((folder / "cpuacct.usage").read_text()) / 1e9
    for line in (folder / "cpu.stat").read_text().splitlines():
        if line.startswith("usage_usec "):
            return int(line.split()[1]) / 1e6
    raise SystemExit(f"{folder}: no CPU accounting")


def measure(exercise: Path, runs: int, folder: Path) -> tuple[float, float]:
    from grader.exercise_source import load_exercise_source
    from grader.runners import python as runner
    from grader.sandbox import Limits

    source = load_exercise_source(exercise)
    limits = Limits(**source.limits)

    def run() -> None:
        report = runner.run_python_tests(
            files=source.reference_files, test_files=source.test_files,
            support_files=source.support_files, limits=limits,
        )  # fmt: skip
        if report.verdict != "passed":
            raise SystemExit(f"the reference did not pass: {report.verdict} {report.message}")

    runner.python_warm_start(True)
    try:
        run()  # cold: the zygote and the first warm pair start here
        runner.python_warm_wait()
        time.sleep(1)
        before = used_seconds(folder)
        time.sleep(runs * PAUSE)  # what the pauses cost alone (threads, the broker's clients)
        idle_cpu = used_seconds(folder) - before
        latency = []
        before = used_seconds(folder)
        for _ in range(runs):
            started = time.perf_counter()
            run()
            latency.append(time.perf_counter() - started)
            runner.python_warm_wait()
            time.sleep(PAUSE)
        cpu = (used_seconds(folder) - before - idle_cpu) / runs
    finally:
        runner.python_warm_start(False)
    return statistics.median(latency) * 1000, cpu * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--exercise", type=Path, default=BASE_DIR / "demo/exercises/4.4-token-bucket-python"
    )
    args = parser.parse_args()
    folder = own_cpu_cgroup()
    import django
    from django.conf import settings

    django.setup()
    try:
        for tests_zygote, learner_zygote, label in MODES:
            settings.GRADER_PYTHON_ZYGOTE = tests_zygote
            settings.GRADER_PYTHON_LEARNER_ZYGOTE = learner_zygote
            latency, cpu = measure(args.exercise.resolve(), args.runs, folder)
            print(
                f"{args.exercise.name}, {label}:"
                f" run latency p50 {latency:5.1f} ms; CPU per run {cpu:5.1f} ms",
                flush=True,
            )
    finally:  # back to where we were, and the cgroup removed
        (folder.parent / "cgroup.procs").write_text(str(os.getpid()))
        folder.rmdir()


if __name__ == "__main__":
    main()
