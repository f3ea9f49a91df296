"""numeric: a typed number compared exactly, within a tolerance, or against a range."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Literal

from quizzes.grading.fields import JsonObject
from quizzes.grading.outcome import Outcome, clamp_share
from quizzes.grading.text import TextResponse

FULL = Fraction(100)
# One optional sign, digits with "." or "," as the decimal mark, an optional exponent.
# No thousands separators ("1 000", "1_000"): "1,000" is one, written with a decimal comma.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
# Beyond this a number is not one a learner means, and exact arithmetic on it gets costly.
MAX_EXPONENT = 1000
MAX_NUMBER_LENGTH = 100


def parse_number(text: str) -> Fraction | None:
    """The exact value of "3.14", "3,14", " -2 ", "1e3", "+5"; None for anything else."""
    text = text.strip()
    if len(text) > MAX_NUMBER_LENGTH or not NUMBER.fullmatch(text):
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - NUMBER admits only what Decimal reads
        return None
    if value and abs(value.adjusted()) > MAX_EXPONENT:
        return None
    return Fraction(value)


@dataclass(frozen=True)
class NumericAnswer:
    """One accepted answer; `kind` says which of value/tolerance/min/max are used."""

    kind: Literal["exact", "tolerance", "range", "any"]
    weight: Fraction
    value: Fraction = Fraction(0)
    tolerance: Fraction = Fraction(0)
    min: Fraction = Fraction(0)
    max: Fraction = Fraction(0)
    feedback: str = ""

    def matches(self, number: Fraction) -> bool:
        if self.kind == "any":  # Moodle's "*": any other number (its feedback, its weight)
            return True
        if self.kind == "exact":
            return number == self.value
        if self.kind == "tolerance":
            return abs(number - self.value) <= self.tolerance
        return self.min <= number <= self.max


def spec_number(obj: JsonObject, key: str) -> Fraction:
    """A number in a spec: a decimal string as the contract says (a JSON integer is fine too)."""
    raw = obj.get(key)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Fraction(raw)
    if not isinstance(raw, str):
        raise obj.fail(key, 'must be a decimal string such as "3.14"')
    number = parse_number(raw)
    if number is None:
        raise obj.fail(key, f'must be a decimal string such as "3.14", got "{raw}"')
    return number


def parse_numeric_answers(obj: JsonObject, key: str = "answers") -> tuple[NumericAnswer, ...]:
    answers = []
    for item in obj.objects(key, min_length=1):
        kind = item.text("kind")
        weight = item.weight()
        feedback = item.text("feedback", default="")
        if kind == "exact":
            item.only("kind", "value", "weight", "feedback")
            answers.append(
                NumericAnswer(
                    kind="exact", weight=weight, value=spec_number(item, "value"), feedback=feedback
                )
            )
        elif kind == "tolerance":
            item.only("kind", "value", "tolerance", "weight", "feedback")
            tolerance = spec_number(item, "tolerance")
            if tolerance < 0:
                raise item.fail("tolerance", "must not be negative")
            answers.append(
                NumericAnswer(
                    kind="tolerance",
                    weight=weight,
                    value=spec_number(item, "value"),
                    tolerance=tolerance,
                    feedback=feedback,
                )
            )
        elif kind == "range":
            item.only("kind", "min", "max", "weight", "feedback")
            low, high = spec_number(item, "min"), spec_number(item, "max")
            if low > high:
                raise item.error(f"{item.path}: min must not be greater than max")
            answers.append(
                NumericAnswer(kind="range", weight=weight, min=low, max=high, feedback=feedback)
            )
        elif kind == "any":
            item.only("kind", "weight", "feedback")
            answers.append(NumericAnswer(kind="any", weight=weight, feedback=feedback))
        else:
            raise item.fail("kind", "must be 'exact', 'tolerance', 'range' or 'any'")
    return tuple(answers)


def best_numeric(answers: tuple[NumericAnswer, ...], text: str) -> tuple[Fraction, str, bool]:
    """The share and feedback of the best-weighted matching answer, and whether text is a number."""
    number = parse_number(text)
    if number is None:
        return Fraction(0), "", False
    best: NumericAnswer | None = None
    for answer in answers:
        if (best is None or answer.weight > best.weight) and answer.matches(number):
            best = answer
    if best is None:
        return Fraction(0), "", True
    return clamp_share(best.weight / FULL), best.feedback, True


@dataclass(frozen=True)
class NumericSpec:
    answers: tuple[NumericAnswer, ...]


def parse_numeric_spec(data: Mapping[str, Any]) -> NumericSpec:
    obj = JsonObject(data)
    obj.only("answers")
    return NumericSpec(answers=parse_numeric_answers(obj))


def grade_numeric(spec: NumericSpec, response: TextResponse) -> Outcome:
    share, feedback, is_number = best_numeric(spec.answers, response.text)
    details = {"number": is_number, "matched": share > 0} if response.text.strip() else {}
    return Outcome(share=share, feedback=(feedback,), details=details)
