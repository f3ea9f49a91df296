"""single_choice, multiple_choice and true_false grading."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from quizzes.grading import grade

SINGLE: dict[str, Any] = {
    "choices": [
        {"id": "a", "text": "горутина", "weight": 100, "feedback": "Верно"},
        {"id": "b", "text": "поток", "weight": 25, "feedback": "Почти"},
        {"id": "c", "text": "процесс", "weight": -50, "feedback": "Нет"},
        {"id": "d", "text": "функция", "weight": 0},
    ]
}


@pytest.mark.parametrize(
    ("response", "score", "feedback"),
    [
        ({"choice": "a"}, "2.00", ("Верно",)),
        ({"choice": "b"}, "0.50", ("Почти",)),
        ({"choice": "c"}, "0.00", ("Нет",)),  # a negative weight never goes below 0
        ({"choice": "d"}, "0.00", ()),  # empty feedback is left out
        ({"choice": "zzz"}, "0.00", ()),  # unknown id earns nothing when grading
        ({}, "0.00", ()),
        (None, "0.00", ()),
        ({"choice": None}, "0.00", ()),
    ],
)
def test_single_choice(response: Any, score: str, feedback: tuple[str, ...]) -> None:
    result = grade("single_choice", SINGLE, response, Decimal(2))
    assert result.score == Decimal(score)
    assert result.max_score == Decimal(2)
    assert result.feedback == feedback
    assert result.correct == (score == "2.00")


MULTI: dict[str, Any] = {
    "choices": [
        {"id": "a", "text": "chan", "weight": 50, "feedback": "да"},
        {"id": "b", "text": "sync.Mutex", "weight": 50},
        {"id": "c", "text": "goto", "weight": -50, "feedback": "нет"},
        {"id": "d", "text": "print", "weight": -100},
    ],
    "scoring": "partial",
}


@pytest.mark.parametrize(
    ("scoring", "picked", "share"),
    [
        ("partial", ["a", "b"], Fraction(1)),
        ("partial", ["b", "a"], Fraction(1)),
        ("partial", ["a"], Fraction(1, 2)),
        ("partial", ["a", "c"], Fraction(0)),
        ("partial", ["a", "b", "c"], Fraction(1, 2)),
        ("partial", ["a", "b", "c", "d"], Fraction(0)),  # guessing everything does not pay
        ("partial", ["d"], Fraction(0)),  # clamped at 0, never negative
        ("partial", [], Fraction(0)),
        ("all_or_nothing", ["a", "b"], Fraction(1)),
        ("all_or_nothing", ["a"], Fraction(0)),
        ("all_or_nothing", ["a", "b", "c"], Fraction(0)),
        ("all_or_nothing", [], Fraction(0)),
    ],
)
def test_multiple_choice(scoring: str, picked: list[str], share: Fraction) -> None:
    spec = {**MULTI, "scoring": scoring}
    result = grade("multiple_choice", spec, {"choices": picked}, Decimal(10))
    assert result.share == share
    assert result.score == Decimal(10) * Decimal(share.numerator) / share.denominator


def test_multiple_choice_thirds_written_as_decimals_give_exactly_full_marks() -> None:
    # Given GIFT-style weights 33.33333 that sum to 99.99999
    choices: list[dict[str, Any]] = [{"id": k, "text": k, "weight": "33.33333"} for k in "abc"]
    choices.append({"id": "d", "text": "d", "weight": -100})
    spec = {"choices": choices, "scoring": "partial"}
    # When all three are picked, then the share is exactly 1
    result = grade("multiple_choice", spec, {"choices": ["a", "b", "c"]}, Decimal(3))
    assert result.share == 1
    assert result.correct
    assert result.score == Decimal("3.00")
    assert grade("multiple_choice", spec, {"choices": ["a"]}, Decimal(3)).score == Decimal("1.00")


def test_multiple_choice_feedback_and_details_of_picked_only() -> None:
    result = grade("multiple_choice", MULTI, {"choices": ["c", "a"]}, Decimal(1))
    assert result.feedback == ("да", "нет")
    assert result.details == {"picked": {"a": True, "c": False}}


@pytest.mark.parametrize(
    ("answer", "value", "score", "feedback"),
    [
        (True, True, "1.00", ("верно",)),
        (True, False, "0.00", ("увы",)),
        (False, False, "1.00", ("увы",)),
        (False, True, "0.00", ("верно",)),
        (True, None, "0.00", ()),
    ],
)
def test_true_false(
    answer: bool, value: bool | None, score: str, feedback: tuple[str, ...]
) -> None:
    spec = {"answer": answer, "feedback_true": "верно", "feedback_false": "увы"}
    result = grade("true_false", spec, {"value": value}, Decimal(1))
    assert result.score == Decimal(score)
    assert result.feedback == feedback
