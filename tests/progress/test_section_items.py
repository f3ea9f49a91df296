"""Learners' section rows follow the section's items: quizzes and exercises added, deleted,
moved, published or unpublished by an instructor after learners made progress, through the
authoring services (the admin's, the API's and the imports' one way in)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from grader.models import CodingExercise
from grader.services import (
    exercise_check,
    exercise_check_and_publish,
    exercise_publish,
    exercise_save,
    exercise_submit_edit,
)
from progress.models import ItemCompletion, SectionProgress
from progress.selectors import part_progress_for
from progress.services import progress_reconcile, section_progress_refresh
from quizzes.authoring import quiz_delete, quiz_save
from quizzes.models import Quiz
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.grader.test_services import FakeRunner
from tests.progress.test_progress import exercise_in, pass_quiz, solve

pytestmark = pytest.mark.django_db


def row(learner, section) -> tuple[int, int, bool]:
    progress = SectionProgress.objects.get(learner=learner, section=section)
    return progress.items_complete, progress.items_total, progress.completed


def a_quiz(section):
    quiz = quiz_save(quiz=QuizFactory.build(section=section))
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
        quiz_delete(quiz=added)

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
        exercise_publish(exercise=exercise, publish=False)
    assert row(learner, section) == (1, 1, True)

    with django_capture_on_commit_callbacks(execute=True):
        exercise_publish(exercise=exercise)
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
        quiz_save(quiz=moved)

    assert ItemCompletion.objects.get(learner=learner, quiz=moved).section_id == target.pk
    assert row(learner, source) == (1, 1, True)
    # no row in the target section yet: made, with the result that moved in
    assert row(learner, target) == (1, 2, False)


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
        exercise_save(exercise=exercise, runner=FakeRunner())  # checked again, published

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
        quiz_save(quiz=quiz)
        exercise.statement = "Новый текст"
        exercise_save(exercise=exercise, runner=FakeRunner())  # unpublished, checked, published
    assert callbacks == []
    assert tasks_run_inline == []


def test_a_stale_copy_of_a_moved_exercise_saved_later_does_not_move_results_back(
    part, tasks_run_inline, django_capture_on_commit_callbacks
):
    # The check task holds the exercise for a minute; meanwhile the instructor moves it.
    learner = UserFactory.create()
    source, target = part.sections.get(number="4.1"), part.sections.get(number="4.2")
    exercise = exercise_in(source)
    solve(exercise, learner)
    stale = CodingExercise.objects.get(pk=exercise.pk)
    with django_capture_on_commit_callbacks(execute=True):
        exercise.section = target
        exercise_save(exercise=exercise, runner=FakeRunner())
    assert row(learner, target) == (1, 1, True)

    with django_capture_on_commit_callbacks(execute=True):
        exercise_check(exercise=stale, runner=FakeRunner())  # section 4.1 in memory only

    assert CodingExercise.objects.get(pk=exercise.pk).section_id == target.pk
    assert ItemCompletion.objects.get(learner=learner, exercise=exercise).section_id == target.pk
    assert row(learner, target) == (1, 1, True)
    assert row(learner, source) == (0, 0, False)


def test_a_result_recorded_in_the_old_section_after_a_move_counts_in_the_new_one(part):
    # A grading read the quiz's section before a move and wrote its result after it.
    learner = UserFactory.create()
    source, target = part.sections.get(number="4.1"), part.sections.get(number="4.2")
    quiz = a_quiz(source)
    Quiz.objects.filter(pk=quiz.pk).update(section=target)  # the move, no service involved
    pass_quiz(quiz, learner)
    ItemCompletion.objects.filter(learner=learner).update(section=source)  # the late write

    assert section_progress_refresh(learner_id=learner.pk, section_id=target.pk).completed
    assert not section_progress_refresh(learner_id=learner.pk, section_id=source.pk).completed
    assert progress_reconcile().items_fixed == 1  # the item row's section repaired
    assert ItemCompletion.objects.get(learner=learner, quiz=quiz).section_id == target.pk


def test_an_edited_exercise_being_checked_again_does_not_flip_the_section(
    part, tasks_run_inline, django_capture_on_commit_callbacks, monkeypatch
):
    # An edit unpublishes the exercise until its check, queued, publishes it again: meanwhile
    # the section must not become complete (and send section.completed) for a minute.
    monkeypatch.setattr("grader.services.exercise_queue_check", lambda **kw: True)
    learner = UserFactory.create()
    section = part.sections.get(number="4.3")
    exercise = exercise_in(section)
    pass_quiz(a_quiz(section), learner)
    assert row(learner, section) == (1, 2, False)

    with django_capture_on_commit_callbacks(execute=True):
        exercise_submit_edit(exercise=exercise, publish=True)
    # (the setup's saves, never committed in a test, join this refresh: hence "in")
    assert any(name == "retry later" and section.pk in args[0] for name, args in tasks_run_inline)
    assert row(learner, section) == (1, 2, False)

    with django_capture_on_commit_callbacks(execute=True):
        exercise_check_and_publish(exercise_id=exercise.pk, publish=True, runner=FakeRunner())
    assert CodingExercise.objects.get(pk=exercise.pk).is_published
    assert row(learner, section) == (1, 2, False)
    assert SectionProgress.objects.get(learner=learner, section=section).completed_at is None


def test_one_transaction_changing_many_items_queues_one_refresh(
    part, tasks_run_inline, django_capture_on_commit_callbacks
):
    sections = list(part.sections.order_by("number")[:3])
    with django_capture_on_commit_callbacks(execute=True):
        for section in sections:
            a_quiz(section)
            a_quiz(section)
    refreshes = [args for name, args in tasks_run_inline if name.endswith("refresh_sections")]
    assert refreshes == [([s.pk for s in sections],)]


def test_a_check_that_never_ends_delays_the_refresh_only_so_long(part):
    # The check's task was lost: after waiting (progress.tasks.CHECK_WAITS tries), the rows
    # are refreshed with the exercise unpublished, as it then is.
    from progress.tasks import refresh_sections_task

    learner = UserFactory.create()
    section = part.sections.get(number="4.3")
    exercise = exercise_in(section)
    pass_quiz(a_quiz(section), learner)
    CodingExercise.objects.filter(pk=exercise.pk).update(
        is_published=False, check_status="unchecked"
    )

    result = refresh_sections_task.apply(args=[[section.pk]])  # eager: retries at once

    assert result.successful()
    assert result.get() == 1
    assert row(learner, section) == (1, 1, True)


def test_an_item_learners_worked_on_moves_within_its_course_only(part):
    learner = UserFactory.create()
    quiz, exercise = a_quiz(part.sections.get(number="4.1")), exercise_in(part.sections.first())
    pass_quiz(quiz, learner)
    solve(exercise, learner)
    elsewhere = SectionFactory.create()  # another course's section
    assert elsewhere.part.course_id != part.course_id

    for item in (quiz, exercise):
        item.section = elsewhere
        with pytest.raises(ValidationError) as refused:
            item.full_clean()
        assert "section" in refused.value.message_dict
        item.section = part.sections.get(number="4.5")
        item.full_clean()  # within the course: fine

    untouched = a_quiz(part.sections.get(number="4.2"))
    untouched.section = elsewhere
    untouched.full_clean()  # nobody has attempted it: it may go
