"""GIFT files into a section's quiz and back; the demo quizzes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courses.models import Section
from quizzes.authoring import QuizImportError, quiz_export_gift, quiz_import_gift
from quizzes.models import Question, Quiz
from tests.factories import SectionFactory

pytestmark = pytest.mark.django_db

DEMO_QUIZZES = Path(__file__).resolve().parents[2] / "demo" / "quizzes"
COMPARED = ("type", "title", "text", "text_format", "points", "explanation", "spec", "order")


def questions(quiz: Quiz) -> list[tuple]:
    return [tuple(getattr(q, f) for f in COMPARED) for q in quiz.questions.order_by("order")]


@pytest.mark.parametrize("path", sorted(DEMO_QUIZZES.glob("*.gift")), ids=lambda p: p.name)
def test_import_export_import_keeps_every_question_equal(path, tmp_path):
    first_section, second_section = SectionFactory.create(), SectionFactory.create()
    first = quiz_import_gift(section=first_section, path=path).quiz
    exported = tmp_path / "export.gift"
    exported.write_text(quiz_export_gift(quiz=first)[0], encoding="utf-8")

    second = quiz_import_gift(section=second_section, path=exported).quiz

    assert second.title == first.title
    assert questions(second) == questions(first)
    assert len(questions(first)) >= 6


def test_reimport_updates_in_place_and_keeps_answered_questions(tmp_path):
    section = SectionFactory.create()
    gift = tmp_path / "q.gift"
    gift.write_text("::Один:: Go компилируемый? {T}\n\n::Два:: 2+2? {#4}\n", encoding="utf-8")
    quiz = quiz_import_gift(section=section, path=gift).quiz
    ids = dict(quiz.questions.values_list("title", "id"))

    gift.write_text("::Один:: Go компилируемый язык? {T}\n", encoding="utf-8")
    report = quiz_import_gift(section=section, path=gift)

    assert report.updated == ["Один: text"]
    assert report.removed == ["Два"]
    assert dict(quiz.questions.values_list("title", "id")) == {"Один": ids["Один"]}
    assert quiz_import_gift(section=section, path=gift).lines()[-2].endswith("1 unchanged")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("::Каналы:: Что такое канал? {=труба ~дыра\n", r"q\.gift:1: question 'Каналы': "),
        ("::A:: ok {T}\n\n::B:: Сколько? {#abc}\n", r"q\.gift:3: question 'B'"),
        ("::A:: один {T}\n\n::A:: два {F}\n", r"question title 'A' is used twice"),
    ],
)
def test_malformed_gift_is_refused_and_nothing_is_imported(tmp_path, text, expected):
    section = SectionFactory.create()
    gift = tmp_path / "q.gift"
    gift.write_text(text, encoding="utf-8")

    with pytest.raises(QuizImportError, match=expected):
        quiz_import_gift(section=section, path=gift)

    assert not Quiz.objects.exists()
    assert not Question.objects.exists()


def test_every_question_that_cannot_be_read_is_named_in_one_refusal(tmp_path):
    gift = tmp_path / "q.gift"
    gift.write_text(
        "::A:: ok {T}\n\n"
        "::B:: Сколько? {#abc}\n\n"
        "::C:: Что такое канал? {=труба ~дыра\n\n"
        "::D:: всё хорошо {F}\n\n"
        "::A:: снова A {T}\n\n"
        "::E:: x {~%50%a ~%20%b ~c}\n",
        encoding="utf-8",
    )

    with pytest.raises(QuizImportError) as refused:
        quiz_import_gift(section=SectionFactory.create(), path=gift)

    lines = [problem.split(": question")[0] for problem in refused.value.problems]
    assert [line.rsplit(":", 1)[-1] for line in lines] == ["3", "5", "11", "9"]
    assert "question title 'A' is used twice" in refused.value.problems[-1]
    assert not Question.objects.exists()


def test_invalid_spec_from_gift_names_question_and_line(tmp_path):
    gift = tmp_path / "q.gift"
    gift.write_text("::Рег:: слово? {=a}\n\n::Выбор:: x {~%50%a ~%20%b ~c}\n", encoding="utf-8")
    with pytest.raises(QuizImportError, match=r"q\.gift:3: question 'Выбор'"):
        quiz_import_gift(section=SectionFactory.create(), path=gift)


def test_commands(tmp_path):
    section = SectionFactory.create(number="4.2")
    out = StringIO()
    call_command("import_gift", "4.2", str(DEMO_QUIZZES / "4.2.gift"), stdout=out)
    assert "created question 4.2-1" in out.getvalue()
    target = tmp_path / "out.gift"
    call_command("export_gift", "4.2", "-o", str(target), stderr=StringIO())
    assert "::4.2-1 " in target.read_text(encoding="utf-8")
    with pytest.raises(CommandError, match=r"no section 9\.9"):
        call_command("import_gift", "9.9", str(target))
    assert section.quizzes.count() == 1


def test_demo_quizzes_cover_every_question_type_in_every_section():
    call_command("load_demo", "--no-exercises", stdout=StringIO(), stderr=StringIO())
    from quizzes import grading

    sections = Section.objects.filter(part__course__slug="go-for-csharp", part__number=4)
    assert sections.count() == 7
    for section in sections:
        quiz = section.quizzes.get()
        assert quiz.questions.count() >= 6, section.number
    types = set(Question.objects.values_list("type", flat=True))
    assert types == set(grading.QUESTION_TYPES)
    for question in Question.objects.all():
        grading.validate_spec(question.type, question.spec)
