"""A quiz made from the teaching pages (title and settings as fields), its questions moved up
and down, an ordering question's items moved in its editor, and the whole quiz previewed.
The course's instructors only (404 for anyone else); a refusal names the field and keeps
what was typed (issue 20, items 2 and 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from quizzes.editor_forms import SpecFields
from quizzes.models import Question, Quiz
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.quizzes.test_editor_forms import posted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    section = SectionFactory.create(number="4.2", title="Каналы")
    course = section.part.course
    teacher = UserFactory.create(username="teacher")
    course.instructors.add(teacher)
    return course, section, teacher


def client_of(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def settings_post(section, **changes: str) -> dict[str, str]:
    data = {
        "section": str(section.pk), "title": "Каналы в Go", "instructions": "Без подсказок",
        "pass_score": "70", "max_attempts": "3", "time_limit_minutes": "20",
        "score_policy": "last", "retry_penalty": "10", "shuffle_choices": "on",
        "feedback_policy": "immediately", "opens_at": "", "due_at": "2030-05-01T18:00",
    }  # fmt: skip
    return data | changes


def test_an_instructor_creates_a_quiz_with_its_settings(world):
    course, section, teacher = world
    QuizFactory.create(section=section, order=4)
    client = client_of(teacher)
    page = client.get(f"/teach/{course.slug}/quizzes/new/?section={section.pk}").content.decode()
    assert 'id="id_title"' in page
    assert f'<option value="{section.pk}" selected>4.2 Каналы</option>' in page

    response = client.post(f"/teach/{course.slug}/quizzes/new/", settings_post(section))

    quiz = Quiz.objects.get(title="Каналы в Go")
    assert response.status_code == 302
    assert response["Location"] == f"/teach/{course.slug}/quizzes/{quiz.pk}/questions/"
    assert (quiz.section, quiz.pass_score, quiz.max_attempts, quiz.score_policy) == (
        section, 70, 3, "last",
    )  # fmt: skip
    assert (quiz.time_limit, quiz.retry_penalty, quiz.order) == (timedelta(minutes=20), 10, 5)
    assert (quiz.shuffle_choices, quiz.shuffle_questions) == (True, False)
    assert quiz.due_at is not None
    assert quiz.due_at.year == 2030

    # its settings, changed later: the time limit shown in minutes, removed when emptied
    shown = client.get(f"/teach/{course.slug}/quizzes/{quiz.pk}/settings/").content.decode()
    assert 'name="time_limit_minutes" value="20"' in shown
    client.post(
        f"/teach/{course.slug}/quizzes/{quiz.pk}/settings/",
        settings_post(section, title="Каналы", time_limit_minutes=""),
    )
    quiz.refresh_from_db()
    assert (quiz.title, quiz.time_limit, quiz.order) == ("Каналы", None, 5)


def test_refused_settings_name_the_field_keep_the_rest_and_save_nothing(world):
    course, section, teacher = world
    other_course_section = SectionFactory.create()
    client = client_of(teacher)

    response = client.post(
        f"/teach/{course.slug}/quizzes/new/",
        settings_post(section, pass_score="150", opens_at="2030-06-01T10:00"),
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_pass_score-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="Каналы в Go"' in html  # what was typed stays
    assert 'id="id_due_at-error"' in html
    assert "The due date must be after the opening date." in html
    assert not Quiz.objects.exists()
    # a section of another course is not offered, and refused when posted
    response = client.post(
        f"/teach/{course.slug}/quizzes/new/", settings_post(other_course_section)
    )
    assert response.status_code == 400
    assert 'id="id_section-error"' in response.content.decode()
    assert not Quiz.objects.exists()


def test_only_the_courses_instructors_reach_the_quiz_pages(world):
    course, section, teacher = world
    quiz = QuizFactory.create(section=section)
    question = QuestionFactory.create(quiz=quiz)
    learner, stranger = UserFactory.create(), UserFactory.create()
    SectionFactory.create().part.course.instructors.add(stranger)
    base = f"/teach/{course.slug}/quizzes/"
    for user in (learner, stranger):
        client = client_of(user)
        for path in ("new/", f"{quiz.pk}/settings/", f"{quiz.pk}/preview/"):
            assert client.get(base + path).status_code == 404, path
        assert client.post(base + "new/", settings_post(section)).status_code == 404
        moved = client.post(f"{base}{quiz.pk}/questions/{question.pk}/move/", {"direction": "up"})
        assert moved.status_code == 404
    assert Quiz.objects.count() == 1
    # another course's quiz does not exist here, even for this course's instructor
    other = QuizFactory.create()
    assert client_of(teacher).get(f"{base}{other.pk}/settings/").status_code == 404


def test_questions_move_up_and_down_and_are_numbered_again(world):
    course, section, teacher = world
    quiz = QuizFactory.create(section=section)
    first, second, third = (
        QuestionFactory.create(quiz=quiz, order=order, title=title)
        for order, title in ((1, "один"), (5, "два"), (5, "три"))
    )
    before = Quiz.objects.get(pk=quiz.pk).updated_at
    client = client_of(teacher)
    move = f"/teach/{course.slug}/quizzes/{quiz.pk}/questions/{{}}/move/"

    response = client.post(move.format(third.pk), {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/questions/#question-{third.pk}")
    assert list(quiz.questions.order_by("order").values_list("title", "order")) == [
        ("один", 1), ("три", 2), ("два", 3),
    ]  # fmt: skip
    client.post(move.format(first.pk), {"direction": "down"})
    client.post(move.format(first.pk), {"direction": "down"})
    client.post(move.format(first.pk), {"direction": "down"})  # at the bottom: nothing
    client.post(move.format(third.pk), {"direction": "up"})  # at the top: nothing
    titles = list(quiz.questions.order_by("order").values_list("title", flat=True))
    assert titles == ["три", "два", "один"]
    assert Quiz.objects.get(pk=quiz.pk).updated_at > before  # the worker's cache follows
    assert client.post(move.format(second.pk), {"direction": "sideways"}).status_code == 404

    page = client.get(f"/teach/{course.slug}/quizzes/{quiz.pk}/questions/").content.decode()
    assert 'aria-label="Move question 1 down"' in page
    assert 'aria-label="Move question 1 up"' not in page
    assert 'aria-label="Move question 3 up"' in page
    assert 'aria-label="Move question 3 down"' not in page


def test_an_ordering_questions_items_move_with_their_ids(world):
    course, section, teacher = world
    quiz = QuizFactory.create(section=section)
    question = QuestionFactory.create(
        quiz=quiz, type="ordering", title="Шаги",
        spec={"items": [{"id": "a", "text": "открыть"}, {"id": "b", "text": "записать"},
                        {"id": "c", "text": "закрыть"}], "scoring": "positions"},
    )  # fmt: skip
    client = client_of(teacher)
    url = f"/teach/{course.slug}/quizzes/{quiz.pk}/questions/{question.pk}/"
    page = client.get(url).content.decode()
    assert 'value="move-items-0-down"' in page
    assert 'value="move-items-0-up"' not in page
    assert 'aria-label="Move Item 2 up"' in page
    common = {"title": "Шаги", "text": question.text, "points": "1", "explanation": ""}
    data = posted(SpecFields("ordering", spec=question.spec)) | common

    moved = client.post(url, data | {"action": "move-items-2-up"})

    assert moved.status_code == 200  # shown again, not saved
    html = moved.content.decode()
    assert html.index('value="закрыть"') < html.index('value="записать"')
    question.refresh_from_db()
    assert [item["text"] for item in question.spec["items"]] == ["открыть", "записать", "закрыть"]
    # saved in the new order: each item keeps its id (learners' answers name them)
    rows = {
        "spec-items-1-id": "c", "spec-items-1-text": "закрыть",
        "spec-items-2-id": "b", "spec-items-2-text": "записать",
    }  # fmt: skip
    assert client.post(url, data | rows | {"action": "save"}).status_code == 302
    question.refresh_from_db()
    assert question.spec["items"] == [
        {"id": "a", "text": "открыть"}, {"id": "c", "text": "закрыть"},
        {"id": "b", "text": "записать"},
    ]  # fmt: skip


@pytest.mark.parametrize("move", ["items-0-up", "items-9-down", "items-x-up", "nope-1-up", ""])
def test_a_move_off_the_list_or_tampered_changes_nothing(move):
    spec = {"items": [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}], "scoring": "pairs"}
    data = posted(SpecFields("ordering", spec=spec))
    fields = SpecFields("ordering", data=data, move=move)
    assert [row["text"] for row in fields.rows["items"][:2]] == ["x", "y"]


def test_the_whole_quiz_preview_shows_every_question_as_a_learner_sees_it(world):
    course, section, teacher = world
    quiz = QuizFactory.create(section=section, instructions="Читайте **внимательно**")
    QuestionFactory.create(quiz=quiz, order=1, title="Первый", text="Что такое канал?")
    QuestionFactory.create(
        quiz=quiz, order=2, type="true_false", text="Канал можно закрыть.", spec={"answer": True}
    )

    html = client_of(teacher).get(f"/teach/{course.slug}/quizzes/{quiz.pk}/preview/")

    page = html.content.decode()
    assert "Что такое канал?" in page
    assert "Канал можно закрыть." in page
    assert "<strong>внимательно</strong>" in page
    assert "Question 2" in page
    assert "weight" not in page  # a learner's view: no keys
    assert "<form" not in page.split("<main", 1)[1].split("</main>")[0].replace(
        '<form method="post" action="/accounts/logout/"', ""
    )  # nothing to submit
    assert not Question.objects.filter(answers__isnull=False).exists()


def test_the_late_policy_and_the_cutoff_are_set_from_the_settings_page(world):
    course, section, teacher = world
    client = client_of(teacher)
    refused = client.post(
        f"/teach/{course.slug}/quizzes/new/",
        settings_post(section, cutoff_at="2030-04-30T18:00", late_policy="per_day",
                      late_percent="-5"),
    )  # fmt: skip
    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'id="id_late_percent-error"' in html
    assert not Quiz.objects.exists()
    refused = client.post(
        f"/teach/{course.slug}/quizzes/new/",
        settings_post(section, cutoff_at="2030-04-30T18:00", late_policy="per_day",
                      late_percent="10"),
    )  # fmt: skip
    assert 'id="id_cutoff_at-error"' in refused.content.decode()
    assert "The hard cut-off cannot be before the due date." in refused.content.decode()

    client.post(
        f"/teach/{course.slug}/quizzes/new/",
        settings_post(section, cutoff_at="2030-05-03T18:00", late_policy="per_day",
                      late_percent="10", late_cap="30"),
    )  # fmt: skip
    quiz = Quiz.objects.get()
    assert (quiz.late_policy, quiz.late_percent, quiz.late_cap) == ("per_day", 10, 30)
    assert quiz.cutoff_at is not None
    assert quiz.cutoff_at.day == 3
