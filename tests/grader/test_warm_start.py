"""Warm starts: a worker keeps its next Python sandbox started and waiting. The waiting
sandbox runs none of the learner's code, hands it the same empty stdin, restarts its clocks
when the work arrives, is not reused for other limits, and leaves nothing behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.runners import RunReport, run_tests
from grader.runners import python as python_runner
from grader.sandbox import Limits

pytestmark = [
    pytest.mark.slow,
    pytest.mark.no_database,
    pytest.mark.usefixtures("need_sandbox", "no_leftover_processes"),
]

LIMITS = Limits(cpu_seconds=1, wall_seconds=1, memory_mb=256, output_kb=64)
TESTS = """import unittest

from probe import probe


class ProbeTest(unittest.TestCase):
    def test_probe(self):
        self.assertEqual(probe(), "ok")
"""


@pytest.fixture
def warm(no_leftover_processes: None) -> Iterator[None]:
    # Depends on the leftover check so that the waiting sandbox is discarded before it looks.
    python_runner.python_warm_start(True)
    try:
        yield
    finally:
        python_runner.python_warm_start(False)


def waiting() -> python_runner._Warm | None:
    python_runner.python_warm_wait()  # (started in a thread after each run)
    return python_runner._warm_state["next"]


def run(solution: str, limits: Limits = LIMITS) -> RunReport:
    return run_tests(
        language="python",
        files={"probe.py": solution},
        test_files={"test_probe.py": TESTS},
        limits=limits,
    )


@pytest.mark.usefixtures("warm")
def test_the_next_run_finds_its_sandbox_waiting_and_the_results_are_the_same() -> None:
    first = run("def probe():\n    return 'ok'\n")  # cold: nothing was waiting
    ready = waiting()
    assert ready is not None
    assert ready.sandbox.alive()
    assert ready.learner.alive()  # both processes wait: the tests' and the learner's
    # on the host: the (empty) results file; nothing of the next run yet (our harness files
    # are written once per worker process, elsewhere)
    assert [p.name for p in ready.workdir.iterdir()] == [ready.results_name]
    assert (ready.workdir / ready.results_name).stat().st_size == 0

    second = run("def probe():\n    return 'no'\n")

    assert not ready.workdir.exists()  # used once, then removed
    assert waiting() is not ready
    assert (first.verdict, second.verdict) == ("passed", "failed")
    assert "'no' != 'ok'" in second.tests[0].message


@pytest.mark.usefixtures("warm")
def test_learner_code_reads_an_empty_stdin_not_the_runner_s_message() -> None:
    run("def probe():\n    return 'ok'\n")
    assert waiting() is not None

    report = run("import sys\n\ndef probe():\n    return sys.stdin.read() or 'ok'\n")

    assert report.verdict == "passed", report.tests[0].message


@pytest.mark.usefixtures("warm")
def test_the_clocks_start_when_the_work_arrives() -> None:
    run("def probe():\n    return 'ok'\n")
    time.sleep(LIMITS.wall_seconds + 0.5)  # longer than the whole wall limit, waiting

    report = run("def probe():\n    return 'ok'\n")

    assert report.verdict == "passed"
    assert report.wall_seconds < LIMITS.wall_seconds
    assert report.cpu_seconds < 0.5


@pytest.mark.usefixtures("warm")
def test_a_sandbox_started_for_other_limits_is_not_used() -> None:
    run("def probe():\n    return 'ok'\n")
    other = waiting()
    assert other is not None
    tighter = Limits(cpu_seconds=1, wall_seconds=1, memory_mb=64, output_kb=64)

    report = run("def probe():\n    return 'x' * (100 * 1024 * 1024)\n", limits=tighter)

    assert report.verdict == "memory_limit"  # the 64 MB limit held, not the waiting 256 MB
    assert not other.workdir.exists()
    assert not other.sandbox.alive()
    assert not other.learner.alive()


def test_turning_warm_starts_off_discards_the_waiting_sandbox() -> None:
    python_runner.python_warm_start(True)
    try:
        run("def probe():\n    return 'ok'\n")
        ready = waiting()
        assert ready is not None
        workdir: Path = ready.workdir
    finally:
        python_runner.python_warm_start(False)
    assert waiting() is None
    assert not workdir.exists()
    assert not ready.sandbox.alive()
    assert not ready.learner.alive()
