"""Shared fixtures."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from kombu import pools as kombu_pools

from core.devstack import celery_worker_command, embedded_redis, free_port, stop_process

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


@pytest.hookimpl(tryfirst=True)  # (before -m deselects by marker)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A quick test that asks for no database is marked no_database: pytest-django refuses it
    any database access, so it tests nothing of PostgreSQL's, and .ci/run's PostgreSQL pass
    leaves it out (pure logic, parsers, rendering: about half of the suite). Slow and
    service tests are left as they are marked: they start processes, which may reach the
    database of DATABASE_URL without this process's leave."""
    for item in items:
        if (
            item.get_closest_marker("django_db") is None
            and "django_db_setup" not in getattr(item, "fixturenames", ())
            and item.get_closest_marker("slow") is None
            and item.get_closest_marker("services") is None
        ):
            item.add_marker(pytest.mark.no_database)


# A range of sandbox uids per test session, this many wide (a worker's pool processes use
# the first uid + N, a regrade worker's + 100 + N: grader.tasks).
SANDBOX_UID_RANGE = 1000
SANDBOX_UID_FIRST = 700_000


def session_sandbox_uid(pid: int | None = None) -> int:
    """The first uid of a range no process on the host uses now, chosen from our pid.

    RLIMIT_NPROC counts every process of a uid, and the leak checks look for any process of
    it: a suite sharing its uid with another checkout's suite, a running site's worker or
    `check_exercises` failed ("sandbox uid busy before the test"). Each session now has its
    own range, above the site's default (600000 + N) and away from the system's uids."""
    taken = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                taken.add(entry.stat().st_uid // SANDBOX_UID_RANGE)
            except OSError:
                continue
    slot = (pid or os.getpid()) % 1000
    for step in range(1000):
        first = SANDBOX_UID_FIRST + (slot + step) % 1000 * SANDBOX_UID_RANGE
        if first // SANDBOX_UID_RANGE not in taken:
            return first
    raise RuntimeError("no free range of sandbox uids")


@pytest.fixture(scope="session", autouse=True)
def _own_sandbox_uids() -> Iterator[int]:
    """This session's learner code runs as uids of its own (workers it starts too:
    `celery_worker` passes the setting on)."""
    from django.conf import settings

    saved = settings.GRADER_SANDBOX_UID
    settings.GRADER_SANDBOX_UID = session_sandbox_uid()
    try:
        yield settings.GRADER_SANDBOX_UID
    finally:
        settings.GRADER_SANDBOX_UID = saved


@pytest.fixture(autouse=True)
def _local_memory_cache(settings: Any) -> None:
    """Each test gets a private in-memory cache. The configured one may be Redis on the
    broker's database, which clearing between tests would wipe."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    # Locmem caches of one LOCATION share their data in the process: start each test empty
    # (ids are reused after each test's rollback, so counters keyed by them would carry over).
    caches["default"].clear()


class StaleVersionSaved(AssertionError):
    """A question's or an exercise's content was saved with a version that is not its own."""


def _refuse_stale_versions(sender: Any, instance: Any, update_fields: Any = None, **_: Any) -> None:
    from core.versions import version_is_current
    from grader.models import VERSIONED_FIELDS as EXERCISE_FIELDS
    from grader.models import CodingExercise
    from quizzes.models import VERSIONED_FIELDS as QUESTION_FIELDS

    if sender is CodingExercise:
        field, covers, version = "tests_version", EXERCISE_FIELDS, instance.current_tests_version()
    else:
        field, covers, version = "key_version", QUESTION_FIELDS, instance.current_key_version()
    if not version_is_current(instance, update_fields, field=field, covers=covers, version=version):
        raise StaleVersionSaved(
            f"{sender.__name__} {instance.pk} saved without its {field}: write it through "
            "quizzes.authoring.question_write or grader.services.exercise_write"
        )


@pytest.fixture(autouse=True)
def _versions_follow_content() -> Iterator[None]:
    """Every save of a question's key or an exercise's tests, by any code a test runs (the
    admin, the API, the editor, imports, services, fixtures), carries the version of what it
    saves: a write path that skips the authoring services' write functions fails its tests.
    A save listener in the tests only: the site itself keeps no logic in signals (STYLE.md);
    here it sees every save, however the code that makes it is spelled."""
    from django.db.models.signals import pre_save

    from grader.models import CodingExercise
    from quizzes.models import Question

    for model in (Question, CodingExercise):
        pre_save.connect(_refuse_stale_versions, sender=model, dispatch_uid=f"stale-{model}")
    yield
    for model in (Question, CodingExercise):
        pre_save.disconnect(sender=model, dispatch_uid=f"stale-{model}")


@pytest.fixture(autouse=True)
def _fresh_question_cache() -> None:
    """Tests roll back and reuse ids; the grading worker's question cache must not carry over."""
    from quizzes.services import _QUESTIONS_CACHE

    _QUESTIONS_CACHE.clear()


@pytest.fixture(autouse=True)
def _no_sections_waiting_for_refresh() -> None:
    """Tests roll back instead of committing: sections gathered for a refresh after a commit
    (progress.services.sections_refresh_after_commit) must not carry over."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.__dict__.pop("zachet_sections_to_refresh", None)


@pytest.fixture(autouse=True)
def _breakers_closed() -> None:
    """A test that took Redis away must not leave the next one skipping it (core/breaker.py)."""
    from core.cache import cache_breaker
    from core.queueing import broker_breaker

    cache_breaker.reset()
    broker_breaker.reset()


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
def celery_worker(
    env: dict[str, str], *, queues: str = "quiz,code", host: str = "%h"
) -> Iterator[subprocess.Popen]:
    """A real `celery worker` process with the given environment, stopped afterwards (its
    learner code runs as this session's sandbox uids). `host`: its node name's host part (two
    workers of one queue need their own, as on two machines)."""
    from django.conf import settings

    warm: dict[str, str] = {}
    if set(queues.split(",")) & {"code", "regrade"} and "GRADER_GO_CACHE" not in env:
        # A code worker warms its Go build cache before it takes any work (grader.tasks): a
        # cold one under the test's ZACHET_VAR_DIR costs each such test 20-30 s (minutes on a
        # busy machine), and a test's 120 s wait for its gradings ran out on it.
        warm["GRADER_GO_CACHE"] = str(session_go_cache())
    process = subprocess.Popen(
        [*celery_worker_command(queue=queues, concurrency=1, host=host)],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "GRADER_SANDBOX_UID": str(settings.GRADER_SANDBOX_UID),
            **warm,
            **env,
        },
        cwd=REPO_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        stop_process(process, timeout=20)


def worker_database_url() -> str:
    """DATABASE_URL that points a worker process at the database this test uses."""
    from django.db import connection

    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    return f"postgres://{user}{password}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"


@contextmanager
def celery_app_using(broker_url: str, *, purge: bool = True) -> Iterator[None]:
    """Point this process's Celery app (what services publish with) at `broker_url`.

    `purge` empties the queues first, so no earlier test's message is delivered.
    """
    from config.celery import app as celery_app
    from config.settings import broker_transport_options

    app: Any = celery_app  # private pool attributes are not in the type stubs

    saved = (app.conf.broker_url, app.conf.broker_transport_options)

    def reset_pools() -> None:
        # Celery caches its connection pool, and kombu its producer pools (keyed
        # by broker URL), on first use: drop both so the next publish reconnects.
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        kombu_pools.reset()

    reset_pools()
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = broker_transport_options(broker_url)
    try:
        if purge:
            with app.connection_for_write() as conn:
                for queue in ("quiz", "code", "regrade"):
                    conn.default_channel.queue_purge(queue)
        yield
    finally:
        reset_pools()
        app.conf.broker_url, app.conf.broker_transport_options = saved


@pytest.fixture
def rabbitmq_url() -> Iterator[str]:
    """A virtual host of its own on the machine's RabbitMQ (its queues start empty and no
    other checkout's test consumes them), removed afterwards."""
    vhost = f"zachet-test-{os.getpid()}"

    def rabbitmqctl(*args: str) -> None:
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)

    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        rabbitmqctl("delete_vhost", vhost)


@pytest.fixture
def live_broker(redis_broker_url: str) -> Iterator[str]:
    """This process publishes to a real Redis; start workers with `live_worker_env`."""
    with celery_app_using(redis_broker_url):
        yield redis_broker_url


@pytest.fixture
def live_worker_env(live_broker: str, transactional_db: None, tmp_path: Path) -> dict[str, str]:
    """Environment for a real worker process: the test database and the live broker."""
    return {
        "REDIS_URL": live_broker,
        "CELERY_BROKER_URL": "",
        "DATABASE_URL": worker_database_url(),
        "ZACHET_VAR_DIR": str(tmp_path),
    }


def session_go_cache() -> Path:
    """The warm Go build cache of the suite's runs and code workers (var/test-go/go-cache).

    Warmed, with our check tools beside it, by the first session that needs it (~20-30 s,
    minutes on a busy machine), then reused, by later sessions too (both passes of .ci/run,
    the next run of a test), while it is warm for this toolchain and guard (go_cache_ready):
    a stale one is rebuilt, from its own entries. Sessions of one checkout that warm it at
    once wait on go_cache_warm's lock. Its own folder: never the running site's
    var/go-cache, which this checkout's code would rebuild under it."""
    from django.conf import settings

    from grader.runners.go import GoUnavailable, go_cache_warm, go_tools

    try:
        cache = go_cache_warm(cache_dir=Path(settings.VAR_DIR) / "test-go" / "go-cache")
        go_tools(base=cache.with_name("go-tools"))  # (where runs over this cache look for them)
    except GoUnavailable as exc:
        pytest.fail(f"no Go toolchain: {exc}")
    return cache


@pytest.fixture(scope="session")
def go_cache() -> Path:
    """The shared Go build cache, warm (session_go_cache)."""
    return session_go_cache()


@pytest.fixture
def tasks_run_inline(monkeypatch: Any) -> list[tuple[str, tuple]]:
    """What the worker would do with the queued task, run here (the broker hop is tested with
    a real worker elsewhere); the tasks queued, in order."""
    queued: list[tuple[str, tuple]] = []

    from celery.exceptions import Retry

    def enqueue(task: Any, *args: Any, what: str, countdown: float = 0) -> bool:
        queued.append((task.name, args))
        try:
            task(*args)
        except Retry:  # the task asked to run later: here, never
            queued.append(("retry later", args))
        return True

    monkeypatch.setattr("progress.services.enqueue", enqueue)
    monkeypatch.setattr("quizzes.services.attempt_queue_grading", lambda **kw: True)
    monkeypatch.setattr("grader.services.submission_queue", lambda **kw: True)
    return queued


@pytest.fixture
def counted() -> Any:
    """counted(name, **labels): a counter's value now (counters.services), its shards summed."""
    from counters.selectors import series_read

    def value(name: str, **labels: str) -> int:
        return sum(s.count for s in series_read(name=name) if s.labels == labels)

    return value


@pytest.fixture
def counters_from_the_record() -> Any:
    """The upgrade's data migration (counters 0002), run on the rows the test made."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("counters.migrations.0002_counters_from_the_record")
    return lambda: migration.counters_from_the_record(apps, None)
