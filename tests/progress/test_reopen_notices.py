"""Progress notices: new work that reopens a section the learner had completed is named on
the section and course pages (issue 22, item 6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from grader.services import exercise_publish
from progress.items import ItemRef
from progress.models import SectionProgress
from progress.presentation import reopen_notice_text
from progress.services import item_record, section_mark_read
from tests.factories import UserFactory
from tests.progress.test_progress import exercise_in, pass_quiz, solve
from tests.progress.test_section_items import a_quiz

pytestmark = pytest.mark.django_db


def progress_row(learner, section) -> SectionProgress:
    return SectionProgress.objects.get(learner=learner, section=section)


def test_a_published_exercise_reopens_a_completed_section_and_the_pages_say_why(
    client: Client, part, tasks_run_inline, django_capture_on_commit_callbacks
) -> None:
    learner, newcomer = UserFactory.create(), UserFactory.create()
    section = part.sections.get(number="4.2")
    pass_quiz(a_quiz(section), learner)
    pass_quiz(a_quiz(section), learner)
    assert progress_row(learner, section).completed
    exercise = exercise_in(section)
    with django_capture_on_commit_callbacks(execute=True):
        exercise_publish(exercise=exercise, publish=False)
    assert progress_row(learner, section).reopened_at is None  # fewer items: still complete
    section_mark_read(learner=newcomer, section=section)  # started, never completed

    with django_capture_on_commit_callbacks(execute=True):
        exercise_publish(exercise=exercise)

    row = progress_row(learner, section)
    assert (row.items_complete, row.items_total, row.completed) == (2, 3, False)
    assert row.reopened_at is not None
    assert progress_row(newcomer, section).reopened_at is None  # had not completed it
    notice = "Раздел снова открыт: добавлено новое упражнение «Кэш»."
    client.force_login(learner)
    section_html = client.get(section.get_absolute_url()).content.decode()
    assert 'data-testid="reopened-notice"' in section_html
    assert notice in section_html
    course_html = client.get(part.course.get_absolute_url()).content.decode()
    assert notice in course_html
    assert f'href="{section.get_absolute_url()}"' in course_html
    client.force_login(newcomer)
    assert "Раздел снова открыт" not in client.get(section.get_absolute_url()).content.decode()

    solve(exercise, learner)

    row = progress_row(learner, section)
    assert row.completed
    assert row.reopened_at is None
    client.force_login(learner)
    assert "Раздел снова открыт" not in client.get(section.get_absolute_url()).content.decode()
    assert "Раздел снова открыт" not in client.get(part.course.get_absolute_url()).content.decode()


def test_a_quiz_added_to_a_section_read_as_complete_reopens_it_in_english(
    client: Client, part, tasks_run_inline, django_capture_on_commit_callbacks
) -> None:
    learner = UserFactory.create()
    section = part.sections.get(number="4.3")
    section_mark_read(learner=learner, section=section)  # no items: reading completes it
    assert progress_row(learner, section).completed

    with django_capture_on_commit_callbacks(execute=True):
        quiz = a_quiz(section)

    client.force_login(learner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(section.get_absolute_url()).content.decode()
    assert f"Section reopened: a new quiz «{quiz.title}» was added." in html


def test_a_lower_grade_is_not_reported_as_new_work(part) -> None:
    learner = UserFactory.create()
    section = part.sections.get(number="4.4")
    quiz = a_quiz(section)
    pass_quiz(quiz, learner)
    assert progress_row(learner, section).completed

    # A regrade takes the pass away: the section is open again, but nothing was added.
    item_record(learner_id=learner.pk, section_id=section.pk, item=ItemRef("quiz", quiz.pk),
                complete=False, score=Decimal(10))  # fmt: skip

    row = progress_row(learner, section)
    assert not row.completed
    assert row.reopened_at is None


def test_several_new_items_are_all_named() -> None:
    with translation.override("ru"):
        text = reopen_notice_text([("exercise", "Кэш"), ("quiz", "Тест 4.2")])
    assert (
        text == "Раздел снова открыт: добавлены новые задания: упражнение «Кэш», тест «Тест 4.2»."
    )
    with translation.override("en"):
        assert reopen_notice_text([]) == "Section reopened: new work was added."
