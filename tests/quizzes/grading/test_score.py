"""points × share: exact, rounded half up to cents, within [0, points]."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from quizzes.grading import GradeResult, Outcome, grade
from quizzes.grading.outcome import result_from


@pytest.mark.parametrize(
    ("points", "share", "score"),
    [
        ("1", Fraction(1, 3), "0.33"),
        ("1", Fraction(2, 3), "0.67"),
        ("0.05", Fraction(1, 2), "0.03"),  # 0.025 rounds half up
        ("2.5", Fraction(1, 2), "1.25"),
        ("10", Fraction(1), "10.00"),
        ("0", Fraction(1), "0.00"),
        ("0.005", Fraction(1), "0.00"),  # rounding must not go past the points
        ("100", Fraction(1, 7), "14.29"),
    ],
)
def test_score_rounding(points: str, share: Fraction, score: str) -> None:
    result = result_from(Outcome(share=share), Decimal(points))
    assert result.score == Decimal(score)
    assert result.score.as_tuple().exponent == -2
    assert Decimal(0) <= result.score <= Decimal(points)


@pytest.mark.parametrize("points", [Decimal(-1), Decimal("NaN"), Decimal("Infinity"), 1])
def test_points_must_be_a_finite_non_negative_decimal(points: object) -> None:
    with pytest.raises(ValueError, match="points must be"):
        grade("true_false", {"answer": True}, {"value": True}, points)  # type: ignore[arg-type]


def test_outcome_share_outside_0_1_is_a_bug() -> None:
    with pytest.raises(ValueError, match="share must be within"):
        Outcome(share=Fraction(3, 2))


def test_result_is_frozen() -> None:
    result = grade("true_false", {"answer": True}, {"value": True}, Decimal(1))
    assert isinstance(result, GradeResult)
    with pytest.raises(AttributeError):
        result.score = Decimal(0)  # type: ignore[misc]
