"""The registry of question types and the three entry points: grade and the two validators."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from quizzes.grading import (
    blanks,
    choice,
    description,
    essay,
    matching,
    numeric,
    ordering,
    text,
)
from quizzes.grading.errors import ResponseError, SpecError
from quizzes.grading.outcome import GradeResult, Outcome, result_from

SpecT = TypeVar("SpecT")
ResponseT = TypeVar("ResponseT")


@dataclass(frozen=True)
class QuestionType(Generic[SpecT, ResponseT]):
    """One type of question: JSON → frozen spec and response, and the grader.

    `parse_response` checks JSON types only (what grading needs); `check_response` adds
    what the API refuses on top: unknown ids, incomplete orders, texts over 64 KB.
    """

    name: str
    parse_spec: Callable[[Mapping[str, Any]], SpecT]
    parse_response: Callable[[Mapping[str, Any] | None], ResponseT]
    check_response: Callable[[SpecT, ResponseT], None]
    grade: Callable[[SpecT, ResponseT], Outcome]


QUESTION_TYPES: Mapping[str, QuestionType[Any, Any]] = MappingProxyType(
    {
        qt.name: qt
        for qt in (
            QuestionType(
                "single_choice",
                choice.parse_single_choice_spec,
                choice.parse_single_choice_response,
                choice.check_single_choice_response,
                choice.grade_single_choice,
            ),
            QuestionType(
                "multiple_choice",
                choice.parse_multiple_choice_spec,
                choice.parse_multiple_choice_response,
                choice.check_multiple_choice_response,
                choice.grade_multiple_choice,
            ),
            QuestionType(
                "true_false",
                choice.parse_true_false_spec,
                choice.parse_true_false_response,
                choice.check_true_false_response,
                choice.grade_true_false,
            ),
            QuestionType(
                "short_text",
                text.parse_short_text_spec,
                text.parse_text_response,
                text.check_text_response,
                text.grade_short_text,
            ),
            QuestionType(
                "numeric",
                numeric.parse_numeric_spec,
                text.parse_text_response,
                text.check_text_response,
                numeric.grade_numeric,
            ),
            QuestionType(
                "ordering",
                ordering.parse_ordering_spec,
                ordering.parse_ordering_response,
                ordering.check_ordering_response,
                ordering.grade_ordering,
            ),
            QuestionType(
                "matching",
                matching.parse_matching_spec,
                matching.parse_matching_response,
                matching.check_matching_response,
                matching.grade_matching,
            ),
            QuestionType(
                "fill_blanks",
                blanks.parse_fill_blanks_spec,
                blanks.parse_fill_blanks_response,
                blanks.check_fill_blanks_response,
                blanks.grade_fill_blanks,
            ),
            QuestionType(
                "essay",
                essay.parse_essay_spec,
                text.parse_text_response,
                text.check_text_response,
                essay.grade_essay,
            ),
            QuestionType(
                "description",
                description.parse_description_spec,
                description.parse_no_response,
                description.check_no_response,
                description.grade_description,
            ),
        )
    }
)


def type_named(name: str) -> QuestionType[Any, Any]:
    try:
        return QUESTION_TYPES[name]
    except KeyError:
        known = ", ".join(QUESTION_TYPES)
        raise SpecError(f"type '{name}' is not a question type (one of: {known})") from None


def unstorable_text(value: Any, path: str = "") -> str | None:
    """The path of a string a database cannot store as JSON text (NUL, a lone surrogate).

    PostgreSQL's jsonb refuses both; refusing them here makes that a 400, not a 500.
    """
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value):
            return path or "(value)"
        return None
    if isinstance(value, Mapping):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if (found := unstorable_text(key, where)) or (found := unstorable_text(item, where)):
            return found
    return None


def validate_spec(question_type: str, spec: Mapping[str, Any]) -> None:
    """Raise SpecError, naming the field, unless spec follows docs/question-types.md."""
    if where := unstorable_text(spec):
        raise SpecError(f"{where}: text with a NUL character or a lone surrogate")
    type_named(question_type).parse_spec(spec)


def validate_response(
    question_type: str,
    spec: Mapping[str, Any],
    response: Mapping[str, Any] | None,
    *,
    unstorable_ok: bool = False,
) -> None:
    """Raise ResponseError unless the API should accept this response; None is "no answer".

    The spec must be valid (SpecError otherwise). A wrong answer is not an error.
    `unstorable_ok`: the caller makes the text storable after this (the quiz pages keep a
    pasted NUL as a visible escape), so a NUL is no reason to refuse; sizes are checked on
    the text as given, which is what the learner typed.
    """
    if not unstorable_ok and (where := unstorable_text(response)):
        raise ResponseError(f"{where}: text with a NUL character or a lone surrogate")
    qt = type_named(question_type)
    qt.check_response(qt.parse_spec(spec), qt.parse_response(response))


def grade(
    question_type: str,
    spec: Mapping[str, Any],
    response: Mapping[str, Any] | None,
    points: Decimal,
) -> GradeResult:
    """Grade one response: points × share, rounded half up to cents.

    None or an empty response scores 0. Unknown ids, incomplete orders and the like score
    what they are worth (usually 0); only JSON of the wrong types raises ResponseError,
    and an invalid spec raises SpecError.
    """
    qt = type_named(question_type)
    return result_from(qt.grade(qt.parse_spec(spec), qt.parse_response(response)), points)
