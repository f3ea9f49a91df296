"""Reads for quizzes: an attempt's questions in its order, a learner's result by policy."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import User

from quizzes.models import Attempt, Question, Quiz
from quizzes.presentation import public_spec, seeded_order


@dataclass(frozen=True)
class AttemptQuestion:
    question: Question
    # What the learner sees: text and the spec without answer keys.
    view: dict[str, Any]


def attempt_questions(*, attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's questions in the order its seed gives (stable across reloads)."""
    quiz = attempt.quiz
    questions = list(quiz.questions.order_by("order", "id"))
    if quiz.shuffle_questions:
        questions = seeded_order(questions, seed=attempt.seed, salt="questions")
    return [
        AttemptQuestion(
            question=q,
            view={
                "id": q.id,
                "type": q.type,
                "title": q.title,
                "text": q.text,
                "text_format": q.text_format,
                "points": str(q.points),
                **public_spec(
                    q.type,
                    q.spec,
                    seed=attempt.seed,
                    salt=f"q{q.id}",
                    shuffle_choices=quiz.shuffle_choices,
                ),
            },
        )
        for q in questions
    ]


@dataclass(frozen=True)
class QuizResult:
    """A learner's standing on a quiz under its score policy."""

    percent: Decimal | None
    passed: bool
    graded_attempts: int


def quiz_result_for(*, learner: User, quiz: Quiz) -> QuizResult:
    percents = list(
        Attempt.objects.filter(learner=learner, quiz=quiz, status=Attempt.Status.GRADED)
        .order_by("number")
        .values_list("percent", flat=True)
    )
    return quiz_result_from(quiz=quiz, percents=[p for p in percents if p is not None])


def quiz_result_from(*, quiz: Quiz, percents: list[Decimal]) -> QuizResult:
    """Apply the score policy to the percents of graded attempts, oldest first."""
    if not percents:
        return QuizResult(percent=None, passed=False, graded_attempts=0)
    if quiz.score_policy == Quiz.ScorePolicy.LAST:
        percent = percents[-1]
    elif quiz.score_policy == Quiz.ScorePolicy.AVERAGE:
        percent = (sum(percents, Decimal(0)) / len(percents)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    else:
        percent = max(percents)
    return QuizResult(
        percent=percent, passed=percent >= quiz.pass_score, graded_attempts=len(percents)
    )
