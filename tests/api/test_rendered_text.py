"""The learner's API carries what the pages show (issue 22, item 5): a question's text
rendered (sanitised HTML) next to its Markdown, titles without the author's internal ids, a
quiz's title without the section's number or the section's title twice."""

from __future__ import annotations

from typing import Any

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
    question.spec["choices"][1]["text"] = "`chan` и *только*"
    question_write(question=question)


def choice_html(spec: dict[str, Any]) -> dict[str, str]:
    return {choice["text"]: choice["text_html"] for choice in spec["choices"]}


def test_a_learner_reads_a_question_rendered_and_titled_as_on_the_page(world: World) -> None:
    imported_look(world)

    shown = client_for(world.learner).get(f"/api/v1/questions/{world.question.pk}/").json()

    assert shown["title"] == "Промах кэша"
    assert shown["text"] == MARKDOWN  # the Markdown as written, beside its rendering
    assert "<code>singleflight.Group</code>" in shown["text_html"]
    assert "<strong>Одно</strong>" in shown["text_html"]
    assert "<script>" not in shown["text_html"]
    # The choices too: Markdown beside its rendering (inline: no paragraph around it).
    assert choice_html(shown["spec"])["`chan` и *только*"] == "<code>chan</code> и <em>только</em>"
    assert choice_html(shown["spec"])["горутина"] == "горутина"
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
    assert choice_html(question["spec"])["`chan` и *только*"] == (
        "<code>chan</code> и <em>только</em>"
    )


def test_a_matching_questions_prompts_and_options_are_rendered_too(world: World) -> None:
    world.question.type, world.question.text_format = "matching", "markdown"
    world.question.spec = {
        "pairs": [
            {"id": "p1", "prompt": "`Lock`", "answer": "**взять**"},
            {"id": "p2", "prompt": "Unlock", "answer": "отдать"},
        ]
    }
    question_write(question=world.question)

    spec = client_for(world.learner).get(f"/api/v1/questions/{world.question.pk}/").json()["spec"]

    prompts = {p["prompt"]: p["prompt_html"] for p in spec["prompts"]}
    assert prompts["`Lock`"] == "<code>Lock</code>"
    options = dict(zip(spec["options"], spec["options_html"], strict=True))
    assert options == {"**взять**": "<strong>взять</strong>", "отдать": "отдать"}


GAP_KEY = "GAP_KEY_MARKER"  # only in the answer key (a text gap's answer, a choice's feedback)


def fill_blanks(world: World) -> None:
    world.question.type, world.question.text_format = "fill_blanks", "markdown"
    world.question.spec = {
        "text": "Вызов `{{call}}` ждёт **{{n}}** горутин, а канал закрывает {{who}}.",
        "gaps": [
            {"id": "call", "kind": "text", "answers": [{"text": GAP_KEY, "weight": 100}]},
            {"id": "n", "kind": "numeric", "answers": [
                {"kind": "exact", "value": "3", "weight": 100},
            ]},
            {"id": "who", "kind": "choice", "choices": [
                {"id": "a", "text": "`sender`", "weight": 100, "feedback": GAP_KEY},
                {"id": "b", "text": "receiver", "weight": 0},
            ]},
        ],
    }  # fmt: skip
    question_write(question=world.question)


def gap_choices_html(spec: dict[str, Any]) -> dict[str, str]:
    (choice_gap,) = [gap for gap in spec["gaps"] if gap["kind"] == "choice"]
    return {choice["text"]: choice["text_html"] for choice in choice_gap["choices"]}


def test_a_fill_blanks_text_is_rendered_with_each_gap_in_its_place(world: World) -> None:
    fill_blanks(world)

    response = client_for(world.learner).get(f"/api/v1/questions/{world.question.pk}/")

    spec = response.json()["spec"]
    assert spec["text"].startswith("Вызов `{{call}}`")  # the Markdown as written
    gap = '<span class="gap" data-gap="{}"></span>'
    assert spec["text_html"].strip() == (
        f"<p>Вызов <code>{gap.format('call')}</code> ждёт <strong>{gap.format('n')}</strong> "
        f"горутин, а канал закрывает {gap.format('who')}.</p>"
    )
    assert gap_choices_html(spec) == {"`sender`": "<code>sender</code>", "receiver": "receiver"}
    assert GAP_KEY not in response.content.decode()  # neither a gap's answer nor feedback


def test_an_attempts_fill_blanks_question_carries_its_rendered_text_and_no_key(
    world: World,
) -> None:
    fill_blanks(world)

    response = client_for(world.learner).get(f"/api/v1/attempts/{world.attempt.pk}/")

    (question,) = response.json()["questions"]
    assert '<code><span class="gap" data-gap="call"></span></code>' in question["spec"]["text_html"]
    assert "{{" not in question["spec"]["text_html"]
    assert gap_choices_html(question["spec"])["`sender`"] == "<code>sender</code>"
    assert GAP_KEY not in response.content.decode()
