"""Asynchronous commit: per transaction for gradings, per connection for quiz-only workers."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.backends.signals import connection_created

from core import db
from quizzes.tasks import quiz_worker_commits_asynchronously

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def restored() -> Iterator[None]:
    yield
    db._session_asynchronous["on"] = False
    connection_created.disconnect(dispatch_uid="zachet_async_commit")
    connection.close()  # the next connection starts with the server's default


def synchronous_commit() -> str | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


def worker(*queues: str) -> SimpleNamespace:
    return SimpleNamespace(app=SimpleNamespace(amqp=SimpleNamespace(queues=SimpleNamespace(
        consume_from={name: object() for name in queues}
    ))))  # fmt: skip


@pytest.mark.usefixtures("restored")
def test_a_quiz_only_worker_commits_asynchronously_on_every_connection() -> None:
    quiz_worker_commits_asynchronously(instance=worker("quiz", "code"))
    assert db._session_asynchronous["on"] is False  # a worker with other queues: no

    quiz_worker_commits_asynchronously(instance=worker("quiz"))

    assert db._session_asynchronous["on"] is True
    connection.close()
    connection.ensure_connection()  # a new connection, as a pool process opens
    expected = "off" if connection.vendor == "postgresql" else None
    assert synchronous_commit() == expected


def test_a_grading_transaction_alone_commits_asynchronously() -> None:
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        db.asynchronous_commit()
        inside = synchronous_commit()
    outside = synchronous_commit()
    if connection.vendor == "postgresql":
        assert (inside, outside) == ("off", "on")
    else:  # SQLite has no such setting: nothing is sent
        assert [q["sql"] for q in statements.captured_queries] == []
