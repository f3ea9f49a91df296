"""numeric grading and the number syntax learners may type."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from quizzes.grading import grade, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3.14", Fraction(314, 100)),
        ("3,14", Fraction(314, 100)),
        (" -2 ", Fraction(-2)),
        ("1e3", Fraction(1000)),
        ("1E-2", Fraction(1, 100)),
        ("+5", Fraction(5)),
        (".5", Fraction(1, 2)),
        (",5", Fraction(1, 2)),
        ("5.", Fraction(5)),
        ("1,000", Fraction(1)),  # the comma is always the decimal mark
        ("0e99999", Fraction(0)),
    ],
)
def test_parse_number_accepts(text: str, value: Fraction) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "NaN",
        "nan",
        "inf",
        "-Infinity",
        "1 000",  # thousands separators are refused, not guessed at
        "1_000",
        "1.000,5",
        "3.14.15",
        "--2",
        "e3",
        "0x10",
        "٣",  # Arabic-Indic digit: Decimal would read it, learners do not mean it
        "1e1001",
        "1e-1001",
        "1" * 101,
        "три",
    ],
)
def test_parse_number_refuses(text: str) -> None:
    assert parse_number(text) is None


ANSWERS: list[dict[str, Any]] = [
    {"kind": "exact", "value": "3.14", "weight": 100, "feedback": "Точно"},
    {"kind": "tolerance", "value": "3.14", "tolerance": "0.01", "weight": 50, "feedback": "Близко"},
    {"kind": "range", "min": "1", "max": "5", "weight": 10, "feedback": "Порядок тот"},
]


@pytest.mark.parametrize(
    ("text", "score", "feedback"),
    [
        ("3.14", "10.00", ("Точно",)),
        ("3,14", "10.00", ("Точно",)),
        ("3.140", "10.00", ("Точно",)),
        ("314e-2", "10.00", ("Точно",)),
        ("3,145", "5.00", ("Близко",)),
        ("3.15", "5.00", ("Близко",)),  # tolerance bound inclusive
        ("3.13", "5.00", ("Близко",)),
        ("3.1501", "1.00", ("Порядок тот",)),
        ("1", "1.00", ("Порядок тот",)),  # range bounds inclusive
        ("5", "1.00", ("Порядок тот",)),
        ("5.0001", "0.00", ()),
        ("0.99", "0.00", ()),
        ("-3.14", "0.00", ()),
        ("пи", "0.00", ()),
        ("", "0.00", ()),
    ],
)
def test_numeric(text: str, score: str, feedback: tuple[str, ...]) -> None:
    result = grade("numeric", {"answers": ANSWERS}, {"text": text}, Decimal(10))
    assert result.score == Decimal(score)
    assert result.feedback == feedback


def test_numeric_exact_decimals_without_float_drift() -> None:
    the_spec = {"answers": [{"kind": "exact", "value": "0.3", "weight": 100}]}
    assert grade("numeric", the_spec, {"text": "0.30"}, Decimal(1)).correct
    the_spec = {
        "answers": [{"kind": "tolerance", "value": "0.1", "tolerance": "0.2", "weight": 100}]
    }
    assert grade("numeric", the_spec, {"text": "0.3"}, Decimal(1)).correct  # 0.1 + 0.2 == 0.3


def test_numeric_details_say_whether_a_number_was_read() -> None:
    result = grade("numeric", {"answers": ANSWERS}, {"text": "abc"}, Decimal(1))
    assert result.details == {"number": False, "matched": False}
    result = grade("numeric", {"answers": ANSWERS}, {"text": "3,14"}, Decimal(1))
    assert result.details == {"number": True, "matched": True}
