"""The statistics of item analysis: pure functions over numbers, no Django.

- facility: how easy a question was, the mean score as a percent of its points (100: all
  got it right; classical test theory's p-value, Moodle's "facility index");
- discrimination: whether those who did well on the rest of the quiz did well on this
  question, the Pearson correlation (x100) of the question's score with the rest of the
  attempt's score (the "corrected item-total correlation"; Moodle's "discrimination
  index"). Under about 20 a question does not tell strong learners from weak ones; a
  negative one usually has a wrong key or misleads;
- histogram: counts of percents in equal bins;
- median: of a list of numbers (submissions to pass).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

# Below this many attempts the indices say little; the page says so beside them.
FEW_ATTEMPTS = 10
LOW_DISCRIMINATION = 20
EASY, HARD = 90, 20


def _round1(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def facility(scores: Sequence[Decimal], points: Decimal) -> Decimal | None:
    """Mean score as a percent of the question's points (one decimal); None without data."""
    if not scores or not points:
        return None
    mean = sum(scores, Decimal(0)) / len(scores)
    return (mean * 100 / points).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def discrimination(item: Sequence[Decimal], rest: Sequence[Decimal]) -> Decimal | None:
    """Pearson correlation x100 (one decimal) of the item's scores with the rest-of-quiz
    scores of the same attempts; None with under 2 attempts or no spread in either."""
    if len(item) != len(rest):
        raise ValueError("one item score and one rest score per attempt")
    n = len(item)
    if n < 2:
        return None
    xs, ys = [float(v) for v in item], [float(v) for v in rest]
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return _round1(100 * sxy / math.sqrt(sxx * syy))


def histogram(percents: Sequence[Decimal], *, bins: int = 10) -> list[int]:
    """Counts of percents in `bins` equal bins over 0..100; 100 falls in the last."""
    counts = [0] * bins
    for percent in percents:
        index = min(bins - 1, max(0, int(Decimal(percent) * bins // 100)))
        counts[index] += 1
    return counts


def median(values: Sequence[float | int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def verdict_flags(
    *, facility: Decimal | None, discrimination: Decimal | None, attempts: int
) -> list[str]:
    """What an instructor should look at: 'few' (too few attempts to judge), 'easy', 'hard',
    'weak' (low discrimination), 'misleading' (negative: the strong do worse)."""
    if attempts < FEW_ATTEMPTS:
        return ["few"]
    flags = []
    if facility is not None and facility >= EASY:
        flags.append("easy")
    if facility is not None and facility <= HARD:
        flags.append("hard")
    if discrimination is not None and discrimination < 0:
        flags.append("misleading")
    elif discrimination is not None and discrimination < LOW_DISCRIMINATION:
        flags.append("weak")
    return flags
