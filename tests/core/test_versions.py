"""A question's key_version and an exercise's tests_version follow their content on every write
path (the admin, its inline questions, the question editor, the API, GIFT and exercise-folder
imports, demo loading's upserts), stamped by the authoring services' write functions, and the
test guard of tests/conftest.py refuses a write that skips them (issue 21, item 3)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from core.provenance import ImportPolicy
from grader.models import CodingExercise
from grader.services import exercise_import, exercise_save, exercise_write
from quizzes.authoring import question_save, question_upsert, question_write, quiz_import_gift
from quizzes.models import Question
from tests.conftest import StaleVersionSaved
from tests.factories import (
    QuestionFactory,
    QuizFactory,
    SectionFactory,
    UserFactory,
    exercise_stored,
)
from tests.grader.test_import_keeps_site_work import folder  # noqa: F401 (a fixture)
from tests.grader.test_services import FakeRunner
from tests.quizzes.test_admin import RIGHT_IS_C, change_form_of, form_of, inline_management
from tests.teaching.test_question_editor import editor_post

pytestmark = pytest.mark.django_db


def stored_question(question: Question) -> Question:
    return Question.objects.get(pk=question.pk)


def assert_question_follows(question: Question, write: Callable[[], Any]) -> None:
    """`write` changes the question's key: the stored version is the new key's, not the old."""
    before = stored_question(question).key_version
    assert before == stored_question(question).current_key_version()
    write()
    after = stored_question(question)
    assert after.key_version == after.current_key_version()
    assert after.key_version != before


@pytest.fixture
def quiz_world() -> tuple[Any, Question, User]:
    quiz = QuizFactory.create(section__number="4.2")
    teacher = UserFactory.create(username="teacher")
    quiz.section.part.course.instructors.add(teacher)
    return quiz, QuestionFactory.create(quiz=quiz, title="Канал"), teacher


def test_the_question_admin_stamps_the_new_key(quiz_world):
    _quiz, question, _teacher = quiz_world
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw-tests"))

    def write() -> None:
        form = change_form_of(question, RIGHT_IS_C)
        response = admin.post(f"/admin/quizzes/question/{question.pk}/change/", form)
        assert response.status_code == 302, response.content.decode()[:2000]

    assert_question_follows(question, write)


def test_the_quiz_admins_inline_questions_write_only_their_order_and_keep_the_key(quiz_world):
    # The quiz's page lists its questions read-only but for their order (each question's
    # answers and points are edited on its own page, whose write is tested below): a save
    # there changes no key, and the stored version stays the content's.
    quiz, question, _teacher = quiz_world
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw-tests"))
    before = stored_question(question)
    quiz_fields = {k: v for k, v in form_of(quiz).items() if k != "id"}
    form = quiz_fields | inline_management(
        quiz, **{"questions-0-points": "3", "questions-0-order": "7"}
    )

    response = admin.post(f"/admin/quizzes/quiz/{quiz.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    after = stored_question(question)
    assert after.order == 7
    assert after.points == before.points  # not editable there
    assert after.key_version == before.key_version == after.current_key_version()


def test_the_question_editor_stamps_the_new_key(quiz_world):
    quiz, question, teacher = quiz_world
    client = Client()
    client.force_login(teacher)
    course = quiz.section.part.course

    def write() -> None:
        data = editor_post(question, points="4")
        address = f"/teach/{course.slug}/quizzes/{quiz.pk}/questions/{question.pk}/"
        assert client.post(address, data).status_code == 302

    assert_question_follows(question, write)


def test_the_api_stamps_the_new_key(quiz_world):
    _quiz, question, teacher = quiz_world
    api = APIClient()
    api.force_authenticate(teacher)

    def write() -> None:
        body = {"spec": RIGHT_IS_C}
        response = api.patch(f"/api/v1/questions/{question.pk}/", body, format="json")
        assert response.status_code == 200, response.content

    assert_question_follows(question, write)


def test_a_gift_import_and_demo_upserts_stamp_their_keys(tmp_path: Path):
    section = SectionFactory.create(number="4.2")
    gift = tmp_path / "quiz.gift"
    gift.write_text("::Канал:: Что передаёт данные? {=канал ~мьютекс}\n", encoding="utf-8")
    quiz = quiz_import_gift(section=section, path=gift, quiz_title="Каналы").quiz
    question = quiz.questions.get(title="Канал")
    assert question.key_version == question.current_key_version()

    def reimport() -> None:
        gift.write_text("::Канал:: Что передаёт данные? {~канал =мьютекс}\n", encoding="utf-8")
        quiz_import_gift(section=section, path=gift, quiz_title="Каналы")

    assert_question_follows(question, reimport)

    def upsert() -> None:
        fields = {"type": "true_false", "text": "Канал?", "points": Decimal(1),
                  "spec": {"answer": True}, "text_format": "markdown"}  # fmt: skip
        question_upsert(quiz=quiz, title="Канал", fields=fields, policy=ImportPolicy.OVERWRITE)

    assert_question_follows(question, upsert)


def stored_exercise(exercise: CodingExercise) -> CodingExercise:
    return CodingExercise.objects.get(pk=exercise.pk)


def assert_exercise_follows(exercise: CodingExercise, write: Callable[[], Any]) -> None:
    before = stored_exercise(exercise).tests_version
    assert before == stored_exercise(exercise).current_tests_version()
    write()
    after = stored_exercise(exercise)
    assert after.tests_version == after.current_tests_version()
    assert after.tests_version != before


def test_the_exercise_admin_api_and_folder_import_stamp_the_new_tests(
    folder: Path,  # noqa: F811 (the fixture)
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr("grader.services.enqueue", lambda task, *args, what: True)
    section = SectionFactory.create(number="4.2")
    teacher = UserFactory.create(username="teacher")
    section.part.course.instructors.add(teacher)
    runner = FakeRunner()
    exercise = exercise_import(path=folder, section=section, runner=runner).exercise
    assert exercise.tests_version == exercise.current_tests_version()

    def edit_in_the_admin() -> None:  # the admin's save_model is exercise_save
        edited = stored_exercise(exercise)
        edited.cpu_seconds = 3
        exercise_save(exercise=edited, runner=runner)

    assert_exercise_follows(exercise, edit_in_the_admin)

    def edit_through_the_api() -> None:
        api = APIClient()
        api.force_authenticate(teacher)
        body = {"test_files": {"tests/test_sol.py": "def test_add(): assert True\n"}}
        response = api.patch(f"/api/v1/exercises/{exercise.pk}/", body, format="json")
        assert response.status_code in {200, 202}, response.content

    assert_exercise_follows(exercise, edit_through_the_api)

    def import_the_folder_again() -> None:  # as the site import and demo loading do
        (folder / "tests/test_sol.py").write_text("def test_add(): assert 2 + 2 == 4\n")
        exercise_import(path=folder, section=section, runner=runner, policy=ImportPolicy.OVERWRITE)

    assert_exercise_follows(exercise, import_the_folder_again)


def test_a_write_that_skips_the_write_function_is_refused_by_the_test_guard(quiz_world):
    _quiz, question, _teacher = quiz_world
    question.spec = RIGHT_IS_C

    with pytest.raises(StaleVersionSaved):
        question.save()  # a path that saves content without re-stamping
    with pytest.raises(StaleVersionSaved):
        question.save(update_fields=["spec"])

    question.title = "Канал (переименован)"
    question.save(update_fields=["title"])  # not the key: the stored version stays right
    assert stored_question(question).key_version == stored_question(question).current_key_version()
    question_save(question=question)
    assert stored_question(question).spec == RIGHT_IS_C


def test_the_write_functions_leave_the_version_of_a_save_of_other_fields():
    # A stale copy saving its publication only must not stamp its stale tests' version.
    exercise = an_exercise()
    stale = stored_exercise(exercise)
    fresh = stored_exercise(exercise)
    fresh.test_files = {"a_test.go": "package a // v2"}
    exercise_write(exercise=fresh)
    stale.is_published = False
    exercise_write(exercise=stale, update_fields=["is_published"])
    assert stored_exercise(exercise).tests_version == fresh.current_tests_version()

    question = QuestionFactory.create()
    copy = stored_question(question)
    question.spec = RIGHT_IS_C
    question_write(question=question)
    copy.title = "x"
    question_write(question=copy, update_fields=["title"])
    assert stored_question(question).key_version == question.current_key_version()


def an_exercise() -> CodingExercise:
    return exercise_stored(
        section=SectionFactory.create(), slug="ttl", title="Кэш", language="go",
        test_files={"a_test.go": "package a"}, points=Decimal(10),
    )  # fmt: skip
