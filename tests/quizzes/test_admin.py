"""The quiz admin writes through quizzes.authoring: a key fixed there reaches the grading
worker, a quiz added there reopens learners' sections, and learners' work is never deleted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.forms.models import model_to_dict
from django.test import Client

from progress.models import SectionProgress
from quizzes.editor_forms import SpecFields
from quizzes.models import Question, Quiz
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.progress.test_progress import pass_quiz
from tests.quizzes.test_editor_forms import posted

pytestmark = pytest.mark.django_db

RIGHT_IS_C = {
    "choices": [
        {"id": "a", "text": "x", "weight": 0, "feedback": ""},
        {"id": "b", "text": "y", "weight": 0, "feedback": ""},
        {"id": "c", "text": "z", "weight": 100, "feedback": ""},
    ]
}


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-tests"))
    return client


def form_of(instance: Any, **changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in model_to_dict(instance).items() if v is not None}
    data.update(changes)
    return {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in data.items()}


def change_form_of(question: Question, spec: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The Question change form: the common fields, the spec through the per-type fields."""
    data = form_of(question, **changes)
    del data["spec"], data["type"]
    return data | posted(SpecFields(question.type, spec=spec))


def inline_management(quiz: Quiz, **forms: Any) -> dict[str, Any]:
    questions = list(quiz.questions.order_by("order", "id")) if quiz.pk else []
    data: dict[str, Any] = {
        "questions-TOTAL_FORMS": len(questions),
        "questions-INITIAL_FORMS": len(questions),
        "questions-MIN_NUM_FORMS": 0,
        "questions-MAX_NUM_FORMS": 1000,
    }
    for index, question in enumerate(questions):
        fields = form_of(question)
        for name in ("order", "type", "title", "text", "text_format", "points", "spec"):
            data[f"questions-{index}-{name}"] = fields.get(name, "")
        data[f"questions-{index}-explanation"] = question.explanation
        data[f"questions-{index}-id"] = question.pk
        data[f"questions-{index}-quiz"] = quiz.pk
    data.update(forms)
    return data


def test_a_key_fixed_in_the_admin_reaches_the_next_grading(admin_client):
    quiz = QuizFactory.create()
    question = QuestionFactory.create(quiz=quiz)
    assert pass_quiz(quiz, UserFactory.create()).passed  # the worker now holds the old key
    before = Quiz.objects.get(pk=quiz.pk).updated_at

    response = admin_client.post(
        f"/admin/quizzes/question/{question.pk}/change/", change_form_of(question, RIGHT_IS_C)
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Quiz.objects.get(pk=quiz.pk).updated_at > before
    assert not pass_quiz(quiz, UserFactory.create(), choice="b").passed
    assert pass_quiz(quiz, UserFactory.create(), choice="c").passed


def test_a_quiz_added_in_the_admin_reopens_the_learners_section(
    admin_client, tasks_run_inline, django_capture_on_commit_callbacks
):
    learner = UserFactory.create()
    quiz = QuizFactory.create()
    QuestionFactory.create(quiz=quiz)
    pass_quiz(quiz, learner)
    assert SectionProgress.objects.get(learner=learner, section=quiz.section).completed
    added = QuizFactory.build(section=quiz.section, title="Ещё один тест")

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/quizzes/quiz/add/",
            {**form_of(added), "section": quiz.section_id, **inline_management(added)},
        )

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Quiz.objects.filter(section=quiz.section).count() == 2
    progress = SectionProgress.objects.get(learner=learner, section=quiz.section)
    assert (progress.items_complete, progress.items_total, progress.completed) == (1, 2, False)


def test_the_admin_keeps_a_quiz_and_questions_learners_worked_on(admin_client):
    attempted = QuizFactory.create()
    answered = QuestionFactory.create(quiz=attempted)
    pass_quiz(attempted, UserFactory.create())
    untouched = QuizFactory.create(section=SectionFactory.create())

    assert admin_client.get(f"/admin/quizzes/quiz/{attempted.pk}/delete/").status_code == 403
    assert admin_client.get(f"/admin/quizzes/question/{answered.pk}/delete/").status_code == 403
    response = admin_client.post(
        "/admin/quizzes/quiz/",
        {"action": "delete_selected", "_selected_action": [attempted.pk, untouched.pk],
         "post": "yes"},
    )  # fmt: skip
    assert response.status_code == 403  # Django refuses the whole batch
    assert Quiz.objects.filter(pk__in=[attempted.pk, untouched.pk]).count() == 2
    response = admin_client.post(
        "/admin/quizzes/quiz/",
        {"action": "delete_selected", "_selected_action": [untouched.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Quiz.objects.filter(pk=untouched.pk).exists()
    # an answered question ticked for deletion in the quiz's inline: refused, nothing saved
    response = admin_client.post(
        f"/admin/quizzes/quiz/{attempted.pk}/change/",
        {
            **form_of(attempted, title="Переименован"),
            **inline_management(attempted, **{"questions-0-DELETE": "on"}),
        },
    )
    assert response.status_code == 200
    assert "на него уже отвечали" in response.content.decode()  # (in Russian, the default)
    assert Question.objects.filter(pk=answered.pk).exists()
    assert Quiz.objects.get(pk=attempted.pk).title != "Переименован"


def test_the_question_change_form_has_the_per_type_fields_not_a_json_box(admin_client):
    question = QuestionFactory.create()

    page = admin_client.get(f"/admin/quizzes/question/{question.pk}/change/").content.decode()

    assert 'name="spec-choices-1-weight"' in page
    assert 'name="spec"' not in page


def test_a_refused_spec_in_the_admin_names_the_field_and_saves_nothing(admin_client):
    question = QuestionFactory.create()
    data = change_form_of(question, question.spec, title="новое")
    data["spec-choices-1-weight"] = "150"

    response = admin_client.post(
        f"/admin/quizzes/question/{question.pk}/change/", data, HTTP_ACCEPT_LANGUAGE="ru"
    )

    assert response.status_code == 200
    assert "Вариант 2: вес должен быть от −100 до 100" in response.content.decode()
    question.refresh_from_db()
    assert question.title != "новое"
