"""The Celery app: its reliability settings, and tasks through a real worker and broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from config.celery import app
from config.settings import BASE_DIR
from tests.conftest import celery_worker

ROUND_TRIP = """
import json, time
from config.celery import ping_task
results = {}
for queue in ("quiz", "code"):
    start = time.perf_counter()
    value = ping_task.apply_async(queue=queue, ignore_result=False).get(timeout=60)
    results[queue] = [value, time.perf_counter() - start]
print(json.dumps(results))
"""


def test_tasks_are_json_acked_late_and_given_back_when_a_worker_dies():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_connection_timeout <= 5


def test_quiz_and_code_work_go_to_separate_queues():
    assert app.amqp.router.route({}, "grader.tasks.grade_submission")["queue"].name == "code"
    assert app.amqp.router.route({}, "quizzes.tasks.grade_attempt")["queue"].name == "quiz"
    assert app.conf.task_default_queue == "quiz"


@pytest.mark.slow
def test_redis_gives_a_killed_workers_tasks_back_within_a_minute(tmp_path):
    result = run_client(
        {"REDIS_URL": "redis://127.0.0.1:6379/0", "ZACHET_VAR_DIR": str(tmp_path)},
        "import json; from config.celery import app;"
        " print(json.dumps(app.conf.broker_transport_options))",
    )
    options = json.loads(result.stdout)
    restore_after = options["visibility_timeout"] + (
        options["unacked_restore_interval"] * options["unacked_restore_throttle"]
    )
    assert restore_after <= 60
    assert options["socket_connect_timeout"] <= 5
    assert options["socket_timeout"] <= 10


def run_client(env: dict[str, str], code: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.services
def test_real_worker_runs_tasks_from_both_queues_through_redis(
    redis_broker_url, tmp_path, go_cache
):
    env = {
        # The session's warm Go cache: a cold one takes the worker ~30 s (more on a busy
        # machine) to warm before it takes any work, which is not what this test measures.
        "GRADER_GO_CACHE": str(go_cache),
        "REDIS_URL": redis_broker_url,
        "CELERY_RESULT_BACKEND": redis_broker_url,
        "ZACHET_VAR_DIR": str(tmp_path),
    }
    with celery_worker(env):
        result = run_client(env, ROUND_TRIP)
    assert result.returncode == 0, result.stderr[-3000:]
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    assert timings["quiz"][0] == "pong"
    assert timings["code"][0] == "pong"


@pytest.mark.slow
@pytest.mark.database_incidental  # (the broker of the embedded quick start, never PostgreSQL's)
def test_real_worker_runs_tasks_through_the_filesystem_broker(tmp_path):
    # the fallback broker where the embedded Redis wheel is not available
    env = {
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "CELERY_RESULT_BACKEND": f"file://{tmp_path}/results",
        "ZACHET_VAR_DIR": str(tmp_path),
    }
    (tmp_path / "results").mkdir()
    with celery_worker(env):
        result = run_client(env, ROUND_TRIP)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "pong" in result.stdout


@pytest.mark.slow
def test_a_dead_broker_fails_a_publish_quickly_instead_of_hanging(tmp_path):
    env = {"REDIS_URL": "redis://127.0.0.1:9/0", "ZACHET_VAR_DIR": str(tmp_path)}
    code = (
        "import time\nfrom config.celery import ping_task\nstart = time.monotonic()\n"
        "try:\n    ping_task.delay()\nexcept Exception as error:\n"
        "    print(type(error).__name__, round(time.monotonic() - start, 1))\n"
    )
    started = time.monotonic()
    result = run_client(env, code, timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    name, seconds = result.stdout.split()
    assert name == "OperationalError"
    assert float(seconds) < 10
    assert time.monotonic() - started < 30


def test_every_task_ends_before_the_broker_would_deliver_it_again(settings):
    # Regression (issue 13): the limits were numbers written in each decorator, and the
    # hourly reconciliation (up to 660 s, acknowledged late) would have been handed to a
    # second worker 45 s into its run.
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"grader.tasks.grade_submission", "quizzes.tasks.grade_attempt",
            "progress.tasks.reconcile", "webhooks.tasks.deliver"} <= set(ours)  # fmt: skip
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    for name, task in ours.items():
        acks_late = app.conf.task_acks_late if task.acks_late is None else task.acks_late
        if task.time_limit is None:
            assert not acks_late, f"{name} has no time limit but is acknowledged late"
            continue
        assert task.soft_time_limit < task.time_limit, name
        if acks_late:
            assert task.time_limit < visibility, f"{name}: {task.time_limit} s >= {visibility} s"
    grading = ours["grader.tasks.grade_submission"]
    assert grading.time_limit == settings.TASK_TIME_LIMIT == visibility - 3


def kill_the_connection(connection) -> None:
    """What a database restart does to a worker's connection: PostgreSQL's server ends it
    (pg_terminate_backend from another connection); SQLite's handle is closed under Django."""
    if connection.vendor == "postgresql":
        import psycopg

        pid = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
    else:
        connection.connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_task_after_a_terminated_database_connection_connects_anew():
    from django.db import DatabaseError, connection

    from config.celery import drop_failed_database_connections

    connection.ensure_connection()
    kill_the_connection(connection)
    with pytest.raises(DatabaseError), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.errors_occurred

    drop_failed_database_connections()  # (what the worker runs before its next task)

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
