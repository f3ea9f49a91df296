"""The manual grading queue: every answer of a course that waits for a person (essays), oldest
submission first, as the page shows it; and grading one from there.

Read model only here: the grade itself is `quizzes.services.answer_grade_manually`, which
finishes the attempt (score, progress, webhooks) when it was the last answer waiting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.safestring import SafeString

from courses.models import Course
from quizzes.models import Answer, Attempt
from quizzes.presentation import question_text_html
from quizzes.services import answer_grade_manually

QUEUE_PAGE = 50  # answers a page shows; the count says how many wait in all


@dataclass(frozen=True)
class WaitingAnswer:
    answer_id: int
    quiz_title: str
    section_number: str
    question_title: str
    question_html: SafeString
    points: Decimal
    learner_name: str
    submitted_at: datetime | None
    text: str  # the learner's answer as they wrote it
    words: int
    min_words: int
    max_words: int | None
    grader_info: str  # the author's guidance for graders (never shown to learners)


@dataclass(frozen=True)
class GradingQueue:
    waiting: int  # in all
    answers: list[WaitingAnswer]  # the oldest QUEUE_PAGE


def _waiting(course: Course) -> QuerySet[Answer]:
    return Answer.objects.filter(
        needs_manual_grading=True,
        attempt__status=Attempt.Status.SUBMITTED,
        attempt__quiz__section__part__course=course,
    )


def grading_queue(*, course: Course) -> GradingQueue:
    """What waits for a person in `course`, oldest submission first (two queries)."""
    waiting = _waiting(course)
    rows = (
        waiting.select_related("attempt__quiz__section", "attempt__learner", "question")
        .order_by("attempt__submitted_at", "attempt_id", "question__order", "question_id")
        .defer("attempt__quiz__section__material")[:QUEUE_PAGE]
    )
    answers = []
    for answer in rows:
        attempt, question = answer.attempt, answer.question
        response = answer.response if isinstance(answer.response, dict) else {}
        text = str(response.get("text") or "")
        spec = question.spec if isinstance(question.spec, dict) else {}
        learner = attempt.learner
        answers.append(
            WaitingAnswer(
                answer_id=answer.pk,
                quiz_title=attempt.quiz.title,
                section_number=attempt.quiz.section.number,
                question_title=question.title,
                question_html=SafeString(question_text_html(question.text, question.text_format)),
                points=question.points,
                learner_name=learner.get_full_name() or learner.username,
                submitted_at=attempt.submitted_at,
                text=text,
                words=len(text.split()),
                min_words=int(spec.get("min_words") or 0),
                max_words=_int_or_none(spec.get("max_words")),
                grader_info=str(spec.get("grader_info") or ""),
            )
        )
    total = len(answers) if len(answers) < QUEUE_PAGE else waiting.count()
    return GradingQueue(waiting=total, answers=answers)


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def waiting_count(*, course: Course) -> int:
    return _waiting(course).count()


def queue_answer(*, course: Course, answer_id: int) -> Answer | None:
    """An answer of `course` (waiting or not), for grading from the queue."""
    return (
        Answer.objects.filter(pk=answer_id, attempt__quiz__section__part__course=course)
        .select_related("question", "attempt__learner")
        .first()
    )


def queue_grade(*, answer: Answer, score: Decimal, feedback: str, grader: User) -> Attempt:
    """Grade `answer` if it still waits (two instructors on one answer: the first grade
    stands, the second is told); QuizRuleError otherwise or for a score out of range."""
    return answer_grade_manually(
        answer=answer, score=score, feedback=feedback, grader=grader, only_if_waiting=True
    )
