"""Text from outside our control made storable on every database, and safe to show.

Learner programs print anything: NUL bytes (PostgreSQL's text and jsonb refuse them),
lone surrogates (no UTF-8 encoder takes them), invalid UTF-8, terminal escapes, bidi
overrides, megabytes on one line. Other servers answer webhooks with the same. Every
writer of such text passes it through `storable_text` (or `storable_json` for nested
data) first, so a write can never fail on the text itself. Pure: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TRUNCATED = "\n[... truncated]"
REPLACEMENT = "\ufffd"

# C0 controls but tab, newline and carriage return; DEL and the C1 controls (a terminal
# reads U+009B as CSI); the bidi embeddings, overrides and isolates (they reorder what a
# page shows, as in "Trojan source"). Each is shown as an escape, never passed on.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def storable_text(text: str | bytes, *, limit: int | None = None) -> str:
    """`text` with nothing a database or a page could choke on, at most `limit` characters.

    Bytes are read as UTF-8, an invalid sequence becoming U+FFFD; a surrogate pair is
    joined into its character and a lone surrogate becomes U+FFFD; NUL and the other
    control characters but tab and line ends become visible escapes (`\\x00`, `\\x1b`).
    Past `limit` the text is cut and ends with a "[... truncated]" marker (a `limit` too small
    for the marker just cuts).
    """
    if isinstance(text, bytes):
        if limit is not None:
            text = text[: limit * 4 + 4]  # a character is at most 4 bytes: enough to see the cut
        text = text.decode("utf-8", errors="replace")
    elif limit is not None and len(text) > limit + 1:
        text = text[: limit + 1]  # escaping only lengthens: what is past the cut is not needed
    if _SURROGATE.search(text):
        # UTF-16 joins the pairs (json.loads gives "\ud83d\ude00" as one character already,
        # but a str built by hand may hold the two halves); what is left alone is replaced.
        text = text.encode("utf-16-le", errors="surrogatepass").decode("utf-16-le", "replace")
        text = _SURROGATE.sub(REPLACEMENT, text)
    text = _UNSAFE.sub(_escape, text)
    if limit is not None and len(text) > limit:
        if limit <= len(TRUNCATED):  # no room for the marker: at most `limit` all the same
            return text[: max(limit, 0)]
        text = text[: limit - len(TRUNCATED)] + TRUNCATED
    return text


def storable_json(value: Any, *, text_limit: int, max_items: int = 1000) -> Any:
    """A copy of JSON-like `value` with every string (keys too) made storable, every string
    at most `text_limit` characters, and every list and object at most `max_items` long.

    Numbers, booleans and None are kept; anything else (a value no JSON encoder takes)
    becomes its storable `repr`.
    """
    if isinstance(value, str):
        return storable_text(value, limit=text_limit)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, Mapping):
        return {
            storable_text(str(key), limit=200): storable_json(
                item, text_limit=text_limit, max_items=max_items
            )
            for key, item in list(value.items())[:max_items]
        }
    if isinstance(value, list | tuple):
        return [
            storable_json(item, text_limit=text_limit, max_items=max_items)
            for item in value[:max_items]
        ]
    return storable_text(repr(value), limit=text_limit)
