"""The gradebook's learner page shows each answer as the learner saw it: the choices in the
order shown with the picked one marked, gaps filled in place, pairs as pairs; read-only, and
never a stored dictionary or the stored ids."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from quizzes.models import Attempt
from quizzes.selectors import attempt_questions
from quizzes.services import attempt_grade, attempt_save_answers, attempt_start, attempt_submit
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.quizzes.test_editor_forms import BLANKS

pytestmark = pytest.mark.django_db

CHOICES = [
    {"id": "a", "text": "горутина", "weight": 0, "feedback": ""},
    {"id": "b", "text": "канал", "weight": 100, "feedback": "Верно"},
    {"id": "c", "text": "мьютекс", "weight": 0, "feedback": ""},
    {"id": "d", "text": "контекст", "weight": 0, "feedback": ""},
    {"id": "e", "text": "таймер", "weight": 0, "feedback": ""},
]
PAIRS = {
    "pairs": [
        {"id": "a", "prompt": "make", "answer": "создаёт канал"},
        {"id": "b", "prompt": "close", "answer": "закрывает канал"},
    ]
}


def test_the_learner_page_shows_each_answer_as_the_learner_saw_it():
    section = SectionFactory.create(number="4.2")
    course = section.part.course
    teacher = UserFactory.create()
    course.instructors.add(teacher)
    quiz = QuizFactory.create(section=section, shuffle_choices=True)
    choice = QuestionFactory.create(quiz=quiz, order=1, spec={"choices": CHOICES})
    blanks = QuestionFactory.create(quiz=quiz, order=2, type="fill_blanks", spec=BLANKS)
    pairs = QuestionFactory.create(quiz=quiz, order=3, type="matching", spec=PAIRS)
    learner = UserFactory.create(username="anna")
    attempt = attempt_start(learner=learner, quiz=quiz)
    # An attempt's seed is random; 1 in 120 leaves five choices in order: pick one that shuffles.
    original = [c["text"] for c in CHOICES]
    for seed in range(1, 100):
        Attempt.objects.filter(pk=attempt.pk).update(seed=seed)
        attempt.refresh_from_db()
        if [c["text"] for c in attempt_questions(attempt=attempt)[0].view["choices"]] != original:
            break
    responses = {
        choice.pk: {"choice": "b"},
        blanks.pk: {"gaps": {"1": "канал", "n": "1", "who": "b"}},
        pairs.pk: {"matches": {"a": "создаёт канал", "b": "создаёт канал"}},
    }
    attempt_save_answers(attempt=attempt, responses=responses)
    attempt_submit(attempt=attempt)
    attempt_grade(attempt_id=attempt.pk)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(teacher)

    html = client.get(
        f"/teach/{course.slug}/learners/{learner.pk}/sections/{section.pk}/"
    ).content.decode()

    seen = [c["text"] for c in attempt_questions(attempt=attempt)[0].view["choices"]]
    shown = re.findall(rf'<label for="a\d+-q{choice.pk}-[^"]+" lang="[^"]*">([^<]+)</label>', html)
    assert shown == seen  # the learner's (shuffled) order
    assert seen != [c["text"] for c in CHOICES]  # (it was shuffled: the test shows something)
    picked = re.search(r'<input type="radio"[^>]*checked>\s*<label[^>]*>([^<]+)<', html)
    assert picked is not None
    assert picked.group(1) == "канал"
    assert 'value="канал" size="12"' in html  # a typed gap filled in place
    assert re.search(r"selected>отправитель</option>", html)  # a chosen gap in place
    assert re.search(r'<option value="создаёт канал" selected', html)  # pairs as pairs
    assert html.count("disabled>") >= 3  # read-only
    assert "{&#x27;" not in html  # no stored dictionary
    assert "{'" not in html
    assert "Score: 1.00 of 1" in html or "Score: 1 of 1" in html
    assert Decimal("1") == attempt.answers.get(question=choice).score
