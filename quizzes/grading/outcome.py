"""What a grader returns (an Outcome: a share of the points) and what grade() returns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Outcome:
    """A grader's verdict before points are applied.

    `details` is per-part right/wrong information and never holds a correct answer:
    whether keys are shown is the feedback policy's decision, made later.
    """

    share: Fraction
    feedback: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    needs_manual: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.share <= 1:
            raise ValueError(f"share must be within [0, 1], got {self.share}")


@dataclass(frozen=True)
class GradeResult:
    score: Decimal
    max_score: Decimal
    share: Fraction
    correct: bool
    needs_manual: bool
    feedback: tuple[str, ...]
    details: Mapping[str, Any]


def clamp_share(value: Fraction) -> Fraction:
    return min(Fraction(1), max(Fraction(0), value))


def score_for(points: Decimal, share: Fraction) -> Decimal:
    """points × share rounded half up to cents, never above points.

    Exact: the product is a Fraction, so three gaps of 1/3 give the full points.
    """
    hundredths = Fraction(points) * share * 100
    rounded = math.floor(hundredths + Fraction(1, 2))
    score = (Decimal(rounded) * CENT).quantize(CENT)
    # Points with more than 2 decimals (0.005) could round up past themselves.
    return min(score, points.quantize(CENT, rounding=ROUND_DOWN))


def result_from(outcome: Outcome, points: Decimal) -> GradeResult:
    if not isinstance(points, Decimal) or not points.is_finite() or points < 0:
        raise ValueError(f"points must be a finite, non-negative Decimal, got {points!r}")
    return GradeResult(
        score=score_for(points, outcome.share),
        max_score=points,
        share=outcome.share,
        correct=outcome.share == 1,
        needs_manual=outcome.needs_manual,
        feedback=tuple(text for text in outcome.feedback if text),
        details=outcome.details,
    )
