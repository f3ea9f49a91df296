"""short_text grading: normalisation, case, ё/е, regexes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from quizzes.grading import grade, normalise


def spec(*answers: dict[str, Any], **options: bool) -> dict[str, Any]:
    return {"answers": list(answers), **options}


GOROUTINE = {"text": "горутина", "weight": 100, "feedback": "Да"}
HEDGEHOG = {"text": "ёжик", "weight": 100}
GO_REGEX = {"regex": "^go(routine)?s?$", "weight": 50, "feedback": "По-английски"}


@pytest.mark.parametrize(
    ("the_spec", "text", "score"),
    [
        (spec(GOROUTINE), "горутина", "1.00"),
        (spec(GOROUTINE), "ГОРУТИНА", "1.00"),  # Cyrillic casefold
        (spec(GOROUTINE), "  Горутина \t", "1.00"),
        (spec(GOROUTINE, case_sensitive=True), "ГОРУТИНА", "0.00"),
        (spec(GOROUTINE, case_sensitive=True), "горутина", "1.00"),
        (spec(GOROUTINE), "горутины", "0.00"),
        (spec(HEDGEHOG), "ежик", "1.00"),  # yo_equals_e defaults to true
        (spec(HEDGEHOG), "ЕЖИК", "1.00"),
        (spec(HEDGEHOG, yo_equals_e=False), "ежик", "0.00"),
        (spec(HEDGEHOG, yo_equals_e=False), "ЁЖИК", "1.00"),
        (spec({"text": "ежик", "weight": 100}), "ёжик", "1.00"),
        (spec({"text": "Ёжик", "weight": 100}, case_sensitive=True), "Ежик", "1.00"),
        (spec({"text": "Ёжик", "weight": 100}, case_sensitive=True), "ежик", "0.00"),
        (spec({"text": "двойной   пробел", "weight": 100}), "двойной пробел", "1.00"),
        (spec({"text": "e\u0301", "weight": 100}), "\u00e9", "1.00"),  # NFC
        (spec(GOROUTINE, GO_REGEX), "goroutines", "0.50"),
        (spec(GOROUTINE, GO_REGEX), "GoRoutine", "0.50"),  # IGNORECASE
        (spec(GOROUTINE, GO_REGEX, case_sensitive=True), "GoRoutine", "0.00"),
        (spec(GOROUTINE, GO_REGEX), "goroutine!", "0.00"),  # fullmatch
        (spec(GOROUTINE, GO_REGEX), "  go  ", "0.50"),
        (spec(GO_REGEX, GOROUTINE), "горутина", "1.00"),  # the best weight counts
        (spec({"regex": "ёж(ик)?", "weight": 100}), "ЕЖИК", "1.00"),  # ё in the pattern too
        (spec({"regex": "ёж(ик)?", "weight": 100}, yo_equals_e=False), "ежик", "0.00"),
        (spec({"regex": "x*", "weight": 100}), "", "0.00"),  # empty matches nothing
        (spec({"text": "нет", "weight": -100}), "нет", "0.00"),  # never below 0
        (spec({"text": "да", "weight": 30}), "да", "0.30"),
    ],
)
def test_short_text(the_spec: dict[str, Any], text: str, score: str) -> None:
    result = grade("short_text", the_spec, {"text": text}, Decimal(1))
    assert result.score == Decimal(score)


def test_short_text_feedback_of_the_best_match_and_no_key_in_details() -> None:
    result = grade("short_text", spec(GO_REGEX, GOROUTINE), {"text": "go"}, Decimal(1))
    assert result.feedback == ("По-английски",)
    assert result.details == {"matched": True}
    assert "горутина" not in repr(result.details)


def test_regex_is_not_run_on_more_than_1000_characters() -> None:
    # Bounds the work of a slow pattern; so a long response cannot match a regex.
    the_spec = spec({"regex": "a+", "weight": 100})
    assert grade("short_text", the_spec, {"text": "a" * 1000}, Decimal(1)).correct
    assert not grade("short_text", the_spec, {"text": "a" * 1001}, Decimal(1)).correct


@pytest.mark.parametrize("response", [None, {}, {"text": ""}, {"text": "   "}, {"text": None}])
def test_no_answer_scores_zero(response: Any) -> None:
    result = grade("short_text", spec(GOROUTINE), response, Decimal(1))
    assert result.score == 0
    assert not result.correct


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("  ГОРУТИНА  ", {}, "горутина"),
        ("Ёлка\n\tи  ёж", {}, "елка и еж"),
        ("Ёлка", {"case_sensitive": True}, "Елка"),
        ("Ёлка", {"yo_equals_e": False}, "ёлка"),
        ("Straße", {}, "strasse"),
    ],
)
def test_normalise(text: str, options: dict[str, bool], expected: str) -> None:
    merged = {"case_sensitive": False, "yo_equals_e": True, **options}
    assert normalise(text, **merged) == expected
