"""validate_response: what the API refuses, and what it lets through as a wrong answer."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from quizzes.grading import ResponseError, grade, validate_response

SPECS: dict[str, dict[str, Any]] = {
    "single_choice": {
        "choices": [{"id": "a", "text": "x", "weight": 100}, {"id": "b", "text": "y", "weight": 0}]
    },
    "multiple_choice": {
        "choices": [
            {"id": "a", "text": "x", "weight": 100},
            {"id": "b", "text": "y", "weight": -100},
        ],
        "scoring": "partial",
    },
    "true_false": {"answer": True},
    "short_text": {"answers": [{"text": "да", "weight": 100}]},
    "numeric": {"answers": [{"kind": "exact", "value": "1", "weight": 100}]},
    "ordering": {
        "items": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}],
        "scoring": "positions",
    },
    "matching": {
        "pairs": [{"id": "a", "prompt": "p", "answer": "Ответ"}],
        "distractors": ["Лишний"],
    },
    "fill_blanks": {
        "text": "{{t}} {{c}}",
        "gaps": [
            {"id": "t", "kind": "text", "answers": [{"text": "да", "weight": 100}]},
            {
                "id": "c",
                "kind": "choice",
                "choices": [
                    {"id": "a", "text": "x", "weight": 100},
                    {"id": "b", "text": "y", "weight": 0},
                ],
            },
        ],
    },
    "essay": {"min_words": 100},
}

BIG = "я" * 32769  # 65538 bytes of UTF-8

ACCEPTED: list[tuple[str, Any]] = [
    *((name, None) for name in SPECS),
    *((name, {}) for name in SPECS),
    ("single_choice", {"choice": "b"}),  # wrong, not malformed
    ("multiple_choice", {"choices": ["b", "a"]}),
    ("multiple_choice", {"choices": []}),
    ("true_false", {"value": False}),
    ("short_text", {"text": "нет"}),
    ("short_text", {"text": "я" * 32768}),  # exactly 64 KB
    ("numeric", {"text": "не число"}),  # mistyped numbers are wrong answers, not errors
    ("ordering", {"order": ["b", "a"]}),
    ("ordering", {"order": []}),
    ("matching", {"matches": {"a": " лишний "}}),
    ("matching", {"matches": {"a": ""}}),
    ("fill_blanks", {"gaps": {"t": "нет", "c": "b"}}),
    ("fill_blanks", {"gaps": {"c": ""}}),
    ("essay", {"text": "коротко"}),  # word limits are reported, not refused
]


@pytest.mark.parametrize(("question_type", "response"), ACCEPTED)
def test_accepted_responses(question_type: str, response: Any) -> None:
    validate_response(question_type, SPECS[question_type], response)


REFUSED: list[tuple[str, Any, str]] = [
    ("single_choice", {"choice": 1}, "choice must be a string"),
    ("single_choice", {"choice": "z"}, "choice is not a choice of this question"),
    ("single_choice", {"choices": ["a"]}, "choices is not a known field"),
    ("single_choice", ["a"], "the value must be an object"),
    ("multiple_choice", {"choices": "a"}, "choices must be a list"),
    ("multiple_choice", {"choices": ["a", 2]}, "choices[1] must be a string"),
    ("multiple_choice", {"choices": ["a", "z"]}, "choices[1] is not a choice of this question"),
    ("multiple_choice", {"choices": ["a", "a"]}, "choices[1] is picked more than once"),
    ("true_false", {"value": "true"}, "value must be true or false"),
    ("short_text", {"text": 5}, "text must be a string"),
    ("short_text", {"text": BIG}, "text must be at most 64 KB"),
    ("numeric", {"text": ["1"]}, "text must be a string"),
    ("essay", {"text": BIG}, "text must be at most 64 KB"),
    ("ordering", {"order": ["a"]}, "order must list every item exactly once"),
    ("ordering", {"order": ["a", "a"]}, "order[1] lists an item a second time"),
    ("ordering", {"order": ["a", "z"]}, "order[1] is not an item of this question"),
    ("ordering", {"order": ["a", 2]}, "order[1] must be a string"),
    ("matching", {"matches": ["a"]}, "matches must be an object"),
    ("matching", {"matches": {"z": "Ответ"}}, "matches.z is not a pair of this question"),
    ("matching", {"matches": {"a": 1}}, "matches.a must be a string"),
    ("matching", {"matches": {"a": "Другое"}}, "matches.a is not one of the offered answers"),
    ("matching", {"matches": {"a": BIG}}, "matches.a must be at most 64 KB"),
    ("fill_blanks", {"gaps": {"x": "да"}}, "gaps.x is not a gap of this question"),
    ("fill_blanks", {"gaps": {"t": 1}}, "gaps.t must be a string"),
    ("fill_blanks", {"gaps": {"c": "z"}}, "gaps.c is not a choice of this gap"),
    ("fill_blanks", {"gaps": {"t": BIG}}, "gaps.t must be at most 64 KB"),
]


@pytest.mark.parametrize(("question_type", "response", "message"), REFUSED)
def test_refused_responses_name_the_field(question_type: str, response: Any, message: str) -> None:
    with pytest.raises(ResponseError, match=f"^{re.escape(message)}$"):
        validate_response(question_type, SPECS[question_type], response)


@pytest.mark.parametrize(
    ("question_type", "response"),
    [
        ("single_choice", {"choice": 1}),
        ("short_text", {"answer": "да"}),
        ("matching", {"matches": []}),
    ],
)
def test_grade_refuses_a_response_of_the_wrong_shape(question_type: str, response: Any) -> None:
    with pytest.raises(ResponseError):
        grade(question_type, SPECS[question_type], response, Decimal(1))


@pytest.mark.parametrize(
    ("question_type", "response", "score"),
    [
        ("single_choice", {"choice": "z"}, "0.00"),
        ("multiple_choice", {"choices": ["a", "a", "z"]}, "1.00"),  # unknown ids add nothing
        ("ordering", {"order": ["a"]}, "0.00"),
        ("matching", {"matches": {"z": "Ответ", "a": "Другое"}}, "0.00"),
        ("fill_blanks", {"gaps": {"x": "да", "c": "z"}}, "0.00"),
    ],
)
def test_grade_scores_what_validate_response_refuses(
    question_type: str, response: Any, score: str
) -> None:
    # Stored answers may predate an edit of the spec: grading them must not crash the worker.
    result = grade(question_type, SPECS[question_type], response, Decimal(1))
    assert result.score == Decimal(score)
