"""A GIFT import never overwrites or removes what an instructor made or changed on the site,
nor an answered question's key, unless asked to (issue 20, item 1)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.provenance import ImportPolicy
from quizzes.authoring import question_save, quiz_import_gift
from quizzes.models import Answer, Attempt, Question
from tests.factories import SectionFactory, UserFactory

pytestmark = pytest.mark.django_db

GIFT = (
    "::Компиляция:: Go компилируемый? {T}\n\n"
    "::Сумма:: 2+2? {#4}\n\n"
    "::Канал:: Что передаёт канал? {=значения ~исключения}\n"
)


@pytest.fixture
def gift(tmp_path: Path) -> Path:
    path = tmp_path / "q.gift"
    path.write_text(GIFT, encoding="utf-8")
    return path


@pytest.fixture
def section():
    return SectionFactory.create(number="4.2")


def rows(quiz) -> dict[str, tuple]:
    return {q.title: (q.text, q.spec, q.points) for q in quiz.questions.all()}


def test_a_question_added_on_the_site_survives_the_next_import(section, gift):
    # Regression: `./bin/run` re-imported the demo quiz at every start and removed a question
    # an instructor had added in the admin ("... 1 removed").
    quiz = quiz_import_gift(section=section, path=gift).quiz
    mine = question_save(
        question=Question(
            quiz=quiz, type="true_false", title="Моё", text="Свой?", spec={"answer": True}
        )
    )

    report = quiz_import_gift(section=section, path=gift)

    assert Question.objects.filter(pk=mine.pk).exists()
    assert report.removed == []
    assert report.kept_site == ["Моё"]
    assert "kept question Моё (not in the file, but made or edited on the site" in "\n".join(
        report.lines()
    )

    forced = quiz_import_gift(section=section, path=gift, policy=ImportPolicy.OVERWRITE)
    assert forced.removed == ["Моё"]
    assert not Question.objects.filter(pk=mine.pk).exists()


def test_an_edit_on_the_site_stays_when_the_file_did_not_change(section, gift):
    quiz = quiz_import_gift(section=section, path=gift).quiz
    question = quiz.questions.get(title="Сумма")
    question.text = "Сколько будет 2+2?"
    question_save(question=question)

    report = quiz_import_gift(section=section, path=gift)

    question.refresh_from_db()
    assert question.text == "Сколько будет 2+2?"
    assert report.updated == []
    assert not report.conflicts


def test_the_files_change_lands_beside_an_edit_of_another_field(section, gift):
    quiz = quiz_import_gift(section=section, path=gift).quiz
    question = quiz.questions.get(title="Сумма")
    question.text = "Сколько будет 2+2?"
    question_save(question=question)
    gift.write_text(GIFT.replace("{#4}", "{#4 #### Два и два.}"), encoding="utf-8")

    report = quiz_import_gift(section=section, path=gift)

    question.refresh_from_db()
    assert (question.text, question.explanation) == ("Сколько будет 2+2?", "Два и два.")
    assert report.updated == ["Сумма: explanation"]


def test_both_changed_keeps_the_sites_and_says_so_until_overwrite(section, gift):
    quiz = quiz_import_gift(section=section, path=gift).quiz
    question = quiz.questions.get(title="Сумма")
    question.text = "Сколько будет 2+2?"
    question_save(question=question)
    gift.write_text(GIFT.replace("2+2?", "Два плюс два?"), encoding="utf-8")

    dry = quiz_import_gift(section=section, path=gift, dry_run=True)
    report = quiz_import_gift(section=section, path=gift)

    assert dry.kept_edited == report.kept_edited == ["Сумма: text"]
    question.refresh_from_db()
    assert question.text == "Сколько будет 2+2?"
    assert "kept question Сумма: text as edited on the site" in "\n".join(report.lines())

    quiz_import_gift(section=section, path=gift, policy=ImportPolicy.OVERWRITE)
    question.refresh_from_db()
    assert question.text == "Два плюс два?"
    # ... and from then on the row is the import's again: the next change just lands
    gift.write_text(GIFT.replace("2+2?", "Два + два?"), encoding="utf-8")
    assert quiz_import_gift(section=section, path=gift).updated == ["Сумма: text"]


def test_an_answered_questions_key_changes_only_with_overwrite(section, gift):
    quiz = quiz_import_gift(section=section, path=gift).quiz
    question = quiz.questions.get(title="Сумма")
    attempt = Attempt.objects.create(
        learner=UserFactory.create(), quiz=quiz, number=1, seed=1, started_at=timezone.now()
    )
    Answer.objects.create(
        attempt=attempt, question=question, response={"value": "4"}, saved_at=timezone.now()
    )
    gift.write_text(GIFT.replace("{#4}", "{#5}"), encoding="utf-8")

    report = quiz_import_gift(section=section, path=gift)

    question.refresh_from_db()
    assert question.spec["answers"][0]["value"] == "4"
    assert report.kept_learners == ["Сумма: spec"]
    assert "learners have answered it" in "\n".join(report.lines())

    quiz_import_gift(section=section, path=gift, policy=ImportPolicy.OVERWRITE)
    question.refresh_from_db()
    assert question.spec["answers"][0]["value"] == "5"
    assert question.answers.count() == 1


def test_a_dry_run_writes_nothing(section, gift):
    quiz = quiz_import_gift(section=section, path=gift).quiz
    before = rows(quiz)
    gift.write_text("::Новый:: Новый вопрос? {F}\n", encoding="utf-8")

    report = quiz_import_gift(section=section, path=gift, dry_run=True)

    assert report.created == ["Новый"]
    assert sorted(report.removed) == ["Канал", "Компиляция", "Сумма"]
    assert rows(quiz) == before


def test_add_only_creates_what_is_missing_and_touches_nothing_else(section, gift):
    quiz = quiz_import_gift(section=section, path=gift).quiz
    quiz.questions.get(title="Канал").delete()
    gift.write_text(GIFT.replace("2+2?", "Два плюс два?"), encoding="utf-8")

    report = quiz_import_gift(section=section, path=gift, policy=ImportPolicy.ADD_ONLY)

    assert report.created == ["Канал"]
    assert report.updated == []
    assert quiz.questions.get(title="Сумма").text == "2+2?"


def test_the_command_shows_a_dry_run_and_needs_overwrite(section, gift):
    quiz = quiz_import_gift(section=section, path=gift).quiz
    question_save(
        question=Question(
            quiz=quiz, type="true_false", title="Моё", text="Свой?", spec={"answer": True}
        )
    )

    out = StringIO()
    call_command("import_gift", "4.2", str(gift), "--dry-run", stdout=out)
    assert "kept question Моё" in out.getvalue()
    assert "dry run: nothing was written" in out.getvalue()

    call_command("import_gift", "4.2", str(gift), "--overwrite", stdout=StringIO())
    assert not quiz.questions.filter(title="Моё").exists()
    assert quiz.questions.get(title="Сумма").points == Decimal("1")
