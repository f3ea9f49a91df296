"""The manual grading queue: every essay of the course that waits for a person, oldest first,
graded from the page; the attempt, the learner's progress and the gradebook change at once.
A course's instructors only; a refused grade keeps what was typed and names the field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quizzes.models import Answer, Attempt, Quiz
from quizzes.selectors import quiz_result_for
from quizzes.services import attempt_grade, attempt_save_answers, attempt_start, attempt_submit
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

ESSAY_SPEC = {"min_words": 3, "grader_info": "Ищем слово «инвалидация»"}


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr("quizzes.services.enqueue", lambda *args, **kwargs: True, raising=False)
    section = SectionFactory.create(number="4.2", title="Кэширование")
    course = section.part.course
    teacher = UserFactory.create(username="teacher")
    course.instructors.add(teacher)
    quiz = QuizFactory.create(section=section, title="Кэш", pass_score=50)
    QuestionFactory.create(quiz=quiz, order=1)  # single choice, 1 point, "b" is right
    QuestionFactory.create(
        quiz=quiz, order=2, type="essay", title="Инвалидация", text="Когда сбрасывать кэш?",
        spec=ESSAY_SPEC, points=Decimal("4"),
    )  # fmt: skip
    return course, quiz, teacher


def submit_essay(quiz: Quiz, learner, text: str, *, minutes_ago: int = 0) -> Attempt:
    now = timezone.now() - timedelta(minutes=minutes_ago)
    attempt = attempt_start(learner=learner, quiz=quiz, now=now)
    questions = {q.type: q.pk for q in quiz.questions.all()}
    attempt_save_answers(
        attempt=attempt,
        responses={questions["single_choice"]: {"choice": "b"}, questions["essay"]: {"text": text}},
        now=now,
    )
    attempt_submit(attempt=attempt, now=now)
    attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    return attempt


def client_of(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def essay_answer(attempt: Attempt) -> Answer:
    return attempt.answers.get(question__type="essay")


def test_the_queue_lists_waiting_essays_oldest_first_with_the_answer_as_written(world):
    course, quiz, teacher = world
    late = submit_essay(quiz, UserFactory.create(username="boris"), "Позже: <b>жирный</b>")
    early = submit_essay(
        quiz, UserFactory.create(username="anna"), "Сразу после записи\nи по TTL", minutes_ago=30
    )
    graded = submit_essay(quiz, UserFactory.create(username="vera"), "уже оценено", minutes_ago=60)
    Answer.objects.filter(pk=essay_answer(graded).pk).update(needs_manual_grading=False)
    assert late.awaiting_manual_grading
    assert late.status == "submitted"

    page = client_of(teacher).get(f"/teach/{course.slug}/grading/")

    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(f'id="answer-{essay_answer(early).pk}"') < html.index(
        f'id="answer-{essay_answer(late).pk}"'
    )
    assert "уже оценено" not in html
    assert "Сразу после записи<br>и по TTL" in html  # as written, line breaks kept
    assert "&lt;b&gt;жирный&lt;/b&gt;" in html  # escaped, never markup
    assert "Ищем слово «инвалидация»" in html  # the author's guidance, for graders
    assert "Когда сбрасывать кэш?" in html
    assert 'max="4.00"' in html


def test_grading_the_last_answer_finishes_the_attempt_and_the_progress(world):
    course, quiz, teacher = world
    learner = UserFactory.create(username="anna")
    attempt = submit_essay(quiz, learner, "сбрасываем при записи и по TTL")
    answer = essay_answer(attempt)
    assert quiz_result_for(learner_id=learner.pk, quiz=quiz).graded_attempts == 0

    client = client_of(teacher)
    response = client.post(
        f"/teach/{course.slug}/grading/answers/{answer.pk}/",
        {"score": "3.5", "feedback": "Хорошо, но без инвалидации по событию"},
    )

    assert response.status_code == 302
    attempt.refresh_from_db()
    answer.refresh_from_db()
    assert (attempt.status, attempt.score, attempt.max_score) == ("graded", Decimal("4.50"), 5)
    assert answer.feedback == ["Хорошо, но без инвалидации по событию"]
    assert answer.graded_by == teacher
    result = quiz_result_for(learner_id=learner.pk, quiz=quiz)
    assert (result.graded_attempts, result.percent, result.passed) == (1, Decimal("90.00"), True)
    after = client.get(response.url)
    assert "Graded: anna, 3.5 of 4.00." in after.content.decode()
    assert f'id="answer-{answer.pk}"' not in after.content.decode()


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("5", "Score: Ensure this value is less than or equal to 4.00."),
        ("-1", "Score: Ensure this value is greater than or equal to 0."),
        ("много", "Score: Enter a number."),
        ("", "Score: This field is required."),
    ],
)
def test_a_refused_grade_names_the_field_keeps_the_feedback_and_changes_nothing(
    world, score, message
):
    course, quiz, teacher = world
    attempt = submit_essay(quiz, UserFactory.create(), "кэш сбрасываем по TTL")
    answer = essay_answer(attempt)

    response = client_of(teacher).post(
        f"/teach/{course.slug}/grading/answers/{answer.pk}/",
        {"score": score, "feedback": "длинный отзыв, который нельзя потерять"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert "длинный отзыв, который нельзя потерять</textarea>" in html
    assert 'aria-invalid="true"' in html
    answer.refresh_from_db()
    attempt.refresh_from_db()
    assert (answer.score, answer.needs_manual_grading, attempt.status) == (None, True, "submitted")


def test_a_second_instructor_s_grade_does_not_overwrite_the_first(world):
    course, quiz, teacher = world
    other = UserFactory.create(username="teacher2")
    course.instructors.add(other)
    answer = essay_answer(submit_essay(quiz, UserFactory.create(), "по TTL и при записи"))
    url = f"/teach/{course.slug}/grading/answers/{answer.pk}/"

    client_of(teacher).post(url, {"score": "4", "feedback": "первый"})
    second = client_of(other).post(url, {"score": "1", "feedback": "второй"}, follow=True)

    answer.refresh_from_db()
    assert (answer.score, answer.feedback, answer.graded_by) == (
        Decimal("4.00"),
        ["первый"],
        teacher,
    )
    assert "Someone else graded this answer first; their grade stands." in second.content.decode()


def test_only_the_course_s_instructors_see_or_grade(world):
    course, quiz, _teacher = world
    learner = UserFactory.create()
    answer = essay_answer(submit_essay(quiz, learner, "мой ответ на вопрос"))
    outsider = UserFactory.create()
    SectionFactory.create().part.course.instructors.add(outsider)  # teaches another course

    for user in (learner, outsider):
        client = client_of(user)
        assert client.get(f"/teach/{course.slug}/grading/").status_code == 404
        grade = client.post(f"/teach/{course.slug}/grading/answers/{answer.pk}/", {"score": "4"})
        assert grade.status_code == 404
    anonymous = Client().get(f"/teach/{course.slug}/grading/")
    assert anonymous.status_code == 302
    answer.refresh_from_db()
    assert answer.needs_manual_grading


def test_an_answer_of_another_course_is_not_found(world):
    course, _quiz, teacher = world
    elsewhere = QuizFactory.create(title="Другой курс")
    QuestionFactory.create(quiz=elsewhere, type="essay", spec={}, points=Decimal("2"))
    QuestionFactory.create(quiz=elsewhere)
    answer = essay_answer(submit_essay(elsewhere, UserFactory.create(), "чужой ответ здесь"))

    response = client_of(teacher).post(
        f"/teach/{course.slug}/grading/answers/{answer.pk}/", {"score": "1"}
    )

    assert response.status_code == 404
    answer.refresh_from_db()
    assert answer.needs_manual_grading


def test_the_queue_takes_a_constant_number_of_queries(world):
    course, quiz, teacher = world
    client = client_of(teacher)
    submit_essay(quiz, UserFactory.create(), "первый ответ в очереди")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/teach/{course.slug}/grading/")
    for index in range(5):
        submit_essay(quiz, UserFactory.create(), f"ответ номер {index} в очереди")
    with CaptureQueriesContext(connection) as six:
        page = client.get(f"/teach/{course.slug}/grading/")

    assert page.content.decode().count('class="grading-item"') == 6
    assert len(six) == len(one)


def test_an_empty_queue_says_so(world):
    course, _quiz, teacher = world
    page = client_of(teacher).get(f"/teach/{course.slug}/grading/")
    assert "Nothing waits for a grade" in page.content.decode()


def test_the_page_speaks_russian(world):
    course, quiz, teacher = world
    answer = essay_answer(submit_essay(quiz, UserFactory.create(), "ответ на вопрос о кэше"))
    client = client_of(teacher, "ru")

    page = client.get(f"/teach/{course.slug}/grading/").content.decode()
    refused = client.post(
        f"/teach/{course.slug}/grading/answers/{answer.pk}/", {"score": "9"}
    ).content.decode()

    assert "Очередь проверки" in page
    assert "Сохранить оценку" in page
    assert "Оценка: Убедитесь, что это значение меньше либо равно 4.00." in refused
