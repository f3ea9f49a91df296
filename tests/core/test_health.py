"""`/healthz` and `/readyz` (core/health.py): a real Redis, a closed port, a broker that never
answers, and a migration taken out of the applied list."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from django.db import connection

from core import health
from core.devstack import free_port
from tests.conftest import celery_app_using

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers: a frozen Redis."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


@pytest.fixture(autouse=True)
def _migrations_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_migrations_applied", False)


def test_healthz_answers_without_the_database_and_for_any_host(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.1.2.3")  # a pod's address
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_with_the_database_the_broker_and_every_migration(client, live_broker):
    response = client.get("/readyz", HTTP_HOST="10.1.2.3")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "migrations": "ok"}


def test_readyz_names_a_broker_nobody_listens_on(client):
    with celery_app_using(f"redis://127.0.0.1:{free_port(0)}/0", purge=False):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("failed: ")


def test_readyz_gives_up_on_a_frozen_broker_quickly(client, silent_broker):
    with celery_app_using(silent_broker, purge=False):
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    assert elapsed < health.READY_BROKER_TIMEOUT + 0.5


def test_readyz_names_a_migration_not_applied(client, live_broker):
    # given: the database has not recorded one of the migrations (rolled back with the test)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'quizzes' AND name = "
            "(SELECT MAX(name) FROM django_migrations WHERE app = 'quizzes')"
        )
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["migrations"]
    assert "1 not applied: quizzes." in body["checks"]["migrations"]
