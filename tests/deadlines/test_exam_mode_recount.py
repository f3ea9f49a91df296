"""Switching exam mode on or off (or moving the release date) recounts the progress of the
item's learners at once, through a task after the commit (progress.tasks.recount_items on
the quiz queue), not at the hourly reconciliation: held work counts as done, released work
counts when it passed (deadlines.policy.counts_complete)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courses.models import Course
from courses.services import course_save, section_schedule_set
from grader.services import exercise_schedule_set
from progress.models import ItemCompletion, SectionProgress
from quizzes.authoring import quiz_save
from quizzes.models import Quiz
from tests.api.conftest import World
from tests.deadlines.test_exam_mode import exam

pytestmark = pytest.mark.django_db

__all__ = ["exam"]


def complete_items(world: World) -> set[tuple[str, int]]:
    """The learner's complete items, ("quiz" | "exercise", id)."""
    return {
        ("quiz", quiz_id) if quiz_id else ("exercise", exercise_id)
        for quiz_id, exercise_id in ItemCompletion.objects.filter(
            learner=world.learner, complete=True
        ).values_list("quiz_id", "exercise_id")
    }


def section_completed(world: World) -> bool:
    return SectionProgress.objects.get(learner=world.learner, section=world.section).completed


def test_turning_the_sections_exam_mode_off_and_the_courses_on_recounts_at_once(
    exam: World, tasks_run_inline, django_capture_on_commit_callbacks
):
    world = exam
    # Given the section in exam mode: the failed attempt and submission count as done
    assert complete_items(world) == {("quiz", world.quiz.pk), ("exercise", world.exercise.pk)}
    assert section_completed(world)

    # When the instructor turns the section's exam mode off
    with django_capture_on_commit_callbacks(execute=True):
        section_schedule_set(section=world.section, values={"results_policy": ""})

    # Then one task for the section queued one per item in it, which recounted its learners:
    # neither passed, nothing is complete
    assert tasks_run_inline == [
        ("progress.tasks.recount_items", ("section", world.section.pk)),
        ("progress.tasks.recount_items", ("quiz", world.quiz.pk)),
        ("progress.tasks.recount_items", ("codingexercise", world.exercise.pk)),
    ]
    assert complete_items(world) == set()
    assert not section_completed(world)

    # When the course (the level above) turns exam mode on
    course = Course.objects.get(pk=world.course_a.pk)
    course.results_policy = "on_release"
    with django_capture_on_commit_callbacks(execute=True):
        course_save(course=course)

    # Then handed-in work counts as done again
    assert tasks_run_inline[3] == ("progress.tasks.recount_items", ("course", course.pk))
    assert complete_items(world) == {("quiz", world.quiz.pk), ("exercise", world.exercise.pk)}
    assert section_completed(world)


def test_an_items_own_exam_mode_recounts_that_item_only(
    exam: World, tasks_run_inline, django_capture_on_commit_callbacks
):
    world = exam
    # When the quiz says "shown" (the section keeps the exercise in exam mode)
    quiz = Quiz.objects.get(pk=world.quiz.pk)
    quiz.results_policy = "shown"
    with django_capture_on_commit_callbacks(execute=True):
        quiz_save(quiz=quiz)

    # Then the quiz's failed attempt no longer counts; the held submission still does
    assert tasks_run_inline == [("progress.tasks.recount_items", ("quiz", quiz.pk))]
    assert complete_items(world) == {("exercise", world.exercise.pk)}
    assert not section_completed(world)

    # When the exercise's release date is set in the past (released by date)
    with django_capture_on_commit_callbacks(execute=True):
        exercise_schedule_set(
            exercise=world.exercise, values={"results_release_at": timezone.now() - timedelta(1)}
        )
    recount = ("progress.tasks.recount_items", ("codingexercise", world.exercise.pk))
    assert tasks_run_inline[-1] == recount
    assert complete_items(world) == set()


def test_a_save_that_leaves_exam_mode_alone_queues_nothing(
    exam: World, tasks_run_inline, django_capture_on_commit_callbacks
):
    world = exam
    quiz = Quiz.objects.get(pk=world.quiz.pk)
    quiz.title = "Renamed"
    with django_capture_on_commit_callbacks(execute=True):
        quiz_save(quiz=quiz)
        section_schedule_set(section=world.section, values={"due_at": timezone.now()})
        exercise_schedule_set(exercise=world.exercise, values={"late_percent": 10})
    assert tasks_run_inline == []
