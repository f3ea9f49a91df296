"""Fixtures of the operations tests: a Redis server of the test's own."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.devstack import embedded_redis_binary, free_port, stop_process, wait_for_port


def redis_process(port: int, folder: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server") or embedded_redis_binary()
    assert binary, "no redis-server binary"
    process = subprocess.Popen(
        [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(port, timeout=10, process=process)
    return process


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis server of this test's own, so it can be stopped and continued."""
    port = free_port(0)
    process = redis_process(port, tmp_path)
    try:
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
        stop_process(process, timeout=10)
