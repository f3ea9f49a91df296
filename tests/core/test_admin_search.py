"""The admin's search finds authoring work by a word of its title (a question by its text
too), whatever the case of its letters, in Russian as in English, on SQLite as on PostgreSQL.

Regression: SQLite's LIKE folds ASCII letters only, so «горутины» did not find «Горутины…»."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models
from django.test import Client

from core.admin_search import LOOKUP, ignoring_case
from grader.models import CodingExercise, Submission
from quizzes.models import Answer, Question
from tests.factories import (
    CourseFactory,
    PartFactory,
    QuestionFactory,
    QuizFactory,
    SectionFactory,
    answer_awaiting_grade,
    exercise_stored,
)

pytestmark = pytest.mark.django_db


def found(client: Client, path: str, term: str) -> list[Any]:
    response = client.get(path, {"q": term}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize("term", ["Горутины", "горутины", "ГОРУТИН", "планировщик", "Goroutines"])
def test_a_question_is_found_by_a_word_of_its_title(admin_client: Client, term: str) -> None:
    wanted = QuestionFactory.create(title="Горутины и планировщик (goroutines)", text="Что?")
    QuestionFactory.create(title="Каналы", text="Что делает close?")

    assert found(admin_client, "/admin/quizzes/question/", term) == [wanted]


@pytest.mark.parametrize("term", ["канала", "Канала", "закрытие канала", "CLOSE"])
def test_a_question_is_found_by_a_word_of_its_text(admin_client: Client, term: str) -> None:
    wanted = QuestionFactory.create(title="", text="Что делает Закрытие канала? (close)")
    QuestionFactory.create(title="", text="Сколько горутин запустит программа?")

    assert found(admin_client, "/admin/quizzes/question/", term) == [wanted]


def exercise(title: str) -> CodingExercise:
    return exercise_stored(
        section=SectionFactory.create(), slug=f"ex-{CodingExercise.objects.count()}",
        title=title, statement="Напишите функцию.", language="go",
    )  # fmt: skip


AUTHORING: list[tuple[str, Callable[[str], models.Model]]] = [
    ("courses/course", lambda title: CourseFactory.create(title=title)),
    ("courses/part", lambda title: PartFactory.create(title=title)),
    ("courses/section", lambda title: SectionFactory.create(title=title)),
    ("quizzes/quiz", lambda title: QuizFactory.create(title=title)),
    ("grader/codingexercise", exercise),
    (
        "quizzes/answer",
        lambda title: answer_awaiting_grade(question_title=title),
    ),  # answers awaiting a grade, by their question's title
]


@pytest.mark.parametrize(("changelist", "make"), AUTHORING, ids=[c for c, _ in AUTHORING])
def test_authoring_work_is_found_by_a_word_of_its_title(
    admin_client: Client, changelist: str, make: Callable[[str], models.Model]
) -> None:
    wanted = make("Параллельные Вычисления")
    make("Обработка ошибок")

    assert found(admin_client, f"/admin/{changelist}/", "вычисления") == [wanted]


def test_only_text_fields_are_searched_ignoring_case() -> None:
    assert ignoring_case(Question, "text") == f"text__{LOOKUP}"
    assert ignoring_case(Answer, "attempt__learner__username") == (
        f"attempt__learner__username__{LOOKUP}"
    )
    # What is not text, or says how it is matched, stays as written.
    assert ignoring_case(Submission, "id") == "id"
    assert ignoring_case(Question, "=title") == "=title"
    assert ignoring_case(Question, "title__exact") == "title__exact"
