"""Typed, path-aware reading of spec and response JSON.

Every read names the field it failed on ("choices[2].weight must be …"), so the
admin, the GIFT import and the API can show the message as it is.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from quizzes.grading.errors import ResponseError, SpecError

MAX_ID_LENGTH = 64
# 64 KiB of UTF-8: far above any honest answer, small enough to store and grade cheaply.
MAX_RESPONSE_TEXT_BYTES = 64 * 1024


class JsonObject:
    """A JSON object being read, with its path for error messages."""

    def __init__(
        self,
        data: object,
        *,
        path: str = "",
        error: type[SpecError] | type[ResponseError] = SpecError,
    ) -> None:
        self.error = error
        self.path = path
        if not isinstance(data, Mapping):
            raise error(f"{path or 'the value'} must be an object")
        self.data: Mapping[str, Any] = data

    def field_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> SpecError | ResponseError:
        return self.error(f"{self.field_path(key)} {problem}")

    def only(self, *allowed: str) -> None:
        """Refuse unknown fields: a typo such as "case_sensitve" must not pass silently."""
        for key in self.data:
            if key not in allowed:
                raise self.error(f"{self.field_path(str(key))} is not a known field")

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def get(self, key: str) -> Any:
        if key not in self.data:
            raise self.fail(key, "is required")
        return self.data[key]

    def text(self, key: str, *, default: str | None = None, non_empty: bool = False) -> str:
        if default is not None and not self.has(key):
            return default
        value = self.get(key)
        if not isinstance(value, str):
            raise self.fail(key, "must be a string")
        if non_empty and not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def flag(self, key: str, *, default: bool | None = None) -> bool:
        if default is not None and not self.has(key):
            return default
        value = self.get(key)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def integer(self, key: str, *, default: int | None = None, minimum: int = 0) -> int:
        if default is not None and not self.has(key):
            return default
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, "must be an integer")
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}")
        return value

    def optional_int(self, key: str, *, minimum: int = 0) -> int | None:
        if not self.has(key):
            return None
        return self.integer(key, minimum=minimum)

    def id(self, key: str = "id") -> str:
        value = self.text(key, non_empty=True)
        if len(value) > MAX_ID_LENGTH or value != value.strip():
            raise self.fail(
                key, f"must be at most {MAX_ID_LENGTH} characters with no surrounding spaces"
            )
        return value

    def weight(self, key: str = "weight") -> Fraction:
        """A percentage in [-100, 100]: a JSON number or a decimal string such as "33.33333"."""
        value = self.get(key)
        number: Fraction | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = Fraction(value)
        elif isinstance(value, float) and math.isfinite(value):
            number = Fraction(Decimal(repr(value)))
        elif isinstance(value, str):
            try:
                parsed = Decimal(value.strip())
            except InvalidOperation:
                parsed = None
            if parsed is not None and parsed.is_finite():
                number = Fraction(parsed)
        if number is None:
            raise self.fail(key, "must be a number")
        if not -100 <= number <= 100:
            raise self.fail(key, "must be between -100 and 100")
        return number

    def array(self, key: str, *, default_empty: bool = False, min_length: int = 0) -> list[Any]:
        if default_empty and not self.has(key):
            value: object = []
        else:
            value = self.get(key)
        if not isinstance(value, list):
            raise self.fail(key, "must be a list")
        if len(value) < min_length:
            noun = "item" if min_length == 1 else "items"
            raise self.fail(key, f"must have at least {min_length} {noun}")
        return value

    def objects(self, key: str, *, min_length: int = 0) -> Iterator[JsonObject]:
        for index, item in enumerate(self.array(key, min_length=min_length)):
            yield JsonObject(item, path=f"{self.field_path(key)}[{index}]", error=self.error)

    def object(self, key: str) -> JsonObject:
        return JsonObject(self.get(key), path=self.field_path(key), error=self.error)


def unique_ids(objects: Sequence[JsonObject], ids: Sequence[str], *, key: str = "id") -> None:
    """Ids are how grading finds things regardless of display order, so they must be unique."""
    seen: set[str] = set()
    for obj, item_id in zip(objects, ids, strict=True):
        if item_id in seen:
            raise obj.fail(key, f"'{item_id}' is used more than once")
        seen.add(item_id)


def response_object(data: Mapping[str, Any] | None, *allowed: str) -> JsonObject:
    """The response as an object; None (not answered) reads as an empty one."""
    obj = JsonObject({} if data is None else data, path="", error=ResponseError)
    obj.only(*allowed)
    return obj


def response_text(obj: JsonObject, key: str) -> str:
    """An optional free-text response field; absent or null reads as ""."""
    return obj.text(key, default="")


def check_text_size(text: str, path: str) -> None:
    if len(text) > MAX_RESPONSE_TEXT_BYTES // 4 and (
        len(text.encode("utf-8", "surrogatepass")) > MAX_RESPONSE_TEXT_BYTES
    ):
        raise ResponseError(f"{path} must be at most 64 KB")
