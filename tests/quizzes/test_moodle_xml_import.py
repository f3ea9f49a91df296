"""A Moodle XML file into a section's quizzes and back: images stored with their question and
served only to who may see it; the command and the site read XML and write it."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from quizzes.authoring import quiz_export_moodle_xml, quiz_import_gift
from quizzes.models import Question, QuestionFile
from quizzes.moodle_xml import parse_moodle_xml
from quizzes.presentation import question_text_html
from tests.factories import SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(32))
BANK = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Default for Go/Каналы</text></category>
  </question>
  <question type="truefalse">
    <name><text>Картинка</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Это канал? <img src="@@PLUGINFILE@@/chan.png" alt="канал"></p>]]></text>
      <file name="chan.png" path="/" encoding="base64">{base64.b64encode(PNG).decode()}</file>
    </questiontext>
    <defaultgrade>2</defaultgrade>
    <answer fraction="100"><text>true</text><feedback><text>Да</text></feedback></answer>
    <answer fraction="0"><text>false</text><feedback><text>Нет</text></feedback></answer>
    <tags><tag><text>каналы</text></tag></tags>
  </question>
  <question type="calculated">
    <name><text>Формула</text></name>
    <questiontext format="html"><text>{{a}} + {{b}}</text></questiontext>
  </question>
</quiz>
"""


def client_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def imported(tmp_path, section):
    path = tmp_path / "bank.xml"
    path.write_text(BANK, encoding="utf-8")
    return quiz_import_gift(section=section, path=path)


def test_xml_imports_into_the_category_quiz_with_its_image_and_skips_the_rest(tmp_path):
    section = SectionFactory.create()

    report = imported(tmp_path, section)

    assert report.quiz.title == "Каналы"
    [skipped] = report.skipped
    assert skipped.endswith(
        "bank.xml:3: question 'Формула': question type 'calculated' is not supported"
    )
    question = Question.objects.get()
    assert (question.type, question.points, question.tags) == ("true_false", 2, ["каналы"])
    [file] = question.files.all()
    assert (file.name, file.content_type, bytes(file.data)) == ("chan.png", "image/png", PNG)
    assert f'src="/quizzes/files/{file.key}/chan.png"' in question_text_html(
        question.text, question.text_format
    )
    # Imported again: the same question, the same file, nothing changes.
    again = imported(tmp_path, section)
    assert again.unchanged == ["Картинка"]
    assert QuestionFile.objects.count() == 1


def test_exported_xml_carries_the_image_and_reimports_the_same(tmp_path):
    section = SectionFactory.create()
    quiz = imported(tmp_path, section).quiz

    text, skipped = quiz_export_moodle_xml(quiz=quiz)

    assert skipped == []
    [question] = parse_moodle_xml(text)
    assert '<img src="@@PLUGINFILE@@/chan.png"' in question.text  # (Moodle's reference)
    assert question.files[0].data == PNG
    other = SectionFactory.create()
    path = tmp_path / "again.xml"
    path.write_text(text, encoding="utf-8")
    copy = quiz_import_gift(section=other, path=path).quiz.questions.get()
    original = quiz.questions.get()
    assert (copy.text, copy.spec, copy.points, copy.tags) == (
        original.text,
        original.spec,
        original.points,
        original.tags,
    )


def test_an_image_is_served_to_who_may_see_its_question_and_only_as_an_image(tmp_path):
    section = SectionFactory.create()
    imported(tmp_path, section)
    file = QuestionFile.objects.get()
    url = f"/quizzes/files/{file.key}/chan.png"
    learner = client_of(UserFactory.create())

    shown = learner.get(url)

    assert shown.status_code == 200
    assert shown.content == PNG
    assert (shown["Content-Type"], shown["X-Content-Type-Options"]) == ("image/png", "nosniff")
    assert "sandbox" in shown["Content-Security-Policy"]
    assert Client().get(url).status_code == 302  # (to the login page)
    assert learner.get(f"/quizzes/files/{file.key}/other.png").status_code == 404
    section.status = section.Status.PLANNED
    section.save()
    assert learner.get(url).status_code == 404
    teacher = UserFactory.create()
    section.part.course.instructors.add(teacher)
    assert client_of(teacher).get(url).status_code == 200


def test_command_imports_xml_and_exports_it(tmp_path):
    section = SectionFactory.create(number="4.9")
    path = tmp_path / "bank.xml"
    path.write_text(BANK, encoding="utf-8")
    out, err = StringIO(), StringIO()

    call_command(
        "import_gift",
        "4.9",
        str(path),
        "--course",
        section.part.course.slug,
        stdout=out,
        stderr=err,
    )

    assert out.getvalue().rstrip().endswith("1 questions imported, 1 skipped")
    assert "warning: skipped" in err.getvalue()
    assert "'calculated' is not supported" in err.getvalue()
    target = tmp_path / "out.xml"
    call_command("export_gift", "4.9", "--course", section.part.course.slug, "--xml", "-o",
                 str(target))  # fmt: skip
    assert '<question type="truefalse">' in target.read_text(encoding="utf-8")


def test_site_previews_an_xml_upload_with_its_skipped_questions_and_exports_xml(tmp_path):
    section = SectionFactory.create()
    course = section.part.course
    teacher = UserFactory.create()
    course.instructors.add(teacher)
    client = client_of(teacher)

    preview = client.post(
        f"/teach/{course.slug}/import/gift/",
        {"section": section.pk, "file": SimpleUploadedFile("bank.xml", BANK.encode())},
    )

    html = preview.content.decode()
    assert "Will be skipped: questions we cannot represent (the line and why) (1)" in html
    assert "bank.xml:3: question &#x27;Формула&#x27;" in html
    assert not Question.objects.exists()
    imported(tmp_path, section)
    quiz = section.quizzes.get()
    exported = client.get(f"/teach/{course.slug}/export/quizzes/{quiz.pk}.xml")
    assert exported["Content-Type"] == "application/xml; charset=utf-8"
    assert b'<file name="chan.png"' in exported.content
    learner = client_of(UserFactory.create())
    assert learner.get(f"/teach/{course.slug}/export/quizzes/{quiz.pk}.xml").status_code == 404
