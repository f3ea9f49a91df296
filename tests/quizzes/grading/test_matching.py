"""matching grading: each pair an equal share."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from quizzes.grading import grade

SPEC = {
    "pairs": [
        {"id": "a", "prompt": "chan", "answer": "Канал"},
        {"id": "b", "prompt": "go", "answer": "Запуск горутины"},
        {"id": "c", "prompt": "defer", "answer": "Отложенный вызов"},
    ],
    "distractors": ["Исключение", "всё"],
}


@pytest.mark.parametrize(
    ("matches", "share"),
    [
        ({"a": "Канал", "b": "Запуск горутины", "c": "Отложенный вызов"}, Fraction(1)),
        ({"c": "Отложенный вызов", "a": "Канал", "b": "Запуск горутины"}, Fraction(1)),
        ({"a": " канал ", "b": "ЗАПУСК  горутины", "c": "отложенный вызов"}, Fraction(1)),
        ({"a": "Канал", "b": "Исключение", "c": "Отложенный вызов"}, Fraction(2, 3)),
        ({"a": "Канал"}, Fraction(1, 3)),
        ({"a": "Запуск горутины", "b": "Канал", "c": "Исключение"}, Fraction(0)),
        ({}, Fraction(0)),
        ({"zzz": "Канал"}, Fraction(0)),
    ],
)
def test_matching(matches: dict[str, str], share: Fraction) -> None:
    result = grade("matching", SPEC, {"matches": matches}, Decimal(3))
    assert result.share == share
    assert result.score == Decimal(3) * share.numerator / share.denominator


def test_matching_details_per_pair_without_the_answers() -> None:
    result = grade("matching", SPEC, {"matches": {"a": "Исключение"}}, Decimal(1))
    assert result.details == {"pairs": {"a": False, "b": False, "c": False}}
    assert "Канал" not in repr(result.details)


def test_matching_does_not_fold_yo() -> None:
    the_spec = {"pairs": [{"id": "a", "prompt": "x", "answer": "всё"}], "distractors": ["все"]}
    assert grade("matching", the_spec, {"matches": {"a": "всё"}}, Decimal(1)).correct
    assert not grade("matching", the_spec, {"matches": {"a": "все"}}, Decimal(1)).correct
