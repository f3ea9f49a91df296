"""The question editor of the teaching pages: a quiz's questions listed, one added and edited
per type, refusals shown with the field named and what was typed kept, a preview through the
learner's own template, and "try it", which grades and records nothing. Instructors only."""

from __future__ import annotations

from decimal import Decimal
from html import unescape

import pytest
from django.test import Client

from quizzes.authoring import question_write
from quizzes.models import Answer, Attempt, Question
from tests.factories import QuestionFactory, QuizFactory, UserFactory
from tests.progress.test_progress import pass_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    quiz = QuizFactory.create(section__number="4.2", title="Каналы", shuffle_choices=True)
    course = quiz.section.part.course
    teacher = UserFactory.create(username="teacher")
    course.instructors.add(teacher)
    question = QuestionFactory.create(quiz=quiz, title="Канал", text="Что передаёт данные?")
    return course, quiz, question, teacher


def client_of(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def url(course, quiz, tail: str = "") -> str:
    return f"/teach/{course.slug}/quizzes/{quiz.pk}/questions/{tail}"


def editor_post(question, **changes: str) -> dict[str, str]:
    """The edit form of the factory's single-choice question as the page shows it."""
    data = {
        "action": "save",
        "title": question.title,
        "text": question.text,
        "points": str(question.points),
        "explanation": question.explanation,
        "spec-choices-rows": "5",
    }
    for index, choice in enumerate(question.spec["choices"]):
        for key in ("id", "text", "weight", "feedback"):
            data[f"spec-choices-{index}-{key}"] = str(choice[key])
    return data | changes


def test_the_quiz_page_lists_its_questions_and_offers_every_type(world):
    course, quiz, question, teacher = world

    response = client_of(teacher).get(url(course, quiz))

    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Канал" in html
    assert url(course, quiz, f"{question.pk}/") in html
    for label in ("Single choice", "Ordering", "Matching pairs", "Fill in the blanks", "Essay"):
        assert label in html


def test_a_new_question_is_added_and_saved_through_the_authoring_service(world):
    course, quiz, _question, teacher = world
    data = {
        "action": "save",
        "title": "Буфер",
        "text": "Сколько значений держит небуферизованный канал?",
        "points": "2",
        "explanation": "",
        "spec-answers-rows": "3",
        "spec-answers-0-kind": "exact",
        "spec-answers-0-value": "0",
        "spec-answers-0-weight": "",
    }

    response = client_of(teacher).post(url(course, quiz, "new/?type=numeric"), data)

    question = Question.objects.get(title="Буфер")
    assert response.status_code == 302
    assert response["Location"] == url(course, quiz, f"{question.pk}/")
    assert question.type == "numeric"
    assert question.points == Decimal("2")
    assert question.spec == {
        "answers": [{"kind": "exact", "value": "0", "weight": 100, "feedback": ""}]
    }
    assert question.key_version  # stamped by quizzes.authoring.question_save


def test_an_edit_keeps_the_choice_ids(world):
    course, quiz, question, teacher = world
    data = editor_post(question, **{"spec-choices-1-text": "канал (chan)"})

    response = client_of(teacher).post(url(course, quiz, f"{question.pk}/"), data)

    question.refresh_from_db()
    assert response.status_code == 302
    assert [c["id"] for c in question.spec["choices"]] == ["a", "b", "c"]
    assert question.spec["choices"][1]["text"] == "канал (chan)"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Choice 2: weight must be between −100 and 100"),
        ("ru", "Вариант 2: вес должен быть от −100 до 100"),
    ],
)
def test_a_refused_save_names_the_field_and_keeps_what_was_typed(world, language, message):
    course, quiz, question, teacher = world
    data = editor_post(question, **{"spec-choices-1-weight": "150", "title": "Новое название"})

    response = client_of(teacher, language).post(url(course, quiz, f"{question.pk}/"), data)

    html = unescape(response.content.decode())
    assert response.status_code == 400
    assert message in html
    assert 'id="id_spec-choices-1-weight" value="150" aria-label=' in html
    assert 'aria-invalid="true" aria-describedby="id_spec-choices-1-weight-error"' in html
    assert 'value="Новое название"' in html
    question.refresh_from_db()
    assert question.title == "Канал"  # nothing saved


def test_a_common_field_refused_is_named_too(world):
    course, quiz, question, teacher = world

    response = client_of(teacher).post(
        url(course, quiz, f"{question.pk}/"), editor_post(question, points="-1")
    )

    assert response.status_code == 400
    assert "Points: Ensure this value is greater than or equal to 0." in unescape(
        response.content.decode()
    )


def test_add_rows_shows_more_empty_rows_and_saves_nothing(world):
    course, quiz, question, teacher = world
    data = editor_post(question, action="add-choices", title="")

    response = client_of(teacher).post(url(course, quiz, f"{question.pk}/"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="spec-choices-7-text"' in html
    assert 'role="alert"' not in html  # not a save: nothing refused yet
    question.refresh_from_db()
    assert question.title == "Канал"


def test_the_preview_is_the_learners_markup_with_the_choices_shuffled(world):
    course, quiz, question, teacher = world
    question.spec = {
        "choices": [
            {"id": letter, "text": f"вариант {letter}", "weight": 100 if letter == "a" else 0}
            for letter in "abcdefgh"
        ]
    }
    question_write(question=question)
    client = client_of(teacher)

    first = client.get(url(course, quiz, f"{question.pk}/")).content.decode()
    again = client.get(url(course, quiz, f"{question.pk}/?seed=2")).content.decode()

    assert (
        f'<fieldset class="question question--single_choice" id="question-{question.pk}">' in first
    )
    assert f'name="q{question.pk}"' in first
    order = [first.index(f"вариант {letter}</label>") for letter in "abcdefgh"]
    assert order != sorted(order)  # shuffled as for a learner
    assert first != again
    assert 'value="a"' not in first[first.index('id="preview"') :]  # opaque ids, as a learner


def _preview_value(html: str, text: str) -> str:
    label = html.index(f">{text}</label>")
    start = html.rindex('value="', 0, label) + len('value="')
    return html[start : html.index('"', start)]


def test_try_it_grades_the_answer_and_writes_nothing(world):
    course, quiz, question, teacher = world
    client = client_of(teacher)
    page = client.get(url(course, quiz, f"{question.pk}/")).content.decode()
    right = _preview_value(page, "канал")

    response = client.post(
        url(course, quiz, f"{question.pk}/try/"), {"seed": "1", f"q{question.pk}": right}
    )

    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Score: 1.00 of 1.00" in html
    assert "Верно" in html  # the choice's feedback
    assert f'value="{right}" checked' in html  # the answer stays in the preview
    assert not Attempt.objects.exists()
    assert not Answer.objects.exists()


def test_an_answered_question_says_a_changed_key_needs_a_regrade(world):
    course, quiz, question, teacher = world
    client = client_of(teacher)
    before = client.get(url(course, quiz, f"{question.pk}/")).content.decode()
    pass_quiz(quiz, UserFactory.create())

    after = client.get(url(course, quiz, f"{question.pk}/")).content.decode()

    assert "start a regrade" not in before
    assert "start a regrade" in unescape(after)


def test_try_it_on_an_unreadable_answer_says_so(world):
    course, quiz, question, teacher = world

    response = client_of(teacher).post(
        url(course, quiz, f"{question.pk}/try/"), {"seed": "1", f"q{question.pk}": "zzz"}
    )

    assert "The answer could not be read" in unescape(response.content.decode())
    assert not Attempt.objects.exists()


def test_every_type_has_an_editor_page(world):
    course, quiz, _question, teacher = world
    client = client_of(teacher)
    for question_type in (
        "single_choice", "multiple_choice", "true_false", "short_text", "numeric",
        "ordering", "matching", "fill_blanks", "essay",
    ):  # fmt: skip
        assert client.get(url(course, quiz, f"new/?type={question_type}")).status_code == 200
    assert client.get(url(course, quiz, "new/?type=nonsense")).status_code == 404


def test_the_editor_does_not_exist_for_a_learner_nor_another_courses_instructor(world):
    course, quiz, question, _teacher = world
    other_quiz = QuizFactory.create()
    stranger = UserFactory.create(username="stranger")
    other_quiz.section.part.course.instructors.add(stranger)
    learner = UserFactory.create(username="learner")
    paths = [
        url(course, quiz),
        url(course, quiz, "new/?type=essay"),
        url(course, quiz, f"{question.pk}/"),
    ]

    for user in (learner, stranger):
        client = client_of(user)
        for path in paths:
            assert client.get(path).status_code == 404
        assert client.post(url(course, quiz, f"{question.pk}/try/"), {}).status_code == 404
        assert client.post(paths[2], editor_post(question, title="x")).status_code == 404
    # a quiz of another course is not found through this course either
    teacher_client = client_of(_teacher)
    assert teacher_client.get(url(course, other_quiz)).status_code == 404
    question.refresh_from_db()
    assert question.title == "Канал"


def test_a_second_editor_does_not_overwrite_the_first_silently(world):
    # Two instructors open the same question; the first saves, then the second: the second's
    # save is refused (409) with their typing kept, and nothing of the first's is lost.
    course, quiz, question, teacher = world
    other = UserFactory.create(username="colleague")
    course.instructors.add(other)
    page = client_of(other).get(url(course, quiz, f"{question.pk}/")).text
    seen = page.split('name="seen" value="', 1)[1].split('"', 1)[0]
    first = editor_post(question, title="Канал: первая правка", seen=seen)
    assert client_of(teacher).post(url(course, quiz, f"{question.pk}/"), first).status_code == 302

    second = editor_post(question, title="Канал: вторая правка", seen=seen)
    refused = client_of(other).post(url(course, quiz, f"{question.pk}/"), second)

    question.refresh_from_db()
    assert refused.status_code == 409
    assert question.title == "Канал: первая правка"
    assert "Канал: вторая правка" in unescape(refused.text)  # their typing, kept
    saved_seen = refused.text.split('name="seen" value="', 1)[1].split('"', 1)[0]
    assert saved_seen != seen  # saving again replaces the first edit, knowingly
    again = editor_post(question, title="Канал: вторая правка", seen=saved_seen)
    assert client_of(other).post(url(course, quiz, f"{question.pk}/"), again).status_code == 302
    question.refresh_from_db()
    assert question.title == "Канал: вторая правка"
