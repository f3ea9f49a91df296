"""Content versions: a short digest of what a grade is computed from (a question's key, an
exercise's tests and limits). Each grade records the version it was graded against, so a
regrade knows which grades an edit made stale, and a grade's history says what it came from.
A digest, not a counter: any writer moves it the same way.

The digest is stamped by one write function per entity, in its authoring service
(quizzes.authoring.question_write, grader.services.exercise_write), which every write path
calls: the admin, the question editor, the API, the GIFT, exercise, course and site imports,
demo loading. Not in save(): no logic lives there (docs/STYLE). tests/core/test_versions.py
walks those paths, and a guard in tests/conftest.py fails any test whose code writes a
question's or an exercise's content with a version that does not match it."""

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
    """For an entity's write function: set `field` to `version` when the save `kwargs` write
    any of the fields it `covers` (and add it to update_fields). A save of other fields only,
    as from a stale copy, leaves the stored version."""
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


def version_is_current(
    instance: Any, update_fields: Any, *, field: str, covers: frozenset[str], version: str
) -> bool:
    """Whether a save with these update_fields leaves `field` matching the content: it writes
    none of the fields the version covers, or the instance carries the version of what it
    writes. (The guard of tests/conftest.py asks this of every save.)"""
    if update_fields is not None and not covers & set(update_fields):
        return True
    return bool(getattr(instance, field) == version)
