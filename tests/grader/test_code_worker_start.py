"""A code worker builds our Go check tools when it starts, before it takes any work.

Regression: they were built by a worker's first Go run, inside its task's time limit; on a
busy machine the build was killed at the soft limit, its half-made tools removed, and every
retry of every Go grading started it over (the Go forgery worker test, after the Python one,
timed out with every task received)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from grader.runners.go import go_tools
from tests.conftest import celery_worker

pytestmark = [pytest.mark.slow, pytest.mark.services, pytest.mark.no_database]


def test_a_code_worker_builds_the_go_check_tools_before_any_work(
    redis_broker_url: str, go_cache: Path, tmp_path: Path
) -> None:
    # given a warm build cache with no check tools beside it (its tools' own build cache
    # copied, so that the build takes seconds)
    cache = tmp_path / "go" / "go-cache"
    cache.parent.mkdir()
    subprocess.run(["cp", "-al", str(go_cache), str(cache)], check=True)
    (cache.parent / "go-tools").mkdir()
    tools_cache = go_cache.with_name("go-tools") / "cache"
    subprocess.run(["cp", "-a", str(tools_cache), str(cache.parent / "go-tools")], check=True)
    expected = go_tools(base=go_cache.with_name("go-tools")).gocheck
    gocheck = cache.parent / "go-tools" / expected.parent.name / expected.name
    assert not gocheck.exists()
    env = {"REDIS_URL": redis_broker_url, "ZACHET_VAR_DIR": str(tmp_path)}
    # when a code worker starts, and is given nothing to do
    with celery_worker({**env, "GRADER_GO_CACHE": str(cache)}, queues="code"):
        deadline = time.monotonic() + 180
        while not gocheck.is_file() and time.monotonic() < deadline:
            time.sleep(0.5)
        # then the tools are there
        assert gocheck.is_file()
        assert gocheck.with_name("test2json").is_file()
