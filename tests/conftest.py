"""Shared fixtures."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config.devstack import celery_worker_command, embedded_redis, free_port, stop_process

REPO_DIR = Path(__file__).resolve().parent.parent
# The course's Part 4 README at 2 of 7 and at 7 of 7 sections, byte for byte as
# they reached us (copies of shared/seeds/, so the suite runs from the repo alone).
SEEDS_DIR = REPO_DIR / "tests" / "data" / "seeds"


@pytest.fixture
def seed_2_of_7() -> Path:
    path = SEEDS_DIR / "000_018bbf89c60ccb2c.txt"
    assert path.is_file(), path
    return path


@pytest.fixture
def seed_7_of_7() -> Path:
    path = SEEDS_DIR / "001_21d381e445f2f015.txt"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def redis_broker_url() -> Iterator[str]:
    """A real Redis: REDIS_URL when set (CI), else the embedded server the quick start uses."""
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    with (
        tempfile.TemporaryDirectory() as data_dir,
        embedded_redis(port=free_port(0), data_dir=Path(data_dir), persistent=False) as url,
    ):
        yield url


@contextmanager
def celery_worker(env: dict[str, str], *, queues: str = "quiz,code") -> Iterator[subprocess.Popen]:
    """A real `celery worker` process with the given environment, stopped afterwards."""
    process = subprocess.Popen(
        [*celery_worker_command(queue=queues, concurrency=1)],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=REPO_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        stop_process(process, timeout=20)
