"""Fixtures for the sandbox and runner tests: a warm Go build cache, a process-leak check."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.runners.python import python_warm_start
from grader.sandbox import sandbox_available, sandbox_ids, sandbox_peer_ids


def sandbox_processes() -> list[str]:
    """Processes of the sandbox uids on the host (`pid cmdline`): the run's and its learner
    process's (Python)."""
    uids = {sandbox_ids()[0], sandbox_peer_ids()[0]}
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or entry.name == str(os.getpid()):
            continue
        try:
            if entry.stat().st_uid not in uids:
                continue
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        found.append(f"{entry.name} {cmdline.decode(errors='replace')}")
    return found


@pytest.fixture
def no_leftover_processes() -> Iterator[None]:
    """Fails the test if a process of the sandbox uid outlives the run."""
    if os.geteuid() != 0:
        # A skipped security check would pass silently; say what is missing instead.
        pytest.fail("the sandbox tests need root: learner code runs as a dedicated uid only then")
    assert sandbox_processes() == [], "sandbox uid busy before the test"
    yield
    deadline = time.monotonic() + 1
    while (left := sandbox_processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert left == [], f"processes left behind: {left}"


@pytest.fixture
def need_sandbox() -> None:
    if not sandbox_available():
        pytest.fail(
            "bubblewrap is not installed (bin/setup installs it: apt-get install bubblewrap)"
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """python_runs' ways for a test: both for a test of limits, escapes and what runs leave
    behind (it asks for no_leftover_processes), where the two ways build their processes
    differently; else the worker's way only (what the harness reports is the same code
    either way, and the self-check's way is run by every exercise import's tests)."""
    if "python_runs" not in metafunc.fixturenames:
        return
    zygote = pytest.param("zygote", marks=pytest.mark.no_database)
    both = "no_leftover_processes" in metafunc.fixturenames
    metafunc.parametrize("python_runs", ["new", zygote] if both else [zygote], indirect=True)


@pytest.fixture
def python_runs(request: pytest.FixtureRequest) -> Iterator[str]:
    """A Python run of the test the way it happens (pytest_generate_tests picks): with a new
    test sandbox per run ("new": the exercise self-check, check_exercises) or as a Celery
    worker runs ("zygote": warm starts, the test process a fork of the worker's zygote,
    python_harness.zygote). The zygote is gone before a test's no_leftover_processes looks."""
    if "no_leftover_processes" in request.fixturenames:
        request.getfixturevalue("no_leftover_processes")  # (set up first, so ends last)
    if request.param == "zygote":
        python_warm_start(True)
    try:
        yield request.param
    finally:
        python_warm_start(False)
