"""Grading an attempt's answers together: which answers are graded (again) and which keep the
grade they have. One rule for grading on submit and for a regrade; pure, no Django."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from quizzes.grading.outcome import GradeResult
from quizzes.grading.registry import grade


class KeyedQuestion(Protocol):
    """A question as grading reads it (a Question row will do)."""

    @property
    def id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def spec(self) -> Any: ...
    @property
    def points(self) -> Decimal: ...


class GivenAnswer(Protocol):
    """An answer as grading reads it (an Answer row will do)."""

    @property
    def response(self) -> Any: ...
    @property
    def graded_by_id(self) -> int | None: ...


Q = TypeVar("Q", bound=KeyedQuestion)


def answers_graded(
    questions: Sequence[Q],
    answers: Mapping[int, GivenAnswer],
    *,
    regrade: bool = False,
    only_question: int | None = None,
) -> Iterator[tuple[Q, GradeResult | None]]:
    """Each question with its answer's new grade, or None where the answer keeps the one it
    has: an instructor's grade stands; a question left unanswered is graded as an empty
    response. A regrade (of one question, with `only_question`) never touches an essay nor
    turns a graded answer back into one waiting for a person."""
    for question in questions:
        answer = answers.get(question.id)
        if answer is not None and answer.graded_by_id is not None:
            yield question, None
            continue
        if regrade and (
            question.type == "essay" or (only_question is not None and question.id != only_question)
        ):
            yield question, None
            continue
        result = grade(
            question.type, question.spec, answer.response if answer else None, question.points
        )
        yield question, (None if regrade and result.needs_manual else result)
