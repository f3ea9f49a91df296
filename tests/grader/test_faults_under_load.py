"""Faults injected under load, at small scale (issue 26, item 8): bench/chaos.py --quick runs
the whole stack (gunicorn, the quiz, code and sweeps workers, beat) against a PostgreSQL
database and a Redis of its own, and no accepted work may be lost, stuck or graded twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import REPO_DIR

pytestmark = [
    # bench/chaos.py makes its own PostgreSQL database whichever database the suite runs on,
    # so the PostgreSQL pass of .ci/run need not run it a second time.
    pytest.mark.database_incidental,
    pytest.mark.slow,
    pytest.mark.services,
    pytest.mark.usefixtures("need_sandbox"),
]


def chaos(tmp_path: Path, go_cache: Path, *scenarios: str) -> list[dict[str, object]]:
    server = os.environ.get("CI_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
    out = tmp_path / "rows.json"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DEBUG"}
    }
    env |= {
        "DATABASE_URL": server.rsplit("/", 1)[0] + "/zachet_chaos_test",
        # This session's sandbox uids, as every worker the suite starts (tests/conftest.py).
        "GRADER_SANDBOX_UID": str(settings.GRADER_SANDBOX_UID),
        # The session's warm Go build cache (the stack's code worker warms a cold one first).
        "GRADER_GO_CACHE": str(go_cache),
    }
    arguments = [arg for name in scenarios for arg in ("--scenario", name)]
    done = subprocess.run(
        [sys.executable, "bench/chaos.py", "--quick", *arguments, "--json", str(out)],
        cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows: list[dict[str, object]] = json.loads(out.read_text())
    return rows


def assert_nothing_went_wrong(rows: list[dict[str, object]], scenarios: tuple[str, ...]) -> None:
    assert [row["scenario"] for row in rows] == list(scenarios)
    for row in rows:
        assert isinstance(row["submitted"], int)
        assert row["submitted"] > 0, row
        assert row["graded"] == row["submitted"], row
        assert (row["lost"], row["stuck"], row["graded_twice"]) == (0, 0, 0), row
        assert row["recovery_seconds"] is not None, row


def test_killed_pool_process_stopped_broker_and_terminated_connections_lose_nothing(
    tmp_path, go_cache
):
    # One stack for the three (its start is a third of a scenario's time). (The broker killed
    # with its data waits out the visibility timeout (45 s): longer than a CI test may take;
    # bench/chaos.py runs it, docs/deploy.md has the numbers. Work the broker lost:
    # tests/grader/test_lost_messages_worker.py.)
    scenarios = ("kill-pool", "broker-stop", "db-terminate")
    rows = chaos(tmp_path, go_cache, *scenarios)
    assert_nothing_went_wrong(rows, scenarios)
    # A stopped broker costs a request at most its short timeouts, never an error.
    assert rows[1]["http_errors"] == 0, rows[1]
