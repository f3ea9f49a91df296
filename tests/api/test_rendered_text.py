"""The learner's API carries what the pages show (issue 22, item 5): a question's text
rendered (sanitised HTML) next to its Markdown, titles without the author's internal ids, a
quiz's title without the section's number or the section's title twice."""

from __future__ import annotations

import pytest

from quizzes.authoring import question_write
from tests.api.conftest import World, client_for

pytestmark = pytest.mark.django_db

MARKDOWN = "Что делает `singleflight.Group`? <script>alert(1)</script>\n\n**Одно**"


def imported_look(world: World) -> None:
    """Titles and text as an import leaves them."""
    section = world.section
    section.number, section.title = "4.2", "Кэширование"
    section.save()
    world.quiz.title = "4.2 Кэширование"
    world.quiz.instructions = "Ответьте на `три` вопроса."
    world.quiz.save()
    question = world.question
    question.title, question.text, question.text_format = "4.2-1 Промах кэша", MARKDOWN, "markdown"
    question_write(question=question)


def test_a_learner_reads_a_question_rendered_and_titled_as_on_the_page(world: World) -> None:
    imported_look(world)

    shown = client_for(world.learner).get(f"/api/v1/questions/{world.question.pk}/").json()

    assert shown["title"] == "Промах кэша"
    assert shown["text"] == MARKDOWN  # the Markdown as written, beside its rendering
    assert "<code>singleflight.Group</code>" in shown["text_html"]
    assert "<strong>Одно</strong>" in shown["text_html"]
    assert "<script>" not in shown["text_html"]
    # An instructor edits the question: the title as stored.
    taught = client_for(world.instructor).get(f"/api/v1/questions/{world.question.pk}/").json()
    assert taught["title"] == "4.2-1 Промах кэша"


def test_a_quiz_is_titled_without_the_section_twice_and_its_instructions_rendered(
    world: World,
) -> None:
    imported_look(world)

    shown = client_for(world.learner).get(f"/api/v1/quizzes/{world.quiz.pk}/").json()

    assert shown["title"] == "4.2 Кэширование"
    assert shown["title_shown"] == "Тест по разделу «Кэширование»"
    assert shown["instructions_html"].strip() == "<p>Ответьте на <code>три</code> вопроса.</p>"


def test_an_attempts_questions_carry_the_rendered_text_and_the_learners_title(
    world: World,
) -> None:
    imported_look(world)
    client = client_for(world.learner)

    detail = client.get(f"/api/v1/attempts/{world.attempt.pk}/").json()

    (question,) = detail["questions"]
    assert question["title"] == "Промах кэша"
    assert question["text"] == MARKDOWN
    assert "<code>singleflight.Group</code>" in question["text_html"]
    assert "<script>" not in question["text_html"]
