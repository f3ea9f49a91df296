"""Database helpers shared by the apps."""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError, connection
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

# Transient: the database restarted or a connection dropped. Tasks retry these by their
# Celery retry policy; any other crash of a grading is an internal error of its own kind.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

# Set in quiz-only worker processes: every transaction of theirs commits asynchronously.
_session_asynchronous = {"on": False}


def asynchronous_commit() -> None:
    """In a transaction on PostgreSQL: do not wait for this commit's WAL flush.

    Only for writes that are redone when a database crash loses them: a grade lost
    this way leaves its attempt or submission where the periodic sweep picks it up
    again (the commit that queued it was durable), and grading it again gives the
    same result. No effect on SQLite."""
    if connection.vendor == "postgresql" and not _session_asynchronous["on"]:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def asynchronous_commit_for_every_transaction() -> None:
    """For a worker whose every write is of that kind (the quiz queue's: gradings, which the
    sweep redoes, and the sweeps and reconciliations themselves, which run again): set
    synchronous_commit off once per connection instead of once per transaction (a round
    trip less on every grading)."""
    _session_asynchronous["on"] = True
    connection_created.connect(_set_session_asynchronous, dispatch_uid="zachet_async_commit")
    if connection.connection is not None:  # already open: set it there too
        _set_session_asynchronous(connection=connection)


def _set_session_asynchronous(*, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


class DatabaseUnavailableMiddleware:
    """A request that meets a database gone for a moment (restarted, its connection
    terminated, SQLite's lock waited out) answers 503 with Retry-After, for people and API
    clients alike, instead of a 500: what was saved before stays saved (each write is one
    transaction), and asking again in a few seconds is the right thing to do."""

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        return self.get_response(request)

    @staticmethod
    def message() -> str:
        from django.utils.translation import gettext as _

        return _("The database is unavailable for a moment: try again in a few seconds.")

    def process_exception(self, request: Any, exception: Exception) -> Any:
        """(The API's views answer in the API's own error format: api.errors.)"""
        if not isinstance(exception, TRANSIENT_ERRORS):
            return None
        from django.http import HttpResponse

        logger.warning("database unavailable for %s %s: %s", request.method, request.path,
                       exception)  # fmt: skip
        response = HttpResponse(
            self.message(), status=503, content_type="text/plain; charset=utf-8"
        )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
