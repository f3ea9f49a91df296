"""`Idempotency-Key` on creating POSTs: a retry with the same key replays the first response.

The record of a key is inserted in the same transaction as the work it guards
and committed with it. Of two requests with one key that arrive at once, the
second's insert waits for the first's transaction (the unique index on
PostgreSQL, the write lock on SQLite), then fails; it then reads the committed
record and replays its response. Nothing is created twice. Only successful
responses are kept: a refused request changed nothing, so its retry simply runs.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api.errors import ApiError
from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
    description=(
        "Any unique string (a UUID) of at most 255 characters. A retry with the same key "
        "returns the first response and creates nothing; the same key with another body "
        "is refused with 422."
    ),
)

View = TypeVar("View", bound=Callable[..., Response])


def _fingerprint(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n")
    digest.update(request._request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise ApiError(
            "idempotency_key_reused",
            _("This Idempotency-Key was used with another request."),
            status_code=422,
        )
    headers = {"Idempotent-Replayed": "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status_code, headers=headers)


def idempotent(view: View) -> View:
    """Wrap a creating view method (self, request, ...) of a view that needs a signed-in user."""

    @functools.wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view(self, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ApiError(
                "invalid_idempotency_key",
                _("Idempotency-Key must be 1 to 255 printable characters."),
            )
        fingerprint = _fingerprint(request)
        user = request.user
        found = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if found is not None:
            return _replay(found, fingerprint)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user, key=key, fingerprint=fingerprint, status_code=0
                    )
            except IntegrityError:
                # The same key arrived at once and has committed meanwhile.
                return _replay(IdempotencyRecord.objects.get(user=user, key=key), fingerprint)
            response = view(self, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            # Stored as the client saw it (Decimals as strings, dates in ISO format).
            record.body = json.loads(json.dumps(response.data, cls=JSONEncoder))
            record.location = response.headers.get("Location", "")[:500]
            record.save(update_fields=["status_code", "body", "location"])
            return response

    return wrapper  # type: ignore[return-value]
