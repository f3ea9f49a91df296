"""Content versions: a short digest of what a grade is computed from (a question's key, an
exercise's tests and limits). Each grade records the version it was graded against, so a
regrade knows which grades an edit made stale, and a grade's history says what it came from.
A digest, not a counter: any writer (the admin, the API, an import, a shell) moves it."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

LENGTH = 12


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))  # 1 and 1.00 (read back) are one version
    if isinstance(value, float):
        return repr(value)
    return value


def stamp_version(
    instance: Any, kwargs: dict[str, Any], *, field: str, covers: frozenset[str], version: str
) -> None:
    """For a model's save(): set `field` to `version` when the save writes any of the fields
    it `covers` (and add it to update_fields). A save of other fields only, as from a stale
    copy, leaves the stored version. In save() on purpose: any writer moves it (the admin,
    the API, an import, a shell), so a grade's version never lies about what it used."""
    fields = kwargs.get("update_fields")
    if fields is None or covers & set(fields):
        setattr(instance, field, version)
        if fields is not None:
            kwargs["update_fields"] = {*fields, field}


def content_version(*parts: Any) -> str:
    """12 hex digits of SHA-256 over the parts as canonical JSON."""
    text = json.dumps([_plain(part) for part in parts], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"), default=str)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()[:LENGTH]
