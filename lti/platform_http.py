"""HTTP calls to a registered platform (its JWKS, token endpoint, AGS and NRPS services).

The URLs come from an administrator's registration, not from learners; a call has a short
timeout and reads a bounded answer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

MAX_RESPONSE_BYTES = 1024 * 1024
USER_AGENT = "Zachet-LTI/1"


class PlatformHttpError(Exception):
    """The platform could not be reached, or did not answer with what was asked."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PlatformResponse:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise PlatformHttpError(f"not JSON: {error}", status=self.status) from error


def platform_call(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> PlatformResponse:
    """One request; a 2xx answer is returned, anything else raises PlatformHttpError."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise PlatformHttpError(f"not an http(s) URL: {url!r}")
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 (checked)
    request.add_header("User-Agent", USER_AGENT)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(  # noqa: S310 (checked above)
            request, timeout=float(settings.LTI_HTTP_TIMEOUT_SECONDS)
        ) as response:
            data = response.read(MAX_RESPONSE_BYTES)
            return PlatformResponse(response.status, data, dict(response.headers.items()))
    except urllib.error.HTTPError as error:
        excerpt = error.read(2048).decode("utf-8", "replace")
        raise PlatformHttpError(f"HTTP {error.code}: {excerpt}", status=error.code) from error
    except (OSError, ValueError) as error:
        raise PlatformHttpError(f"{type(error).__name__}: {error}") from error
