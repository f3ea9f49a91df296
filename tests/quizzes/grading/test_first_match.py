"""Short answers and text gaps graded by the first matching answer (Moodle's order) or by the
best one (ours): the `first_match` setting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from quizzes.grading import SpecError, grade, validate_spec

ANY = {"regex": ".*", "weight": 50, "feedback": "любой ответ"}
RIGHT = {"text": "канал", "weight": 100, "feedback": "верно"}
CLOSE = {"regex": "кана.*", "weight": 80, "feedback": "почти"}
WRONG = {"text": "мьютекс", "weight": 0, "feedback": "нет"}


def short(*answers: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"answers": list(answers), **options}


@pytest.mark.parametrize(
    ("answers", "first_match", "response", "score", "feedback"),
    [
        # A wildcard before the right answer: Moodle gives the wildcard's weight to everyone.
        ((ANY, RIGHT), True, "канал", "0.50", "любой ответ"),
        ((ANY, RIGHT), False, "канал", "1.00", "верно"),
        ((ANY, RIGHT), True, "очередь", "0.50", "любой ответ"),
        ((ANY, RIGHT), False, "очередь", "0.50", "любой ответ"),
        # After it, both read the same.
        ((RIGHT, ANY), True, "КАНАЛ", "1.00", "верно"),
        ((RIGHT, ANY), False, "КАНАЛ", "1.00", "верно"),
        # A 0% answer listed first stops a later wildcard from matching (Moodle's 0 + feedback).
        ((WRONG, ANY), True, "мьютекс", "0.00", "нет"),
        ((WRONG, ANY), False, "мьютекс", "0.50", "любой ответ"),
        # Two regexes: the first of them that matches.
        ((CLOSE, RIGHT), True, "канал", "0.80", "почти"),
        ((CLOSE, RIGHT), False, "канал", "1.00", "верно"),
        ((CLOSE, RIGHT), True, "каналы", "0.80", "почти"),
        # Nothing matches: 0, no feedback; an empty response never matches.
        ((RIGHT, CLOSE), True, "горутина", "0.00", ""),
        ((ANY, RIGHT), True, "   ", "0.00", ""),
    ],
)
def test_short_text_grades_by_the_first_or_the_best_match(
    answers, first_match, response, score, feedback
):
    the_spec = short(*answers, first_match=first_match)

    result = grade("short_text", the_spec, {"text": response}, Decimal(1))

    assert (str(result.score), result.feedback) == (score, (feedback,) if feedback else ())


@pytest.mark.parametrize(("first_match", "score"), [(True, "0.25"), (False, "0.50")])
def test_a_text_gap_grades_by_its_own_setting(first_match, score):
    the_spec = {
        "text": "{{a}} и {{b}}",
        "gaps": [
            {"id": "a", "kind": "text", "answers": [ANY, RIGHT], "first_match": first_match},
            {"id": "b", "kind": "text", "answers": [RIGHT]},
        ],
    }

    result = grade("fill_blanks", the_spec, {"gaps": {"a": "канал", "b": "нет"}}, Decimal(1))

    assert str(result.score) == score


def test_first_match_is_a_flag():
    with pytest.raises(SpecError, match="first_match must be true or false"):
        validate_spec("short_text", short(RIGHT, first_match="yes"))
