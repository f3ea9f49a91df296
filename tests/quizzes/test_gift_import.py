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


def test_a_file_with_no_question_to_import_is_refused_and_nothing_is_imported(tmp_path):
    section = SectionFactory.create()
    gift = tmp_path / "q.gift"
    gift.write_text("::Каналы:: Что такое канал? {=труба ~дыра\n", encoding="utf-8")

    with pytest.raises(QuizImportError, match=r"q\.gift:1: question 'Каналы': "):
        quiz_import_gift(section=section, path=gift)

    assert not Quiz.objects.exists()
    assert not Question.objects.exists()


def test_questions_that_cannot_be_read_are_skipped_and_named_the_rest_imports(tmp_path):
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

    report = quiz_import_gift(section=SectionFactory.create(), path=gift)

    lines = [problem.split(": question")[0] for problem in report.skipped]
    assert [line.rsplit(":", 1)[-1] for line in lines] == ["3", "5", "11"]
    assert "sum to 70%" in report.skipped[2]
    # Two questions may share a name, as in Moodle.
    assert list(report.quiz.questions.values_list("title", "text")) == [
        ("A", "ok"),
        ("D", "всё хорошо"),
        ("A", "снова A"),
    ]
    assert report.lines()[-1] == "3 questions imported, 3 skipped"


def test_reimport_matches_questions_of_the_same_name_in_order(tmp_path):
    section = SectionFactory.create()
    gift = tmp_path / "q.gift"
    gift.write_text("::A:: one {T}\n\n::A:: two {F}\n", encoding="utf-8")
    quiz = quiz_import_gift(section=section, path=gift).quiz
    ids = list(quiz.questions.values_list("id", flat=True))

    gift.write_text("::A:: one {T}\n\n::A:: two, edited {F}\n", encoding="utf-8")
    report = quiz_import_gift(section=section, path=gift)

    assert (report.unchanged, report.updated) == (["A"], ["A: text"])
    assert list(quiz.questions.values_list("id", flat=True)) == ids


def test_every_category_is_a_quiz_named_as_moodle_names_it(tmp_path):
    section = SectionFactory.create(title="Раздел")
    gift = tmp_path / "bank.gift"
    gift.write_text(
        "::intro:: Before any category {T}\n\n"
        "$CATEGORY: $course$/top/Default for Go/Каналы\n\n"
        "::a:: Q {T}\n\n"
        "$CATEGORY: $course$/top/Default for Go/Горутины\n\n"
        "// [id:G-1] [tag:основы]\n"
        "::b:: Q {F}\n\n"
        "::c:: Q {=x ~y}\n\n"
        "$CATEGORY: $course$/top/Other/Каналы\n\n"
        "::d:: Q {T}\n",
        encoding="utf-8",
    )

    report = quiz_import_gift(section=section, path=gift)

    titles = {
        quiz.title: list(quiz.questions.values_list("title", flat=True))
        for quiz in section.quizzes.all()
    }
    assert titles == {
        "Раздел": ["intro"],
        "Default for Go / Каналы": ["a"],
        "Горутины": ["b", "c"],
        "Other / Каналы": ["d"],
    }
    b = Question.objects.get(title="b")
    assert (b.idnumber, b.tags) == ("G-1", ["основы"])
    assert "Горутины / b" in report.created
    assert "quiz 'Горутины': 2 created, 0 updated, 0 removed, 0 unchanged" in report.lines()
    # Exported quiz by quiz, each imports back into the same quiz.
    quiz = section.quizzes.get(title="Горутины")
    exported = tmp_path / "export.gift"
    exported.write_text(quiz_export_gift(quiz=quiz)[0], encoding="utf-8")
    again = quiz_import_gift(section=section, path=exported)
    assert (again.quiz.title, again.unchanged) == ("Горутины", ["b", "c"])


def test_quiz_title_puts_every_category_into_one_quiz(tmp_path):
    section = SectionFactory.create()
    gift = tmp_path / "bank.gift"
    gift.write_text("$CATEGORY: a\n\n::a:: Q {T}\n\n$CATEGORY: b\n\n::b:: Q {T}\n")

    report = quiz_import_gift(section=section, path=gift, quiz_title="Один")

    assert [q.title for q in section.quizzes.all()] == ["Один"]
    assert report.quiz.questions.count() == 2


def test_description_is_imported_as_an_ungraded_item(tmp_path):
    gift = tmp_path / "q.gift"
    gift.write_text("::Intro:: Read this first.\n\n::Q:: Go? {T}\n", encoding="utf-8")

    quiz = quiz_import_gift(section=SectionFactory.create(), path=gift).quiz

    intro = quiz.questions.get(title="Intro")
    assert (intro.type, intro.points, intro.text) == ("description", 0, "Read this first.")
    text, skipped = quiz_export_gift(quiz=quiz)
    assert "::Intro::Read this first." in text
    assert skipped == []


def test_commands(tmp_path):
    section = SectionFactory.create(number="4.2")
    out = StringIO()
    call_command("import_gift", "4.2", str(DEMO_QUIZZES / "4.2.gift"), stdout=out)
    assert "created question 4.2-1" in out.getvalue()
    assert out.getvalue().rstrip().endswith("questions imported, 0 skipped")
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
