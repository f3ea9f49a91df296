"""fill_blanks and essay grading."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from quizzes.grading import grade

SPEC: dict[str, Any] = {
    "text": "Go запускает {{1}} с помощью {{kw}}, их может быть {{n}}",
    "gaps": [
        {
            "id": "1",
            "kind": "text",
            "answers": [
                {"text": "горутины", "weight": 100, "feedback": "Да, горутины"},
                {"regex": "потоки?", "weight": 50, "feedback": "Не совсем"},
            ],
        },
        {
            "id": "kw",
            "kind": "choice",
            "choices": [
                {"id": "x", "text": "go", "weight": 100},
                {"id": "y", "text": "run", "weight": 0, "feedback": "Такого слова нет"},
            ],
        },
        {
            "id": "n",
            "kind": "numeric",
            "answers": [{"kind": "range", "min": "1", "max": "1e6", "weight": 100}],
        },
    ],
}


@pytest.mark.parametrize(
    ("gaps", "share", "score"),
    [
        ({"1": "ГОРУТИНЫ", "kw": "x", "n": "1000"}, Fraction(1), "1.00"),
        ({"1": "горутины", "kw": "y", "n": "1 000"}, Fraction(1, 3), "0.33"),
        ({"1": "горутины", "kw": "x", "n": "0"}, Fraction(2, 3), "0.67"),
        ({"1": "поток", "kw": "x", "n": "5"}, Fraction(5, 6), "0.83"),
        ({"1": "поток"}, Fraction(1, 6), "0.17"),
        ({}, Fraction(0), "0.00"),
    ],
)
def test_fill_blanks(gaps: dict[str, str], share: Fraction, score: str) -> None:
    result = grade("fill_blanks", SPEC, {"gaps": gaps}, Decimal(1))
    assert result.share == share
    assert result.score == Decimal(score)


def test_fill_blanks_three_equal_gaps_sum_to_exactly_the_points() -> None:
    # Given three gaps of one kind each, all answered right
    result = grade(
        "fill_blanks", SPEC, {"gaps": {"1": "горутины", "kw": "x", "n": "3,5"}}, Decimal("7.01")
    )
    # Then the thirds add up to exactly 1, not 0.999…
    assert result.share == 1
    assert result.correct
    assert result.score == Decimal("7.01")


def test_fill_blanks_feedback_and_details() -> None:
    result = grade("fill_blanks", SPEC, {"gaps": {"1": "потоки", "kw": "y"}}, Decimal(1))
    assert result.feedback == ("Не совсем", "Такого слова нет")
    assert result.details == {"gaps": {"1": "partial", "kw": "wrong", "n": "wrong"}}


@pytest.mark.parametrize(
    ("text", "words", "within"),
    [("", 0, False), ("одно два три", 3, True), ("слово " * 11, 11, False)],
)
def test_essay_needs_manual_grading(text: str, words: int, within: bool) -> None:
    the_spec = {"min_words": 1, "max_words": 10, "grader_info": "Смотрите на примеры"}
    result = grade("essay", the_spec, {"text": text}, Decimal(5))
    assert result.needs_manual
    assert result.score == 0
    assert result.share == 0
    assert not result.correct
    assert result.max_score == Decimal(5)
    assert result.details == {"word_count": words, "within_word_limits": within}
