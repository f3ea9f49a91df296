"""ordering grading: positions and pairs."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from quizzes.grading import grade


def spec(ids: str, scoring: str) -> dict[str, Any]:
    return {"items": [{"id": i, "text": f"шаг {i}"} for i in ids], "scoring": scoring}


@pytest.mark.parametrize(
    ("ids", "scoring", "order", "share"),
    [
        ("abcd", "positions", "abcd", Fraction(1)),
        ("abcd", "positions", "bacd", Fraction(1, 2)),
        ("abcd", "positions", "dabc", Fraction(0)),  # every item one place off
        ("abcd", "positions", "dcba", Fraction(0)),
        ("abcd", "pairs", "abcd", Fraction(1)),
        ("abcd", "pairs", "bacd", Fraction(5, 6)),  # one swap costs one pair of six
        ("abcd", "pairs", "dabc", Fraction(3, 6)),
        ("abcd", "pairs", "dcba", Fraction(0)),
        ("abc", "pairs", "acb", Fraction(2, 3)),
        ("a", "pairs", "a", Fraction(1)),  # a single item has no pairs: in order
        ("a", "positions", "a", Fraction(1)),
        ("abc", "pairs", "ab", Fraction(0)),  # not a permutation
        ("abc", "positions", "abcc", Fraction(0)),
        ("abc", "positions", "abx", Fraction(0)),
        ("abc", "pairs", "", Fraction(0)),
    ],
)
def test_ordering(ids: str, scoring: str, order: str, share: Fraction) -> None:
    result = grade("ordering", spec(ids, scoring), {"order": list(order)}, Decimal(6))
    assert result.share == share


def test_ordering_thirds_round_half_up() -> None:
    result = grade("ordering", spec("abc", "pairs"), {"order": ["a", "c", "b"]}, Decimal(1))
    assert result.score == Decimal("0.67")


def test_ordering_details_per_item_without_the_key() -> None:
    result = grade("ordering", spec("abc", "positions"), {"order": ["a", "c", "b"]}, Decimal(1))
    assert result.details == {"in_place": {"a": True, "b": False, "c": False}}
