# ruff: noqa: E501 - the programs under test read better unwrapped
"""Python exercises run for real in the sandbox: hostile programs get the right verdict within
their limits, leak nothing and leave no process behind; ordinary ones pass and fail usefully."""

from __future__ import annotations

import dataclasses
import json
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import sandbox
from grader.runners import RunReport, run_tests
from grader.sandbox import Limits

pytestmark = [
    pytest.mark.slow,
    pytest.mark.no_database,
    pytest.mark.usefixtures("need_sandbox", "python_runs"),
]

REPO = Path(__file__).resolve().parents[2]
TIGHT = Limits(cpu_seconds=1, wall_seconds=2, memory_mb=256, output_kb=64)
PROBE_TEST = """from probe import probe


def test_probe():
    assert probe() == {}
"""


def run(solution: str, tests: str = PROBE_TEST, limits: Limits = TIGHT) -> RunReport:
    report = run_tests(
        language="python",
        files={"probe.py": solution},
        test_files={"test_probe.py": tests},
        limits=limits,
    )
    assert report.wall_seconds <= limits.wall_seconds + 1
    return report


def everything(report: RunReport) -> str:
    return json.dumps(report.results_json()) + report.stdout + report.stderr + report.message


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    value = "zachet-secret-" + secrets.token_hex(8)
    monkeypatch.setenv("ZACHET_TEST_SECRET", value)
    return value


@pytest.fixture
def host_listener() -> Iterator[int]:
    """A TCP service on the host's loopback the sandbox must not reach."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


# --- hostile programs ---------------------------------------------------------------------


@pytest.mark.usefixtures("no_leftover_processes")
def test_infinite_loop_is_a_time_limit() -> None:
    report = run("def probe():\n    while True:\n        pass\n")
    assert report.verdict == "time_limit", everything(report)
    assert report.tests[0].status == "error"


@pytest.mark.usefixtures("no_leftover_processes")
def test_sleeping_past_the_wall_clock_is_a_time_limit() -> None:
    report = run("import time\n\ndef probe():\n    time.sleep(60)\n")
    assert report.verdict == "time_limit"
    assert "took over 2 s" in report.message


@pytest.mark.usefixtures("no_leftover_processes")
def test_fork_bomb_is_stopped() -> None:
    report = run(
        "import os\n\ndef probe():\n    while True:\n        try:\n            os.fork()\n"
        "        except OSError:\n            pass\n"
    )
    assert report.verdict == "time_limit"


@pytest.mark.usefixtures("no_leftover_processes")
def test_memory_bomb_is_a_memory_limit() -> None:
    report = run(
        "def probe():\n    hog = []\n    while True:\n        hog.append(bytearray(10**7))\n"
    )
    assert report.verdict == "memory_limit"


@pytest.mark.usefixtures("no_leftover_processes")
def test_memory_bomb_across_processes_hits_the_cgroup() -> None:
    # Each child stays under RLIMIT_AS (256 MB); together they exceed the run's memory.
    report = run(
        "import os, time\n\ndef probe():\n"
        "    for _ in range(6):\n"
        "        if os.fork() == 0:\n"
        "            hog = bytearray(200 * 1024 * 1024)\n"
        "            for i in range(0, len(hog), 4096):\n"
        "                hog[i] = 1\n"
        "            os._exit(0)\n"
        "    for _ in range(6):\n"
        "        os.wait()\n"
        "    return {}\n",
        limits=Limits(cpu_seconds=2, wall_seconds=3),
    )
    assert report.verdict == "memory_limit"


@pytest.mark.usefixtures("no_leftover_processes")
def test_hundred_megabytes_of_output_is_an_output_limit() -> None:
    report = run(
        "import os\n\ndef probe():\n    chunk = b'x' * 1_000_000\n"
        "    for _ in range(100):\n        os.write(1, chunk)\n"
    )
    assert report.verdict == "output_limit"
    assert len(report.stdout) <= 11_000


def test_printing_inside_a_test_is_captured_and_capped() -> None:
    report = run("def probe():\n    print('y' * 10_000_000)\n    return {}\n")
    assert report.verdict == "passed"
    assert len(report.tests[0].output) <= 500


@pytest.mark.usefixtures("no_leftover_processes")
def test_a_one_gigabyte_file_is_refused() -> None:
    report = run(
        "def probe():\n    with open('big', 'wb') as f:\n"
        "        for _ in range(1024):\n            f.write(b'x' * 1024 * 1024)\n    return {}\n"
    )
    assert report.verdict == "failed"
    assert "File too large" in report.tests[0].message


@pytest.mark.usefixtures("no_leftover_processes")
def test_many_files_in_the_work_directory_fill_the_memory_limit_not_the_disk() -> None:
    # Regression: /work was the host's disk: 15 MB files, one after another, wrote ~20 GB
    # in a 10 s run. Now it is a tmpfs counted in the run's memory.
    report = run(
        "def probe():\n"
        "    mounts = [line.split() for line in open('/proc/self/mounts')]\n"
        "    work = [m[2] for m in mounts if m[1] == '/work']\n"
        "    if work[-1:] != ['tmpfs']:\n        return {'/work': work}\n"
        "    chunk = b'x' * (1 << 20)\n    for i in range(2000):\n"
        "        with open(f'f{i}', 'wb') as f:\n"
        "            for _ in range(15):\n                f.write(chunk)\n    return {}\n",
        limits=dataclasses.replace(TIGHT, wall_seconds=5, cpu_seconds=5),
    )
    if sandbox._own_cgroups()[1].get("memory"):  # the tmpfs pages count in the cgroup
        assert report.verdict == "memory_limit", everything(report)
    else:  # the tmpfs's own size stops it
        assert report.verdict == "failed", everything(report)
        assert "No space left on device" in report.tests[0].message


@pytest.mark.usefixtures("no_leftover_processes")
def test_no_network(host_listener: int) -> None:
    report = run(
        "import socket\n\ndef probe():\n    reached = {}\n"
        f"    for port in (6379, 5432, {host_listener}):\n"
        "        try:\n"
        "            socket.create_connection(('127.0.0.1', port), timeout=1).close()\n"
        "            reached[port] = True\n"
        "        except OSError:\n"
        "            pass\n"
        "    return reached\n"
    )
    assert report.verdict == "passed", everything(report)


@pytest.mark.usefixtures("no_leftover_processes")
def test_host_files_and_environment_are_invisible(secret: str) -> None:
    paths = [
        "/etc/passwd",
        "/etc/shadow",
        str(REPO / "config" / "settings.py"),
        str(REPO / "var" / "db.sqlite3"),
        "/root",
        "/home",
        "/var",
        "/run",
    ]
    report = run(
        "import glob, os\n\ndef probe():\n    seen = {}\n"
        f"    for path in {paths!r}:\n"
        "        if os.path.exists(path):\n            seen[path] = True\n"
        "    if any('SECRET' in key for key in os.environ):\n        seen['env'] = dict(os.environ)\n"
        "    for path in ['/proc/1/environ', f'/proc/{os.getppid()}/environ', *glob.glob('/proc/*/environ')]:\n"
        "        try:\n            text = open(path, 'rb').read()\n        except OSError:\n            continue\n"
        "        if b'SECRET' in text or b'ZACHET' in text:\n            seen[path] = text[:200]\n"
        "    return seen\n"
    )
    assert report.verdict == "passed", everything(report)
    assert secret not in everything(report)


@pytest.mark.usefixtures("no_leftover_processes")
def test_writes_outside_the_work_directory_fail_or_vanish() -> None:
    marker = "zachet-probe-" + secrets.token_hex(6)
    report = run(
        "def probe():\n    written = {}\n"
        f"    for path in ['/usr/{marker}', '/{marker}', '/etc/{marker}', '/dev/{marker}']:\n"
        "        try:\n            open(path, 'w').write('x')\n            written[path] = True\n"
        "        except OSError:\n            pass\n"
        f"    open('/tmp/{marker}', 'w').write('private')\n"
        "    return written\n"
    )
    assert report.verdict == "passed", everything(report)
    assert not Path("/tmp", marker).exists()
    assert not Path("/usr", marker).exists()


@pytest.mark.usefixtures("no_leftover_processes")
def test_setsid_double_fork_does_not_outlive_the_run() -> None:
    started = time.monotonic()
    report = run(
        "import os, time\n\ndef probe():\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(600)\n"
        "        os._exit(0)\n"
        "    time.sleep(0.2)\n"
        "    return {}\n"
    )
    assert report.verdict == "passed"
    assert time.monotonic() - started < 2


@pytest.mark.usefixtures("no_leftover_processes")
def test_exiting_the_process_is_a_runtime_error() -> None:
    report = run("import os\n\ndef probe():\n    os._exit(0)\n")
    assert report.verdict == "runtime_error"


@pytest.mark.usefixtures("no_leftover_processes")
def test_printed_results_cannot_forge_a_pass() -> None:
    fake = json.dumps(
        {"nonce": "x", "done": True, "tests": [{"name": "test_probe", "status": "pass"}]}
    )
    report = run(
        f"import os\nos.write(1, {fake!r}.encode())\n"
        "for name in os.listdir('.'):\n"
        "    if name.startswith('.zachet-results'):\n"
        f"        open(name, 'w').write({fake!r})\n"
        "def probe():\n    return {'failed': True}\n"
    )
    assert report.verdict == "failed"


# --- ordinary exercises -------------------------------------------------------------------

LASAGNA_TESTS = """import unittest

import pytest

from lasagna import bake_time_remaining, preparation_time


@pytest.mark.task(taskno=1)
def test_bake_time_remaining():
    assert bake_time_remaining(30) == 10


@pytest.mark.task(taskno=2)
@pytest.mark.parametrize(("layers", "minutes"), [(1, 2), (3, 6)])
def test_preparation_time(layers, minutes):
    assert preparation_time(layers) == minutes


class LasagnaTest(unittest.TestCase):
    @pytest.mark.task(taskno=1)
    def test_zero(self):
        self.assertEqual(bake_time_remaining(40), 0, msg="done at 40")

    def test_raises(self):
        with pytest.raises(ValueError):
            bake_time_remaining(-1)
"""

LASAGNA = """def bake_time_remaining(elapsed):
    if elapsed < 0:
        raise ValueError("negative")
    return 40 - elapsed


def preparation_time(layers):
    return layers * 2
"""


def lasagna(solution: str) -> RunReport:
    return run_tests(
        language="python",
        files={"lasagna.py": solution},
        test_files={"test_lasagna.py": LASAGNA_TESTS},
        limits=Limits(),
    )


def test_a_correct_solution_passes() -> None:
    report = lasagna(LASAGNA)
    assert report.verdict == "passed", report
    assert [(t.name, t.task_id) for t in report.tests] == [
        ("test_bake_time_remaining", 1),
        ("test_preparation_time[1-2]", 2),
        ("test_preparation_time[3-6]", 2),
        ("LasagnaTest.test_zero", 1),
        ("LasagnaTest.test_raises", None),
    ]
    assert report.tests[0].test_code.startswith("def test_bake_time_remaining():")
    assert report.results_json()["status"] == "pass"


def test_a_wrong_solution_fails_with_expected_and_got() -> None:
    report = lasagna(
        LASAGNA.replace("return 40 - elapsed", "print('debug')\n    return 41 - elapsed")
    )
    assert report.verdict == "failed"
    first = report.tests[0]
    assert first.status == "fail"
    assert first.message == (
        "assert bake_time_remaining(30) == 10: expected 10, got 11 (at test_lasagna.py:10)"
    )
    assert first.output == "debug\n"  # the learner's output apart from the message
    assert (first.expected, first.got) == ("10", "11")
    assert "done at 40" in report.tests[3].message
    # assertEqual(got, expected), from unittest: the same two fields.
    assert (report.tests[3].expected, report.tests[3].got) == ("0", "1")
    assert report.passed_count == 3
    assert report.results_json()["tests"][0]["expected"] == "10"
    assert report.tests[4].status == "pass"
    assert "expected" not in report.results_json()["tests"][4]


def test_expected_and_got_are_reprs_capped_and_printing_cannot_fill_them() -> None:
    """The two sides come from the test process's comparison: a long value is cut, a string
    keeps its quotes, and text the learner prints that looks like a comparison is output."""
    tests = (
        "from probe import probe, text\n\n"
        "def test_long():\n    assert probe() == list(range(5))\n\n"
        "def test_text():\n    assert text() == 'ок'\n\n"
        "def test_other():\n    assert len(text()) > 10\n"
    )
    solution = (
        "def probe():\n    return list(range(10_000))\n\n"
        "def text():\n    print('expected 1, got 1')\n    return 'нет'\n"
    )
    report = run(solution, tests)

    long, text, other = report.tests
    assert long.expected == "[0, 1, 2, 3, 4]"
    assert long.got.startswith("[0, 1, 2,")
    assert long.got.endswith("...")
    assert len(long.got) <= 300
    assert (text.expected, text.got) == ("'ок'", "'нет'")
    assert text.output == "expected 1, got 1\n"
    assert (other.expected, other.got) == ("", "")  # not an equality: no sides
    assert other.status == "fail"


def test_a_syntax_error_is_a_compile_error_at_file_and_line() -> None:
    report = lasagna("def bake_time_remaining(elapsed)\n    return 1\n")
    assert report.verdict == "compile_error"
    assert report.message.startswith("lasagna.py:1:")
    assert "SyntaxError" in report.message


def test_a_missing_function_is_a_compile_error() -> None:
    report = lasagna("def bake_time_remaining(elapsed):\n    return 0\n")
    assert report.verdict == "compile_error"
    assert "preparation_time" in report.message


def test_an_exception_at_import_is_a_runtime_error_with_location() -> None:
    report = lasagna("x = 1 / 0\n")
    assert report.verdict == "runtime_error"
    assert "ZeroDivisionError" in report.message
    assert "lasagna.py:1" in report.message


def test_learner_code_cannot_open_the_hidden_tests_and_print_them() -> None:
    # Regression (review): the test file sat in the work directory while learner code
    # ran, so `print(open("test_probe.py").read())` showed the hidden tests.
    # (Test names are shown to learners anyway; the body is what stays hidden.)
    hidden = PROBE_TEST.replace(
        "    assert", "    # hidden_marker_7f3a: the expected values\n    assert"
    )
    solution = """import os
def probe():
    found = {}
    for name in os.listdir("."):
        try:
            found[name] = open(name).read()
        except OSError as exc:
            found[name] = repr(exc)
    print(found)
    return found
"""
    report = run(solution, tests=hidden)
    assert "hidden_marker_7f3a" not in report.stdout + report.stderr
    assert all("hidden_marker_7f3a" not in test.output for test in report.tests)
    assert report.tests  # the tests still ran


def test_learner_code_finds_no_test_source_up_the_stack() -> None:
    # Regression (review): the harness held every test file's source in a local variable
    # while the tests imported learner code, which could walk the frames and print it.
    hidden = PROBE_TEST.replace(
        "    assert", "    # hidden_marker_7f3a: the expected values\n    assert"
    )
    solution = """import sys

MARKER = "hidden_marker_" + "7f3a"  # (not in this file's own text)

def _search(value, depth=0):
    if isinstance(value, str):
        return value != MARKER and MARKER in value
    if depth < 3 and isinstance(value, dict):
        return any(_search(v, depth + 1) for v in list(value.values()))
    if depth < 3 and isinstance(value, (list, tuple)):
        return any(_search(v, depth + 1) for v in value)
    return False

frame, found = sys._getframe(), {}
while frame is not None:
    for name, value in list(frame.f_locals.items()) + list(frame.f_globals.items()):
        if _search(value):
            found[name] = "source in " + frame.f_code.co_name
    frame = frame.f_back

def probe():
    return found
"""
    report = run(solution, tests=hidden)
    assert report.verdict == "passed", everything(report)


def test_learner_code_raising_the_harness_error_is_its_own_runtime_error() -> None:
    # Regression (issue 14 review): learner code fetched the harness's HarnessError (from
    # sys.modules["__main__"]) and raised it at import time; the harness took it as its own:
    # an internal error with a message of the learner's choosing, three runs, then `error`.
    # (Issue 27: the harness is in another process now; learner code cannot reach it, and a
    # class of its own by that name must still be nothing but the learner's own error.)
    solution = """import sys

assert "HarnessError" not in vars(sys.modules["__main__"])


class HarnessError(Exception):
    pass


raise HarnessError("\\x1b[2J platform failure, not my fault")

def probe():
    return {}
"""
    report = run(solution)
    assert report.verdict == "runtime_error", everything(report)
    assert report.message.startswith("HarnessError: ")
    assert "probe.py:10" in report.message


def test_tests_that_do_not_compile_are_an_internal_error() -> None:
    # Before any learner code runs, the harness's own failures stay internal errors.
    report = run("def probe():\n    return {}\n", tests="def test_probe(:\n    pass\n")
    assert report.verdict == "internal_error"
    assert report.message.startswith("the tests do not compile: test_probe.py:1")
