"""The admin in the reader's language: our own titles instead of Django's («Администрирование
Django»), and our columns and question types under their translated names."""

from __future__ import annotations

import pytest
from django.test import Client

from teaching.models import RegradeJob
from tests.factories import QuestionFactory, UserFactory, answer_awaiting_grade

pytestmark = pytest.mark.django_db


def page(client: Client, path: str, language: str) -> str:
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "header", "index_title", "django_s"),
    [
        ("ru", "Zachet: администрирование", "Курсы, работы учащихся и настройки",
         "Администрирование Django"),
        ("en", "Zachet administration", "Courses, learners’ work and settings",
         "Django administration"),
    ],
)  # fmt: skip
def test_the_admin_index_has_our_titles_in_the_readers_language(
    admin_client: Client, language: str, header: str, index_title: str, django_s: str
) -> None:
    html = page(admin_client, "/admin/", language)

    assert f"<title>{index_title} | {header}</title>" in html
    assert f'<div id="site-name"><a href="/admin/">{header}</a></div>' in html
    assert f"<h1>{index_title}</h1>" in html
    assert django_s not in html


def test_the_login_page_has_our_title_too(client: Client) -> None:
    html = page(client, "/admin/login/", "ru")

    assert "Zachet: администрирование" in html
    assert "Django" not in html.split("<body")[1]


@pytest.mark.parametrize(
    ("language", "column", "type_label"),
    [("ru", "Требует ручной проверки", "развёрнутый ответ"),
     ("en", "Needs manual grading", "essay")],
)  # fmt: skip
def test_the_answers_changelist_names_its_columns_and_types_in_the_readers_language(
    admin_client: Client, language: str, column: str, type_label: str
) -> None:
    answer_awaiting_grade(question_title="Эссе о каналах")

    html = page(admin_client, "/admin/quizzes/answer/", language)

    assert f'<a href="?o=3">{column}</a>' in html
    # The filter by question type offers the types by their names, not their codes.
    assert f'<a href="?question__type__exact=essay">{type_label}</a>' in html


def test_question_types_are_shown_by_their_russian_names(admin_client: Client) -> None:
    QuestionFactory.create(title="Что такое горутина?")

    html = page(admin_client, "/admin/quizzes/question/", "ru")

    assert '<td class="field-type">один вариант</td>' in html
    assert "single_choice</td>" not in html


def test_a_regrades_progress_column_is_named_in_russian(admin_client: Client) -> None:
    question = QuestionFactory.create()
    RegradeJob.objects.create(
        course=question.quiz.section.part.course, target="question", question=question,
        reason="Исправлен ключ", created_by=UserFactory.create(),
    )  # fmt: skip

    html = page(admin_client, "/admin/teaching/regradejob/", "ru")

    assert '<a href="?o=5">Выполнено, %</a>' not in html  # computed: not sortable
    assert "<span>Выполнено, %</span>" in html
    assert "Percent done" not in html
