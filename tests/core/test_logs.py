"""Log lines about a learner's work carry its id (core/logs.py), in JSON with LOG_FORMAT=json
and in plain text; lines about nothing in particular carry none."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core.devstack import free_port
from tests.conftest import REPO_DIR

# A process configured by the settings, whose broker is down: queueing a grading logs why.
QUEUE_WITH_NO_BROKER = """
import django, logging
django.setup()
from quizzes.services import attempt_queue_grading
from grader.services import submission_queue
logging.getLogger("zachet.test").warning("before any work")
attempt_queue_grading(attempt_id=7)
submission_queue(submission_id=12)
"""


def run(log_format: str) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "LOG_FORMAT": log_format,
           "REDIS_URL": f"redis://127.0.0.1:{free_port(0)}/0", "CELERY_BROKER_URL": ""}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", QUEUE_WITH_NO_BROKER], env=env, cwd=REPO_DIR,
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return [line for line in done.stderr.splitlines() if line.strip()]


@pytest.mark.slow
def test_json_lines_name_the_attempt_or_submission_they_are_about():
    records = [json.loads(line) for line in run("json") if line.startswith("{")]
    before = next(r for r in records if r["message"] == "before any work")
    assert "attempt_id" not in before
    assert "submission_id" not in before
    about_attempt = [r for r in records if "attempt 7" in r["message"]]
    about_submission = [r for r in records if "submission 12" in r["message"]]
    assert about_attempt
    assert about_submission
    assert all(r["attempt_id"] == 7 and "submission_id" not in r for r in about_attempt)
    assert all(r["submission_id"] == 12 and "attempt_id" not in r for r in about_submission)
    assert {r["level"] for r in about_attempt} == {"WARNING"}


@pytest.mark.slow
def test_plain_lines_name_them_too():
    lines = run("plain")
    assert any(" [attempt 7]: could not queue grading of attempt 7" in line for line in lines)
    assert any(" [submission 12]: could not queue submission 12" in line for line in lines)
    assert any(line.endswith("zachet.test: before any work") for line in lines)


def test_an_unknown_log_format_is_a_clear_error():
    env = {**os.environ, "LOG_FORMAT": "xml"}
    done = subprocess.run(
        [sys.executable, "-c", "import config.settings"], env=env, cwd=REPO_DIR,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "LOG_FORMAT='xml': use plain or json" in done.stderr
