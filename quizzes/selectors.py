"""Reads for quizzes: an attempt's questions in its order, a learner's result by policy."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.html import linebreaks

from courses.markdown import clean_html, render_markdown
from quizzes.models import Attempt, Question, Quiz
from quizzes.presentation import public_spec, response_ids, response_summary, seeded_order


@dataclass(frozen=True)
class AttemptQuestion:
    question: Question
    # What the learner sees: text and the spec without answer keys, ids opaque.
    view: dict[str, Any]
    id_key: str

    def response_to_stored(self, response: Any) -> Any:
        """A response in the ids the learner saw, in the stored ids (to save and grade)."""
        return self._convert(response, to_public=False)

    def response_to_shown(self, response: Any) -> Any:
        """A stored response in the ids the learner sees (to show it back)."""
        return self._convert(response, to_public=True)

    def _convert(self, response: Any, *, to_public: bool) -> Any:
        question = self.question
        return response_ids(
            question.type,
            question.spec,
            response,
            id_key=self.id_key,
            salt=f"q{question.pk}",
            to_public=to_public,
        )


def _key(purpose: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def attempt_id_key(attempt: Attempt) -> str:
    """The key of an attempt's opaque ids: from the server's secret, the attempt and its seed."""
    return _key(f"attempt:{attempt.pk}:{attempt.seed}")


def public_question_key() -> str:
    """Opaque ids and order of questions read outside an attempt (API): the server's secret."""
    return _key("public-questions")


def attempt_questions(*, attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's questions in the order its seed gives (stable across reloads)."""
    quiz = attempt.quiz
    questions = list(quiz.questions.order_by("order", "id"))
    if quiz.shuffle_questions:
        questions = seeded_order(questions, seed=attempt.seed, salt="questions")
    id_key = attempt_id_key(attempt)
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
                    id_key=id_key,
                ),
            },
            id_key=id_key,
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


def question_text_html(text: str, text_format: str) -> str:
    """A question's (or feedback's) text as safe HTML, whatever format it was written in."""
    if text_format == Question.TextFormat.HTML:
        return clean_html(text)
    if text_format in {Question.TextFormat.PLAIN, Question.TextFormat.MOODLE}:
        return linebreaks(text, autoescape=True)
    return render_markdown(text)


@dataclass(frozen=True)
class AnswerReview:
    """One question of a graded attempt as the learner may see it."""

    number: int
    view: dict[str, Any]
    text_html: str
    response: list[str]
    points: Decimal
    score: Decimal | None
    pending_manual: bool
    feedback_html: list[str]
    explanation_html: str

    @property
    def outcome(self) -> str:
        if self.pending_manual or self.score is None:
            return "pending"
        if self.score >= self.points:
            return "correct"
        return "partial" if self.score > 0 else "wrong"


@dataclass(frozen=True)
class AttemptReview:
    attempt: Attempt
    # The total (score, percent, passed): not before the due date under `after_due`.
    show_total: bool
    # Per-question feedback only as the quiz's feedback policy allows.
    show_details: bool
    details_from: datetime | None
    answers: list[AnswerReview]


def attempt_review(*, attempt: Attempt, now: datetime) -> AttemptReview:
    """The result of an attempt for its learner: score always, details by the feedback policy."""
    quiz = attempt.quiz
    policy = quiz.feedback_policy
    finished = attempt.status == Attempt.Status.GRADED or attempt.awaiting_manual_grading
    if policy == Quiz.FeedbackPolicy.IMMEDIATELY:
        show, details_from = finished, None
    elif policy == Quiz.FeedbackPolicy.AFTER_DUE and quiz.due_at is not None:
        show, details_from = finished and now >= quiz.due_at, quiz.due_at
    elif policy == Quiz.FeedbackPolicy.AFTER_DUE:
        show, details_from = finished, None  # no due date: "after due" is "after grading"
    else:
        show, details_from = False, None
    before_due = (
        policy == Quiz.FeedbackPolicy.AFTER_DUE and quiz.due_at is not None and now < quiz.due_at
    )
    if not show:
        return AttemptReview(
            attempt=attempt,
            show_total=not before_due,
            show_details=False,
            details_from=details_from,
            answers=[],
        )
    answers = {answer.question_id: answer for answer in attempt.answers.all()}
    reviews = []
    for number, item in enumerate(attempt_questions(attempt=attempt), start=1):
        question = item.question
        answer = answers.get(question.pk)
        response = answer.response if answer else None
        fmt = question.text_format
        reviews.append(
            AnswerReview(
                number=number,
                view=item.view,
                text_html=question_text_html(question.text, fmt),
                response=response_summary(item.view, item.response_to_shown(response)),
                points=question.points,
                score=answer.score if answer else Decimal(0),
                pending_manual=bool(answer and answer.needs_manual_grading),
                feedback_html=[
                    question_text_html(text, fmt)
                    for text in (answer.feedback if answer else [])
                    if text
                ],
                explanation_html=question_text_html(question.explanation, fmt)
                if question.explanation
                else "",
            )
        )
    return AttemptReview(
        attempt=attempt,
        show_total=True,
        show_details=True,
        details_from=details_from,
        answers=reviews,
    )
