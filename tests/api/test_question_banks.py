"""The API's question banks: a GIFT or Moodle XML file into a section's quizzes, and a quiz
back out; instructors of the course only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quizzes.models import Question
from tests.api.conftest import client_for, error_of
from tests.factories import QuizFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

GIFT = (
    "$CATEGORY: $course$/top/Go/Каналы\n\n"
    "::Буфер:: Сколько значений держит небуферизованный канал? {#0}\n\n"
    "::Плохой:: Сколько? {#abc}\n\n"
    "::Форум:: What is a forum for? {=Forum =%50%*#Partial credit}\n"
)


@pytest.fixture
def section_and_teacher():
    section = SectionFactory.create()
    teacher = UserFactory.create()
    section.part.course.instructors.add(teacher)
    return section, teacher


def post_bank(client, section, text: str, name: str = "bank.gift", **data):
    return client.post(
        f"/api/v1/sections/{section.pk}/question-bank/",
        {"file": SimpleUploadedFile(name, text.encode()), **data},
        format="multipart",
    )


def test_an_instructor_imports_a_bank_and_gets_a_per_question_report(section_and_teacher):
    section, teacher = section_and_teacher

    dry = post_bank(client_for(teacher), section, GIFT, dry_run="true")
    assert dry.status_code == 200
    assert not Question.objects.exists()

    done = post_bank(client_for(teacher), section, GIFT)

    body = done.json()
    assert done.status_code == 200
    assert [(q["title"], q["created"]) for q in body["quizzes"]] == [("Каналы", ["Буфер", "Форум"])]
    assert body["imported"] == 2
    [skipped] = body["skipped"]
    assert skipped.startswith("bank.gift:5: question 'Плохой': answer 'abc' is not a number")
    forum = Question.objects.get(title="Форум")
    assert forum.spec["answers"][1]["regex"] == ".*"


def test_a_file_with_nothing_to_import_is_a_400_naming_each_line(section_and_teacher):
    section, teacher = section_and_teacher

    refused = post_bank(client_for(teacher), section, "::Плохой:: Сколько? {#abc}\n")

    assert refused.status_code == 400
    error = error_of(refused)
    assert error["code"] == "invalid_file"
    assert "bank.gift:1: question 'Плохой'" in error["message"]
    assert "/tmp" not in error["message"]


def test_only_the_courses_instructors_import_and_export(section_and_teacher):
    section, _teacher = section_and_teacher
    stranger = UserFactory.create()
    quiz = QuizFactory.create(section=section)

    assert post_bank(client_for(stranger), section, GIFT).status_code == 404
    assert client_for(stranger).get(f"/api/v1/quizzes/{quiz.pk}/export/").status_code == 404
    assert post_bank(client_for(None), section, GIFT).status_code in {401, 403}
    assert not Question.objects.exists()


def test_a_quiz_exports_as_gift_or_moodle_xml(section_and_teacher):
    section, teacher = section_and_teacher
    post_bank(client_for(teacher), section, GIFT)
    quiz = section.quizzes.get()
    client = client_for(teacher)

    gift = client.get(f"/api/v1/quizzes/{quiz.pk}/export/")
    xml = client.get(f"/api/v1/quizzes/{quiz.pk}/export/?as=xml")

    assert "=%50%*#Partial credit" in gift.content.decode()
    assert xml["Content-Type"] == "application/xml; charset=utf-8"
    assert '<question type="shortanswer">' in xml.content.decode()
    back = post_bank(client, section, xml.content.decode(), name="again.xml")
    assert back.json()["quizzes"][0]["unchanged"] == ["Буфер", "Форум"]
    assert client.get(f"/api/v1/quizzes/{quiz.pk}/export/?as=doc").status_code == 400


def test_tags_and_id_number_are_an_instructors_fields(section_and_teacher):
    section, teacher = section_and_teacher
    post_bank(client_for(teacher), section, "// [id:GO-1] [tag:каналы]\n::Q:: Go? {T}\n")
    question = Question.objects.get()
    client = client_for(teacher)

    shown = client.get(f"/api/v1/questions/{question.pk}/").json()
    changed = client.patch(f"/api/v1/questions/{question.pk}/", {"tags": ["a", "b"]}, format="json")
    refused = client.patch(f"/api/v1/questions/{question.pk}/", {"tags": "a"}, format="json")

    assert (shown["idnumber"], shown["tags"]) == ("GO-1", ["каналы"])
    assert changed.json()["tags"] == ["a", "b"]
    assert refused.status_code == 400
