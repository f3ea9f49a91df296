"""One rule for which answers of an attempt are graded, on submit and in a regrade
(quizzes.grading.attempt), as a pure function."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from quizzes.grading.attempt import answers_graded


@dataclass(frozen=True)
class Q:
    id: int
    type: str
    spec: Any
    points: Decimal = Decimal(1)


@dataclass(frozen=True)
class A:
    response: Any
    graded_by_id: int | None = None


TRUE = Q(1, "true_false", {"answer": True})
ESSAY = Q(2, "essay", {})
NUMBER = Q(3, "numeric", {"answers": [{"kind": "exact", "value": "4", "weight": 100}]})


def scores(graded) -> dict[int, Any]:
    return {
        question.id: None if result is None else ("manual" if result.needs_manual else result.score)
        for question, result in graded
    }


def test_on_submit_everything_is_graded_and_an_essay_waits_for_a_person():
    answers = {1: A({"value": True}), 2: A({"text": "эссе"})}
    assert scores(answers_graded([TRUE, ESSAY, NUMBER], answers)) == {
        1: Decimal(1), 2: "manual", 3: Decimal(0)  # 3: not answered, graded empty
    }  # fmt: skip


def test_an_instructors_grade_stands():
    answers = {1: A({"value": False}, graded_by_id=7)}
    assert scores(answers_graded([TRUE], answers)) == {1: None}


def test_a_regrade_leaves_essays_and_the_other_questions_alone():
    answers = {1: A({"value": True}), 2: A({"text": "эссе"}), 3: A({"text": "4"})}

    assert scores(answers_graded([TRUE, ESSAY, NUMBER], answers, regrade=True)) == {
        1: Decimal(1), 2: None, 3: Decimal(1)
    }  # fmt: skip
    only = answers_graded([TRUE, ESSAY, NUMBER], answers, regrade=True, only_question=3)
    assert scores(only) == {1: None, 2: None, 3: Decimal(1)}
