"""Warm starts: a worker keeps its next Python sandbox started and waiting. The waiting
sandbox runs none of the learner's code, hands it the same empty stdin, restarts its clocks
when the work arrives, is not reused for other limits, and leaves nothing behind. With a
zygote (the default), the test process is a fork of one loaded process per worker process:
nothing of one run reaches the next, and a broken zygote costs one run, not the worker."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.runners import RunReport, run_tests
from grader.runners import python as python_runner
from grader.sandbox import ForkedSandbox, Limits

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


@pytest.fixture(params=[True, False], ids=["zygote", "no-zygote"])
def warm(
    request: pytest.FixtureRequest, no_leftover_processes: None, settings: Any
) -> Iterator[None]:
    # Depends on the leftover check so that the waiting sandbox is discarded before it looks.
    settings.GRADER_PYTHON_ZYGOTE = request.param
    python_runner.python_warm_start(True)
    try:
        yield
    finally:
        python_runner.python_warm_start(False)


def results_file(ready: python_runner._Warm) -> tuple[int, int] | Path:
    """Where the waiting run's results go: a file in memory (a zygote's fork), as its
    descriptor and inode, or a file in the test sandbox's work directory on the host."""
    if ready.results_fd is not None:
        assert ready.workdir is None  # nothing on the host's disk
        return ready.results_fd, os.fstat(ready.results_fd).st_ino
    assert ready.workdir is not None
    return ready.workdir / ready.results_name


def removed(results: tuple[int, int] | Path) -> bool:
    if isinstance(results, Path):
        return not results.parent.exists()
    fd, inode = results
    try:
        return os.fstat(fd).st_ino != inode  # (its number may be another's by now)
    except OSError:
        return True


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
    results = results_file(ready)
    if isinstance(results, Path):
        assert [p.name for p in results.parent.iterdir()] == [results.name]
        assert results.stat().st_size == 0
    else:
        assert os.fstat(results[0]).st_size == 0

    second = run("def probe():\n    return 'no'\n")

    assert removed(results)  # used once, then removed
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
    results = results_file(other)
    tighter = Limits(cpu_seconds=1, wall_seconds=1, memory_mb=64, output_kb=64)

    report = run("def probe():\n    return 'x' * (100 * 1024 * 1024)\n", limits=tighter)

    assert report.verdict == "memory_limit"  # the 64 MB limit held, not the waiting 256 MB
    assert removed(results)
    assert not other.sandbox.alive()
    assert not other.learner.alive()


def test_turning_warm_starts_off_discards_the_waiting_sandbox() -> None:
    python_runner.python_warm_start(True)
    try:
        run("def probe():\n    return 'ok'\n")
        ready = waiting()
        assert ready is not None
        results = results_file(ready)
    finally:
        python_runner.python_warm_start(False)
    assert waiting() is None
    assert removed(results)
    assert not ready.sandbox.alive()
    assert not ready.learner.alive()


def zygote_pid(role: str = "tests") -> int:
    """The host pid of the worker's zygote of `role` ("tests", "learner")."""
    (zygote,) = (found[0] for key, found in python_runner._zygotes.items() if key[0] == role)
    return zygote._sandbox.pid


@pytest.fixture
def zygote(no_leftover_processes: None, settings: Any) -> Iterator[None]:
    settings.GRADER_PYTHON_ZYGOTE = True
    python_runner.python_warm_start(True)
    try:
        yield
    finally:
        python_runner.python_warm_start(False)


def run_tests_of(tests: str) -> RunReport:
    return run_tests(
        language="python",
        files={"probe.py": "def probe():\n    return 'ok'\n"},
        test_files={"test_probe.py": tests},
        limits=LIMITS,
    )


@pytest.mark.usefixtures("zygote")
def test_a_worker_s_test_processes_are_forks_of_one_zygote() -> None:
    first = run("def probe():\n    return 'ok'\n")
    ready = waiting()
    assert ready is not None
    zygote = zygote_pid()

    second = run("def probe():\n    return 'ok'\n")

    assert (first.verdict, second.verdict) == ("passed", "passed")
    assert zygote_pid() == zygote  # the same zygote served both
    assert isinstance(ready.sandbox, ForkedSandbox)
    nxt = waiting()
    assert nxt is not None
    assert nxt.sandbox.pid != ready.sandbox.pid  # a fork a run


LEAVE_THINGS_BEHIND = """import os
import subprocess


def test_leave():
    subprocess.Popen(["sleep", "60"], start_new_session=True)
    for path in ("/tmp/left", "/dev/shm/left", "left.txt"):
        with open(path, "w") as file:
            file.write("left")
    os.makedirs("locked/inner")
    with open("locked/inner/file", "w") as file:
        file.write("left")
    os.chmod("locked/inner", 0o500)
    os.chmod("locked", 0o500)
"""
FIND_NOTHING_LEFT = """import os


def test_nothing_left():
    assert os.listdir("/tmp") == []
    assert os.listdir("/dev/shm") == []
    # the learner's files as data (the tests' own are never on disk), and nothing else
    assert sorted(name for name in os.listdir(".") if not name.startswith("_zachet_")) == [
        "probe.py"
    ]
    others = {int(pid) for pid in os.listdir("/proc") if pid.isdigit()} - {1, 2, os.getpid()}
    assert others == set()
"""


@pytest.mark.usefixtures("zygote")
def test_nothing_of_one_run_reaches_the_next() -> None:
    # (the exercise's tests, not learner code, run in the test process: a hostile author's)
    left = run_tests_of(LEAVE_THINGS_BEHIND)
    zygote = zygote_pid()

    clean = run_tests_of(FIND_NOTHING_LEFT)

    assert left.verdict == "passed", left.tests[0].message
    assert clean.verdict == "passed", clean.tests[0].message
    assert zygote_pid() == zygote


KILL_THE_ZYGOTE = """import os
import signal
import time


def test_kill():
    os.kill(2, signal.SIGKILL)  # the zygote: pid 2 of the sandbox's namespace
    time.sleep(5)
"""


@pytest.mark.usefixtures("zygote")
def test_tests_that_kill_the_zygote_lose_their_own_run_only() -> None:
    run("def probe():\n    return 'ok'\n")
    zygote = zygote_pid()

    killed = run_tests_of(KILL_THE_ZYGOTE)
    after = run("def probe():\n    return 'ok'\n")

    assert killed.verdict == "runtime_error", killed.message
    assert after.verdict == "passed", after.message
    assert zygote_pid() != zygote  # a new one


# --- standard modules imported ahead -----------------------------------------------------


def test_standard_imports_names_only_standard_modules_the_files_import() -> None:
    files = {
        "solution.py": (
            "from __future__ import annotations\n"
            "import dataclasses, json as j\n"
            "from collections.abc import Callable\n"
            "    import typing  # (indented: in a function)\n"
            "from . import helpers\n"
            "import numpy\n"
            "import this\n"  # runs something at import: never ahead
            "x = 'import re'\n"
        ),
        "notes.txt": "import asyncio\n",  # not Python
    }

    assert python_runner.standard_imports(files) == (
        "collections.abc", "dataclasses", "json", "typing",
    )  # fmt: skip


@pytest.mark.usefixtures("warm")
def test_the_next_learner_process_imports_ahead_what_the_last_one_did() -> None:
    uses = "import dataclasses\nimport json\n\ndef probe():\n    return json.loads('\"ok\"')\n"
    assert run(uses).verdict == "passed"
    ready = waiting()
    assert ready is not None
    assert ready.preload == ("dataclasses", "json")

    again = run(uses)

    assert again.verdict == "passed", again.tests[0].message
    nxt = waiting()
    assert nxt is not None
    assert nxt.preload == ("dataclasses", "json")


@pytest.mark.usefixtures("warm")
def test_a_learner_module_named_as_a_standard_one_still_shadows_it() -> None:
    assert run("import calendar\n\ndef probe():\n    return 'ok'\n").verdict == "passed"
    ready = waiting()
    assert ready is not None
    assert "calendar" in ready.preload
    tests = (
        "import unittest\n\nfrom calendar import MARK\n\n\n"
        "class ShadowTest(unittest.TestCase):\n"
        "    def test_the_learner_s_own_calendar(self):\n"
        "        self.assertEqual(MARK, 'mine')\n"
    )

    report = run_tests(
        language="python",
        files={"calendar.py": "MARK = 'mine'\n", "probe.py": "import calendar\n"},
        test_files={"test_probe.py": tests},
        limits=LIMITS,
    )

    assert report.verdict == "passed", report.tests[0].message if report.tests else report
    assert not ready.learner.alive()  # not used: discarded, a learner process without it ran
