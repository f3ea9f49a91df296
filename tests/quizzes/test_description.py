"""A description (Moodle's text between questions): shown, nothing to answer, 0 points in the
attempt's score, left out of item analysis, refused with points by the model."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from quizzes.models import Attempt, Question
from quizzes.selectors import attempt_questions
from quizzes.services import attempt_grade
from teaching.analysis import quiz_analysis
from tests.factories import QuestionFactory, QuizFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_description_is_shown_counts_nothing_and_is_not_analysed() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    quiz = QuizFactory.create(pass_score=50)
    QuestionFactory.create(
        quiz=quiz, type="description", spec={}, points=0, order=0, text="Дальше — **каналы**."
    )
    # single choice, "b" is right
    question = QuestionFactory.create(quiz=quiz, order=1, text="Какой ответ верный?")
    client.force_login(UserFactory.create())

    client.post(reverse("quizzes:start", kwargs={"quiz_id": quiz.pk}))
    attempt = Attempt.objects.get(quiz=quiz)
    page = client.get(reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk}))
    html = page.content.decode()
    assert "Дальше — <strong>каналы</strong>." in html
    assert "text only, not graded" in html
    assert "Question 1" in html  # (the description before it is no question)
    assert "Question 2" not in html
    [item] = [i for i in attempt_questions(attempt=attempt) if i.question.pk == question.pk]
    client.post(
        reverse("quizzes:attempt", kwargs={"attempt_id": attempt.pk}),
        {f"q{question.pk}": item.response_to_shown({"choice": "b"})["choice"], "action": "save"},
    )
    client.post(reverse("quizzes:confirm", kwargs={"attempt_id": attempt.pk}))
    attempt_grade(attempt_id=attempt.pk)

    attempt.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.max_score, attempt.percent) == (
        Attempt.Status.GRADED,
        Decimal("1.00"),
        Decimal("1.00"),
        Decimal("100.00"),
    )
    result = client.get(reverse("quizzes:result", kwargs={"attempt_id": attempt.pk}))
    assert result.status_code == 200
    assert [row.question.type for row in quiz_analysis(quiz=quiz).questions] == ["single_choice"]


def test_a_description_with_points_is_refused() -> None:
    question = Question(
        quiz=QuizFactory.create(), type="description", spec={}, points=1, text="Текст"
    )

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        question.full_clean()

    assert refused.value.message_dict == {
        "points": ["A description (text only) is worth 0 points."]
    }  # (and its spec {} is fine)
