"""Learners' section rows follow the section's items: quizzes and exercises added, deleted,
moved, published or unpublished by an instructor after learners made progress."""

from __future__ import annotations

import pytest
from django.utils import translation

from progress.models import ItemCompletion, SectionProgress
from progress.selectors import part_progress_for
from tests.factories import QuestionFactory, QuizFactory, UserFactory
from tests.progress.test_progress import exercise_in, pass_quiz, solve

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks_run_inline(monkeypatch):
    """What the worker would do with the queued task, run here (the broker hop is tested with
    a real worker elsewhere); the tasks queued, in order."""
    queued: list[tuple[str, tuple]] = []

    def enqueue(task, *args, what: str, countdown: float = 0) -> bool:
        queued.append((task.name, args))
        task(*args)
        return True

    monkeypatch.setattr("progress.services.enqueue", enqueue)
    monkeypatch.setattr("quizzes.services.attempt_queue_grading", lambda **kw: True)
    monkeypatch.setattr("grader.services.submission_queue", lambda **kw: True)
    return queued


def row(learner, section) -> tuple[int, int, bool]:
    progress = SectionProgress.objects.get(learner=learner, section=section)
    return progress.items_complete, progress.items_total, progress.completed


def a_quiz(section):
    quiz = QuizFactory.create(section=section)
    QuestionFactory.create(quiz=quiz)
    return quiz


def test_a_quiz_added_to_a_completed_section_reopens_it_and_deleting_it_closes_it(
    part, tasks_run_inline, django_capture_on_commit_callbacks
):
    learner, other = UserFactory.create(), UserFactory.create()
    section = part.sections.get(number="4.2")
    quiz = a_quiz(section)
    pass_quiz(quiz, learner)
    pass_quiz(quiz, other, choice="a")  # failed: section not complete
    assert row(learner, section) == (1, 1, True)
    with translation.override("ru"):
        assert part_progress_for(learner=learner, part=part).summary() == "14% (1 из 7 разделов)"

    with django_capture_on_commit_callbacks(execute=True):
        added = a_quiz(section)

    assert tasks_run_inline == [("progress.tasks.refresh_sections", ([section.pk],))]
    assert row(learner, section) == (1, 2, False)
    assert row(other, section) == (0, 2, False)
    with translation.override("ru"):
        assert part_progress_for(learner=learner, part=part).summary() == "0% (0 из 7 разделов)"

    with django_capture_on_commit_callbacks(execute=True):
        added.delete()

    assert row(learner, section) == (1, 1, True)
    assert row(other, section) == (0, 1, False)


def test_publishing_and_unpublishing_an_exercise_changes_what_completes_the_section(
    part, tasks_run_inline, django_capture_on_commit_callbacks
):
    learner = UserFactory.create()
    section = part.sections.get(number="4.3")
    exercise = exercise_in(section)
    quiz = a_quiz(section)
    pass_quiz(quiz, learner)
    assert row(learner, section) == (1, 2, False)

    with django_capture_on_commit_callbacks(execute=True):
        exercise.is_published = False
        exercise.save()
    assert row(learner, section) == (1, 1, True)

    with django_capture_on_commit_callbacks(execute=True):
        exercise.is_published = True
        exercise.save()
    assert row(learner, section) == (1, 2, False)
    solve(exercise, learner)
    assert row(learner, section) == (2, 2, True)


def test_a_quiz_moved_to_another_section_takes_its_learners_results_along(
    part, tasks_run_inline, django_capture_on_commit_callbacks
):
    learner = UserFactory.create()
    source, target = part.sections.get(number="4.1"), part.sections.get(number="4.2")
    moved, staying = a_quiz(source), a_quiz(source)
    a_quiz(target)
    pass_quiz(moved, learner)
    pass_quiz(staying, learner)
    assert row(learner, source) == (2, 2, True)

    with django_capture_on_commit_callbacks(execute=True):
        moved.section = target
        moved.save()

    assert ItemCompletion.objects.get(learner=learner, quiz=moved).section_id == target.pk
    assert row(learner, source) == (1, 1, True)
    # (the learner had no row in the target section yet: the next grading there makes it)
    assert not SectionProgress.objects.filter(learner=learner, section=target).exists()


def test_a_moved_exercise_counts_where_it_now_is(
    part, tasks_run_inline, django_capture_on_commit_callbacks
):
    learner = UserFactory.create()
    source, target = part.sections.get(number="4.1"), part.sections.get(number="4.2")
    exercise = exercise_in(source)
    pass_quiz(a_quiz(target), learner)
    solve(exercise, learner)
    assert row(learner, source) == (1, 1, True)
    assert row(learner, target) == (1, 1, True)

    with django_capture_on_commit_callbacks(execute=True):
        exercise.section = target
        exercise.save()

    assert row(learner, target) == (2, 2, True)
    assert row(learner, source) == (0, 0, False)  # no items left, material not read


def test_edits_that_keep_the_items_queue_nothing(
    part, tasks_run_inline, django_capture_on_commit_callbacks
):
    section = part.sections.get(number="4.2")
    quiz = a_quiz(section)
    exercise = exercise_in(section)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        quiz.title = "Новое название"
        quiz.pass_score = 80
        quiz.save()
        exercise.statement = "Новый текст"
        exercise.save()
    assert callbacks == []
    assert tasks_run_inline == []
