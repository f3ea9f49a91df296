"""A course import never overwrites what an instructor edited on the site, and never archives
a section that was made on the site or holds work, unless asked to (issue 20, item 1); the
demo loads once and then only adds what is missing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.provenance import ImportPolicy
from courses.models import Course, Section
from courses.services import CourseImportError, course_import, section_save
from quizzes.authoring import question_save, quiz_save
from quizzes.models import Question, Quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def course() -> Course:
    return Course.objects.create(slug="go-for-csharp", title="Go для C# разработчиков")


def without_section(seed: Path, number: str, following: str, tmp_path: Path) -> Path:
    text = seed.read_text(encoding="utf-8")
    start = text.index(f"### {number}")
    edited = tmp_path / "README.md"
    edited.write_text(text[:start] + text[text.index(f"### {following}") :], encoding="utf-8")
    return edited


def renamed(seed: Path, old: str, new: str, tmp_path: Path) -> Path:
    edited = tmp_path / "README.md"
    edited.write_text(seed.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return edited


def test_a_title_edited_on_the_site_is_kept_when_the_readme_changes_it_too(
    course, seed_7_of_7, tmp_path
):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    grpc = Section.objects.get(number="4.4")
    grpc.title = "gRPC и Protobuf"
    section_save(section=grpc)
    edited = renamed(seed_7_of_7, "[gRPC]", "[gRPC-сервисы]", tmp_path)

    dry = course_import(path=edited, course_slug=course.slug, dry_run=True)
    report = course_import(path=edited, course_slug=course.slug)

    assert dry.kept_edited == report.kept_edited == ["section 4.4 gRPC-сервисы: title"]
    grpc.refresh_from_db()
    assert grpc.title == "gRPC и Protobuf"
    assert "--overwrite takes the source's" in "\n".join(report.lines())

    course_import(path=edited, course_slug=course.slug, policy=ImportPolicy.OVERWRITE)
    grpc.refresh_from_db()
    assert grpc.title == "gRPC-сервисы"


def test_an_edit_on_the_site_stays_while_the_readme_changes_something_else(
    course, seed_7_of_7, tmp_path
):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    grpc = Section.objects.get(number="4.4")
    grpc.material = "# gRPC\n\nНаписано на сайте."
    section_save(section=grpc)
    edited = renamed(seed_7_of_7, "[gRPC]", "[gRPC-сервисы]", tmp_path)

    report = course_import(path=edited, course_slug=course.slug)

    grpc.refresh_from_db()
    assert grpc.title == "gRPC-сервисы"
    assert grpc.material == "# gRPC\n\nНаписано на сайте."
    assert "Написано на сайте" in grpc.material_html
    assert report.kept_edited == []


def test_a_section_made_on_the_site_is_not_archived_by_the_next_import(course, seed_7_of_7):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    part = course.parts.get(number=4)
    mine = section_save(
        section=Section(
            part=part, number="4.8", title="Свой раздел", slug="mine", status="published"
        )
    )

    report = course_import(path=seed_7_of_7, course_slug=course.slug)

    mine.refresh_from_db()
    assert mine.status == "published"
    assert report.kept_sections == ["section 4.8 Свой раздел"]
    assert report.archived == []

    out = StringIO()
    call_command(
        "import_course", str(seed_7_of_7), "--course", course.slug, "--overwrite", stdout=out
    )
    mine.refresh_from_db()
    assert mine.status == "archived"
    assert "archived section 4.8 Свой раздел" in out.getvalue()


def test_a_section_holding_a_quiz_is_kept_when_it_leaves_the_readme(course, seed_7_of_7, tmp_path):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    last = Section.objects.get(number="4.7")
    quiz_save(quiz=Quiz(section=last, title="Итог"))
    text = seed_7_of_7.read_text(encoding="utf-8")
    start = text.index("### 4.7")
    end = text.index("\n## ", start)
    edited = tmp_path / "README.md"
    edited.write_text(text[:start] + text[end + 1 :], encoding="utf-8")

    report = course_import(path=edited, course_slug=course.slug)

    last.refresh_from_db()
    assert last.status == "published"
    assert [line for line in report.lines() if line.startswith("kept")] == [
        f"kept section 4.7 {last.title} (no longer in the source; --overwrite archives it)"
    ]


def test_a_kept_section_whose_number_the_readme_gives_away_refuses_the_import(
    course, seed_7_of_7, tmp_path
):
    course_import(path=seed_7_of_7, course_slug=course.slug)
    grpc = Section.objects.get(number="4.4")
    quiz_save(quiz=Quiz(section=grpc, title="gRPC"))
    # 4.4 leaves the README and 4.5 moves up to take its number
    edited = without_section(seed_7_of_7, "4.4", "4.5", tmp_path)
    text = edited.read_text(encoding="utf-8")
    for old, new in (("4.5", "4.4"), ("4.6", "4.5"), ("4.7", "4.6")):
        text = text.replace(f"### {old}", f"### {new}")
    edited.write_text(text, encoding="utf-8")
    before = list(Section.objects.values_list("id", "number", "title", "status"))

    with pytest.raises(CourseImportError, match=r"would take the number or slug of section 4\.4"):
        course_import(path=edited, course_slug=course.slug)
    assert list(Section.objects.values_list("id", "number", "title", "status")) == before

    with pytest.raises(CommandError, match=r"--overwrite"):
        call_command("import_course", str(edited), "--course", course.slug, stdout=StringIO())

    course_import(path=edited, course_slug=course.slug, policy=ImportPolicy.OVERWRITE)
    grpc.refresh_from_db()
    assert grpc.status == "archived"
    assert grpc.quizzes.count() == 1


# --- the demo ----------------------------------------------------------------------


def load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", "--no-exercises", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_loading_the_demo_again_keeps_every_edit_and_adds_what_is_missing():
    load_demo()
    section = Section.objects.get(part__course__slug="go-for-csharp", number="4.2")
    quiz = section.quizzes.get()
    added = question_save(
        question=Question(
            quiz=quiz, type="true_false", title="Моё", text="Вопрос с сайта?", spec={"answer": True}
        )
    )
    edited = quiz.questions.exclude(pk=added.pk).first()
    edited.text = "Исправлено на сайте"
    question_save(question=edited)
    section.material = "Переписано на сайте."
    section_save(section=section)
    gone = Section.objects.get(part__course__slug="go-for-csharp", number="4.3").quizzes.get()
    gone_title = gone.title
    Question.objects.filter(quiz=gone).delete()
    gone.delete()

    load_demo()

    assert Question.objects.filter(pk=added.pk).exists()
    edited.refresh_from_db()
    assert edited.text == "Исправлено на сайте"
    section.refresh_from_db()
    assert section.material == "Переписано на сайте."
    # what was missing is back
    restored = Section.objects.get(part__course__slug="go-for-csharp", number="4.3").quizzes.get()
    assert restored.title == gone_title
    assert restored.questions.count() >= 6


def test_each_start_loads_the_demo_only_into_a_database_without_it():
    assert "demo user learner created" in load_demo("--if-new")
    quiz = Section.objects.get(part__course__slug="go-for-csharp", number="4.2").quizzes.get()
    deleted = quiz.questions.first()
    deleted.delete()

    assert "already here: not loaded again" in load_demo("--if-new")
    assert not Question.objects.filter(title=deleted.title, quiz=quiz).exists()
