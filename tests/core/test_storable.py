"""core.storable: learner and server text made storable and safe to show, on any input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.storable import TRUNCATED, storable_json, storable_text

# Every code point, lone surrogates included (hypothesis leaves them out by default).
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=300)


@pytest.mark.parametrize(
    ("given_text", "expected"),
    [
        ("plain text, кириллица, 中文, 😀", "plain text, кириллица, 中文, 😀"),
        ("tab\tand\nlines\r\n", "tab\tand\nlines\r\n"),
        ("x\x00y", "x\\x00y"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("bell\x07 del\x7f csi\x9b", "bell\\x07 del\\x7f csi\\x9b"),
        ("abc\u202edcba", "abc\\u202edcba"),  # a bidi override reorders what a page shows
        ("lone \ud800 high", "lone \ufffd high"),
        ("lone \udfff low", "lone \ufffd low"),
        ("pair \ud83d\ude00 joined", "pair 😀 joined"),
        (b"bytes \xff\xfe invalid", "bytes \ufffd\ufffd invalid"),
        (b"nul \x00 in bytes", "nul \\x00 in bytes"),
        ("", ""),
    ],
)
def test_text_is_escaped_visibly(given_text, expected):
    assert storable_text(given_text) == expected


def test_long_text_is_cut_with_a_marker():
    cut = storable_text("a" * 10_000, limit=100)
    assert len(cut) == 100
    assert cut.endswith(TRUNCATED)
    assert storable_text("a" * 100, limit=100) == "a" * 100  # exactly the limit: kept whole


def test_escapes_count_towards_the_limit():
    cut = storable_text("\x00" * 1000, limit=50)
    assert len(cut) == 50
    assert cut.startswith("\\x00\\x00")


def test_a_megabyte_single_line_of_bytes_is_cut_without_reading_it_all():
    cut = storable_text(b"\xf0\x9f\x98\x80" * 1_000_000, limit=1000)
    assert len(cut) == 1000
    assert cut.startswith("😀😀")
    assert cut.endswith(TRUNCATED)


@given(ANY_TEXT | st.binary(max_size=300), st.none() | st.integers(min_value=20, max_value=400))
def test_any_input_becomes_storable_text(raw, limit):
    text = storable_text(raw, limit=limit)
    text.encode("utf-8")  # no lone surrogate: every encoder takes it
    assert "\x00" not in text
    assert not any(0x80 <= ord(c) <= 0x9F or (ord(c) < 0x20 and c not in "\t\n\r") for c in text)
    if limit is not None:
        assert len(text) <= limit


@given(ANY_TEXT | st.binary(max_size=300), st.integers(min_value=-1, max_value=len(TRUNCATED) + 2))
def test_a_limit_smaller_than_the_marker_is_still_at_most_the_limit(raw, limit):
    # Regression (issue 14 review): a limit below the marker's length gave the whole marker,
    # longer than the limit promised.
    text = storable_text(raw, limit=limit)
    assert len(text) <= max(limit, 0)
    assert "\x00" not in text


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200))
def test_printable_text_is_kept_as_it_is(text):
    assert storable_text(text) == text


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(ANY_TEXT, inner, max_size=5),
        max_leaves=30,
    )
)
def test_any_json_becomes_storable_json(value):
    stored = storable_json(value, text_limit=50)
    text = json.dumps(stored, allow_nan=False, ensure_ascii=False)  # no NaN: jsonb refuses it
    text.encode("utf-8")
    assert "\x00" not in text
    assert "\\u0000" not in text


def test_json_lists_are_capped():
    stored = storable_json({"tests": [{"name": str(i)} for i in range(5000)]}, text_limit=10)
    assert len(stored["tests"]) == 1000
