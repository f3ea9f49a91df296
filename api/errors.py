"""One JSON shape for every API error: {"error": {"code", "message", "fields"}}.

DRF's own exceptions (validation, authentication, permission, not found, method,
parse, throttling) and Django's (Http404, PermissionDenied, a body too large)
all come out in that shape; anything unexpected is logged and answered 500 in
that shape too, so a client never has to parse an HTML error page.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.db import TRANSIENT_ERRORS, DatabaseUnavailableMiddleware

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """A refusal with our own machine-readable code (e.g. a quiz rule: `no_attempts_left`)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status_code: int = status.HTTP_400_BAD_REQUEST,
        fields: dict[str, list[str]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.fields = fields or {}
        # Seconds after which the same request may succeed (sent as Retry-After).
        self.retry_after = retry_after


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested ValidationError detail as {"field.sub": ["message", ...]}."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out.setdefault(prefix or "non_field_errors", []).extend(force_str(v) for v in value)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}" if prefix else str(index), item)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(force_str(value))

    walk("", detail)
    return out


CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.ParseError: "parse_error",
    exceptions.Throttled: "throttled",
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = ApiError("too_large", _("The request body is too large."), status_code=413)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, IntegrityError):
        # Two writes raced past validation; the database kept one.
        exc = ApiError(
            "conflict", _("This conflicts with existing data; reload and retry."), status_code=409
        )
    elif isinstance(exc, SuspiciousOperation | UnicodeDecodeError):
        exc = exceptions.ParseError(_("The request could not be read."))
    elif isinstance(exc, DataError | UnicodeEncodeError):
        # The database refused a value validation let through (a NUL character or a
        # lone surrogate in text, a number out of range): the caller's input, not a 500.
        exc = ApiError(
            "invalid", _("A value could not be stored (unsupported characters or range).")
        )

    elif isinstance(exc, TRANSIENT_ERRORS):
        # The database restarted or dropped the connection: asking again soon is right.
        logger.warning("database unavailable in an API view: %s", exc)
        exc = ApiError(
            "unavailable", DatabaseUnavailableMiddleware.message(), status_code=503,
            retry_after=DatabaseUnavailableMiddleware.RETRY_AFTER_SECONDS,
        )  # fmt: skip

    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, force_str(exc.detail), exc.fields)
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
            body["error"]["retry_after"] = exc.retry_after
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()), [_("Invalid input.")])[0]
        body = error_body("invalid", first, fields)
    elif isinstance(exc, exceptions.APIException):
        code = next((c for kind, c in CODES.items() if isinstance(exc, kind)), None)
        detail = exc.detail
        message = force_str(detail) if not isinstance(detail, dict | list) else str(detail)
        body = error_body(code or str(exc.default_code), message)
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
            body["error"]["retry_after"] = int(headers["Retry-After"])
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
    else:
        logger.exception("unexpected error in an API view", exc_info=exc)
        set_rollback()
        return Response(
            error_body("server_error", _("An unexpected error occurred; it has been logged.")),
            status=500,
        )
    set_rollback()
    status_code = getattr(exc, "status_code", 400)
    return Response(body, status=status_code, headers=headers)


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/v1/: a JSON 404 instead of the site's HTML page."""
    return JsonResponse(
        error_body("not_found", _("There is no API endpoint at this address.")), status=404
    )
