"""A quiz attempt's score and a learner's standing on a quiz: pure functions, no Django.

The retry penalty, the score and percent of an attempt, passing, and the score policy over
a learner's graded attempts (best, last, average). The grading service and the reads of
results (pages, API, progress) all compute through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
POLICY_BEST, POLICY_LAST, POLICY_AVERAGE = "best", "last", "average"


def retry_penalty(*, per_retry: int, earlier_attempts: int) -> int:
    """Percent taken off for the attempts before this one (errors are not counted): at most 100."""
    return min(100, per_retry * earlier_attempts)


@dataclass(frozen=True)
class AttemptScore:
    score: Decimal
    max_score: Decimal
    penalty: int
    percent: Decimal
    passed: bool


def attempt_score(
    *,
    raw: Decimal,
    max_score: Decimal,
    penalty: int,
    pass_score: int | Decimal,
    late_penalty: int = 0,
) -> AttemptScore:
    """The points after the retry penalty and then the late penalty (rounded half up to the
    cent, once) and their percent."""
    kept = Decimal(100 - min(penalty, 100)) * Decimal(100 - min(max(late_penalty, 0), 100))
    score = (raw * kept / 10000).quantize(CENT, rounding=ROUND_HALF_UP)
    percent = (
        (score * 100 / max_score).quantize(CENT, rounding=ROUND_HALF_UP)
        if max_score
        else Decimal(0)
    )
    return AttemptScore(score, max_score, penalty, percent, percent >= pass_score)


@dataclass(frozen=True)
class QuizResult:
    """A learner's standing on a quiz under its score policy."""

    percent: Decimal | None
    passed: bool
    graded_attempts: int


def quiz_result(
    *, policy: str, pass_score: int | Decimal, percents: Sequence[Decimal]
) -> QuizResult:
    """The score policy over the percents of graded attempts, oldest first."""
    if not percents:
        return QuizResult(percent=None, passed=False, graded_attempts=0)
    if policy == POLICY_LAST:
        percent = percents[-1]
    elif policy == POLICY_AVERAGE:
        percent = (sum(percents, Decimal(0)) / len(percents)).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        percent = max(percents)
    return QuizResult(percent=percent, passed=percent >= pass_score, graded_attempts=len(percents))
