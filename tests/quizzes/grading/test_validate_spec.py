"""validate_spec: every malformed spec is refused with a message naming the field."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from quizzes.grading import QUESTION_TYPES, SpecError, grade, validate_spec


def choices(*weights: Any) -> list[dict[str, Any]]:
    return [{"id": f"c{i}", "text": f"вариант {i}", "weight": w} for i, w in enumerate(weights)]


def text_gap(gap_id: str) -> dict[str, Any]:
    return {"id": gap_id, "kind": "text", "answers": [{"text": "да", "weight": 100}]}


VALID: list[tuple[str, dict[str, Any]]] = [
    ("single_choice", {"choices": choices(100, 0)}),
    ("single_choice", {"choices": choices("100", "-33.3")}),
    ("multiple_choice", {"choices": choices(50, 50, -100), "scoring": "partial"}),
    ("multiple_choice", {"choices": choices(33.33333, 33.33333, 33.33333), "scoring": "partial"}),
    ("true_false", {"answer": False}),
    ("short_text", {"answers": [{"regex": r"\d+(\.\d+)?", "weight": 100}]}),
    ("numeric", {"answers": [{"kind": "range", "min": "2", "max": 2, "weight": 100}]}),
    ("ordering", {"items": [{"id": "a", "text": "один"}], "scoring": "pairs"}),
    ("matching", {"pairs": [{"id": "a", "prompt": "p", "answer": "x"}]}),
    ("fill_blanks", {"text": "{{1}} и {{2}}", "gaps": [text_gap("1"), text_gap("2")]}),
    ("essay", {}),
    ("essay", {"min_words": 10, "max_words": 10, "grader_info": ""}),
]


@pytest.mark.parametrize(("question_type", "spec"), VALID)
def test_valid_specs_pass(question_type: str, spec: dict[str, Any]) -> None:
    validate_spec(question_type, spec)


INVALID: list[tuple[str, Any, str]] = [
    ("nope", {}, "type 'nope' is not a question type"),
    ("single_choice", [], "the value must be an object"),
    ("single_choice", {}, "choices is required"),
    ("single_choice", {"choices": "a"}, "choices must be a list"),
    ("single_choice", {"choices": choices(100)}, "choices must have at least 2 items"),
    (
        "single_choice",
        {"choices": choices(100, 0, 150)},
        "choices[2].weight must be between -100 and 100",
    ),
    ("single_choice", {"choices": choices(100, "много")}, "choices[1].weight must be a number"),
    ("single_choice", {"choices": choices(100, True)}, "choices[1].weight must be a number"),
    (
        "single_choice",
        {"choices": choices(100, float("nan"))},
        "choices[1].weight must be a number",
    ),
    ("single_choice", {"choices": choices(50, 50)}, "choices must have a choice with weight 100"),
    (
        "single_choice",
        {
            "choices": [
                {"id": "a", "text": "x", "weight": 100},
                {"id": "a", "text": "y", "weight": 0},
            ]
        },
        "choices[1].id 'a' is used more than once",
    ),
    (
        "single_choice",
        {"choices": [{"id": "", "text": "x", "weight": 100}, *choices(0)]},
        "choices[0].id must not be empty",
    ),
    (
        "single_choice",
        {"choices": [{"id": "a", "text": " ", "weight": 100}, *choices(0)]},
        "choices[0].text must not be empty",
    ),
    (
        "single_choice",
        {"choices": [{"text": "x", "weight": 100}, *choices(0)]},
        "choices[0].id is required",
    ),
    ("single_choice", {"choices": [*choices(100, 0), "c"]}, "choices[2] must be an object"),
    (
        "single_choice",
        {"choices": choices(100, 0), "shuffle": True},
        "shuffle is not a known field",
    ),
    (
        "multiple_choice",
        {"choices": choices(50, 40), "scoring": "partial"},
        "choices: the positive weights must sum to 100, they sum to 90",
    ),
    ("multiple_choice", {"choices": choices(100, 0)}, "scoring is required"),
    (
        "multiple_choice",
        {"choices": choices(100, 0), "scoring": "some"},
        "scoring must be 'all_or_nothing' or 'partial'",
    ),
    ("true_false", {"answer": "true"}, "answer must be true or false"),
    ("short_text", {"answers": []}, "answers must have at least 1 item"),
    (
        "short_text",
        {"answers": [{"weight": 100}]},
        "answers[0] must have exactly one of text and regex",
    ),
    (
        "short_text",
        {"answers": [{"text": "a", "regex": "a", "weight": 100}]},
        "answers[0] must have exactly one of text and regex",
    ),
    (
        "short_text",
        {"answers": [{"regex": "go(", "weight": 100}]},
        "answers[0].regex is not a valid regex: missing ), unterminated subpattern",
    ),
    (
        "short_text",
        {"answers": [{"regex": "(a+)+b", "weight": 100}]},
        "answers[0].regex repeats a group that itself repeats",
    ),
    (
        "short_text",
        {"answers": [{"text": "a", "weight": 100}], "case_sensitve": True},
        "case_sensitve is not a known field",
    ),
    (
        "short_text",
        {"answers": [{"text": "a", "weight": 100}], "yo_equals_e": 1},
        "yo_equals_e must be true or false",
    ),
    (
        "numeric",
        {"answers": [{"kind": "range", "min": "5", "max": "1", "weight": 100}]},
        "answers[0]: min must not be greater than max",
    ),
    (
        "numeric",
        {"answers": [{"kind": "exact", "value": 3.14, "weight": 100}]},
        'answers[0].value must be a decimal string such as "3.14"',
    ),
    (
        "numeric",
        {"answers": [{"kind": "exact", "value": "NaN", "weight": 100}]},
        'answers[0].value must be a decimal string such as "3.14", got "NaN"',
    ),
    (
        "numeric",
        {"answers": [{"kind": "tolerance", "value": "1", "tolerance": "-0.1", "weight": 100}]},
        "answers[0].tolerance must not be negative",
    ),
    (
        "numeric",
        {"answers": [{"kind": "tolerance", "value": "1", "weight": 100}]},
        "answers[0].tolerance is required",
    ),
    (
        "numeric",
        {"answers": [{"kind": "about", "value": "1", "weight": 100}]},
        "answers[0].kind must be 'exact', 'tolerance', 'range' or 'any'",
    ),
    ("ordering", {"items": [], "scoring": "pairs"}, "items must have at least 1 item"),
    (
        "ordering",
        {"items": [{"id": "a", "text": "x"}], "scoring": "kendall"},
        "scoring must be 'positions' or 'pairs'",
    ),
    (
        "ordering",
        {"items": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}], "scoring": "pairs"},
        "items[1].id 'a' is used more than once",
    ),
    ("matching", {"pairs": []}, "pairs must have at least 1 item"),
    (
        "matching",
        {"pairs": [{"id": "a", "prompt": "p", "answer": "X"}], "distractors": ["x "]},
        "distractors[0] is also the answer of a pair",
    ),
    (
        "matching",
        {"pairs": [{"id": "a", "prompt": "p", "answer": "x"}], "distractors": ["y", "Y"]},
        "distractors[1] repeats an earlier distractor",
    ),
    (
        "matching",
        {"pairs": [{"id": "a", "prompt": "p", "answer": "x"}], "distractors": [""]},
        "distractors[0] must be a non-empty string",
    ),
    (
        "fill_blanks",
        {"text": "{{1}} и {{3}}", "gaps": [text_gap("1"), text_gap("2")]},
        "text: the placeholder {{3}} matches no gap id",
    ),
    (
        "fill_blanks",
        {"text": "{{1}}", "gaps": [text_gap("1"), text_gap("2")]},
        "text has no placeholder {{2}} for gap '2'",
    ),
    (
        "fill_blanks",
        {"text": "{{1}} {{1}}", "gaps": [text_gap("1")]},
        "text: the placeholder {{1}} appears more than once",
    ),
    (
        "fill_blanks",
        {"text": "{{ 1 }}", "gaps": [text_gap("1")]},
        "text: the placeholder {{ 1 }} matches no gap id",
    ),
    (
        "fill_blanks",
        {"text": "{{1}}", "gaps": [{**text_gap("1"), "kind": "essay"}]},
        "gaps[0].kind must be 'text', 'numeric' or 'choice'",
    ),
    (
        "fill_blanks",
        {"text": "{{1}}", "gaps": [{"id": "1", "kind": "choice", "choices": choices(0, 0)}]},
        "gaps[0].choices must have a choice with weight 100",
    ),
    (
        "fill_blanks",
        {
            "text": "{{1}}",
            "gaps": [{"id": "1", "kind": "text", "answers": [{"regex": "[", "weight": 100}]}],
        },
        "gaps[0].answers[0].regex is not a valid regex",
    ),
    (
        "fill_blanks",
        {
            "text": "{{1}}",
            "gaps": [
                {
                    "id": "1",
                    "kind": "numeric",
                    "answers": [{"kind": "exact", "value": "1", "weight": 101}],
                }
            ],
        },
        "gaps[0].answers[0].weight must be between -100 and 100",
    ),
    ("essay", {"min_words": -1}, "min_words must be at least 0"),
    ("essay", {"min_words": 10, "max_words": 5}, "max_words must not be less than min_words"),
    ("essay", {"max_words": 0}, "max_words must be at least 1"),
]


@pytest.mark.parametrize(("question_type", "spec", "message"), INVALID)
def test_invalid_specs_are_refused_naming_the_field(
    question_type: str, spec: Any, message: str
) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}"):
        validate_spec(question_type, spec)


def test_grade_refuses_an_invalid_spec_too() -> None:
    with pytest.raises(SpecError, match="choices is required"):
        grade("single_choice", {}, {"choice": "a"}, Decimal(1))


def test_registry_holds_every_type_of_the_contract() -> None:
    assert set(QUESTION_TYPES) == {
        "single_choice",
        "multiple_choice",
        "true_false",
        "short_text",
        "numeric",
        "ordering",
        "matching",
        "fill_blanks",
        "essay",
        "description",
    }
    assert all(name == qt.name for name, qt in QUESTION_TYPES.items())
