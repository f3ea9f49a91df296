"""The admin's new question and its quiz's question list use the per-type editor, never a JSON
box: a new question's type is chosen first, then its answers are typed in fields; the quiz's
page lists its questions readably, each linked to its editor (issue 20, item 2)."""

from __future__ import annotations

import pytest
from django.utils import translation

from quizzes.editor_forms import SpecFields, spec_summary
from quizzes.models import QUESTION_TYPE_LABELS, Question
from tests.factories import QuestionFactory, QuizFactory
from tests.quizzes.test_admin import admin_client  # noqa: F401 - a fixture
from tests.quizzes.test_editor_forms import posted

pytestmark = pytest.mark.django_db


def test_the_add_page_asks_for_the_type_first_and_keeps_the_quiz(admin_client):  # noqa: F811
    quiz = QuizFactory.create()

    chooser = admin_client.get(f"/admin/quizzes/question/add/?quiz={quiz.pk}").content.decode()

    for name in QUESTION_TYPE_LABELS:
        assert f"?quiz={quiz.pk}&amp;type={name}" in chooser
    assert 'name="spec"' not in chooser
    page = admin_client.get(f"/admin/quizzes/question/add/?quiz={quiz.pk}&type=ordering")
    html = page.content.decode()
    assert 'name="spec-items-0-text"' in html  # the ordering editor's rows
    assert 'name="spec"' not in html
    assert f'<option value="{quiz.pk}" selected>' in html


def test_a_question_added_in_the_admin_is_saved_through_the_editor(admin_client):  # noqa: F811
    quiz = QuizFactory.create()
    fields = SpecFields("ordering", spec={"items": [], "scoring": "positions"})
    data = posted(fields) | {
        "quiz": quiz.pk, "order": 1, "title": "Порядок", "text": "Расставьте", "points": "2",
        "text_format": "markdown", "explanation": "",
        "spec-items-0-text": "первый", "spec-items-1-text": "второй",
    }  # fmt: skip

    response = admin_client.post(f"/admin/quizzes/question/add/?quiz={quiz.pk}&type=ordering", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    question = Question.objects.get(title="Порядок")
    assert question.type == "ordering"
    assert question.spec["items"] == [{"id": "a", "text": "первый"}, {"id": "b", "text": "второй"}]
    assert question.key_version  # saved through quizzes.authoring


def test_a_refused_new_question_names_the_field_and_saves_nothing(admin_client):  # noqa: F811
    quiz = QuizFactory.create()
    data = posted(SpecFields("numeric", spec={"answers": []})) | {
        "quiz": quiz.pk, "order": 1, "text": "Сколько?", "points": "1",
        "text_format": "markdown", "spec-answers-0-value": "три",
    }  # fmt: skip

    response = admin_client.post(
        "/admin/quizzes/question/add/?type=numeric", data, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    assert "Answer 1: value: enter a number" in response.content.decode()
    assert not Question.objects.exists()


def test_the_quiz_page_lists_its_questions_readably_with_links(admin_client):  # noqa: F811
    quiz = QuizFactory.create()
    choice = QuestionFactory.create(quiz=quiz, title="TTL")
    order = QuestionFactory.create(
        quiz=quiz, type="ordering", title="Шаги",
        spec={"items": [{"id": "a", "text": "открыть"}, {"id": "b", "text": "закрыть"}],
              "scoring": "positions"},
    )  # fmt: skip

    html = admin_client.get(f"/admin/quizzes/quiz/{quiz.pk}/change/").content.decode()

    assert "<textarea" not in html.split('id="questions-group"', 1)[1]
    assert 'name="questions-0-spec"' not in html
    assert "«открыть» → «закрыть»" in html
    for question in (choice, order):
        assert f'href="/admin/quizzes/question/{question.pk}/change/"' in html
    assert f'href="/admin/quizzes/question/add/?quiz={quiz.pk}"' in html


@pytest.mark.parametrize(
    ("question_type", "spec", "line"),
    [
        ("single_choice", {"choices": [{"id": "a", "text": "Go", "weight": 100},
                                       {"id": "b", "text": "C#", "weight": 0}]}, "«Go» ✓, «C#»"),
        ("true_false", {"answer": False}, "correct: false"),
        ("short_text", {"answers": [{"text": "горутина"}, {"regex": "go+"}]}, "«горутина», /go+/"),
        ("numeric", {"answers": [{"kind": "exact", "value": "3"},
                                 {"kind": "range", "min": "1", "max": "2"}]}, "3, 1…2"),
        ("matching", {"pairs": [{"id": "a", "prompt": "x", "answer": "1"}]}, "«x» → «1»"),
        ("fill_blanks", {"text": "{{1}}", "gaps": [{"id": "1"}]}, "gaps: 1"),
        ("essay", {"min_words": 3, "max_words": None}, "graded by a person; at least 3 words"),
        ("essay", {"choices": 1}, "graded by a person; at least 0 words"),
        ("ordering", {"items": "broken"}, "(cannot be read: open the question)"),
    ],
)  # fmt: skip
def test_a_spec_in_one_line(question_type, spec, line):
    with translation.override("en"):
        assert spec_summary(question_type, spec) == line


def test_a_spec_line_in_russian():
    with translation.override("ru"):
        assert spec_summary("true_false", {"answer": True}) == "верный ответ: верно"
