"""Learner progress: completion rules, kept right by the gradings, regrade, reconciliation."""

from __future__ import annotations

import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.utils import translation

from grader.models import CodingExercise, Submission
from grader.services import submission_grade
from progress.models import ItemCompletion, SectionProgress
from progress.selectors import course_progress_for, part_progress_for
from progress.services import progress_reconcile, section_mark_read
from quizzes.authoring import question_save
from quizzes.models import Attempt, Quiz
from quizzes.services import (
    attempt_grade,
    attempt_regrade,
    attempt_save_answers,
    attempt_start,
    attempt_submit,
)
from tests.factories import QuestionFactory, QuizFactory, UserFactory, exercise_stored
from tests.grader.test_services import FakeRunner

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("quizzes.services.attempt_queue_grading", lambda **kw: True)
    monkeypatch.setattr("grader.services.submission_queue", lambda **kw: True)


def pass_quiz(quiz: Quiz, learner, choice: str = "b") -> Attempt:
    attempt = attempt_start(learner=learner, quiz=quiz)
    attempt_save_answers(
        attempt=attempt, responses={q.pk: {"choice": choice} for q in quiz.questions.all()}
    )
    attempt_submit(attempt=attempt)
    attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    return attempt


def exercise_in(section) -> CodingExercise:
    return exercise_stored(
        section=section, slug=f"ex-{section.pk}", title="Кэш", statement="…", language="go",
        starter_files={"a.go": "package a"}, reference_files={"a.go": "package a // SOLVED"},
        test_files={"a_test.go": "package a"}, is_published=True, check_status="ok",
    )  # fmt: skip


def solve(exercise: CodingExercise, learner, code: str = "SOLVED") -> Submission:
    submission = Submission.objects.create(
        learner=learner, exercise=exercise, files={"a.go": code}, status="queued"
    )
    submission_grade(submission_id=submission.pk, runner=FakeRunner())
    return submission


def test_passing_the_only_quiz_completes_the_section_and_moves_the_part(part):
    learner = UserFactory.create()
    section = part.sections.get(number="4.2")
    quiz = QuizFactory.create(section=section)
    QuestionFactory.create(quiz=quiz)
    with translation.override("ru"):
        assert part_progress_for(learner=learner, part=part).summary() == "0% (0 из 7 разделов)"

    pass_quiz(quiz, learner)

    progress = SectionProgress.objects.get(learner=learner, section=section)
    assert (progress.items_complete, progress.items_total, progress.completed) == (1, 1, True)
    assert progress.completed_at is not None
    with translation.override("ru"):
        assert part_progress_for(learner=learner, part=part).summary() == "14% (1 из 7 разделов)"
    assert course_progress_for(learner=learner, course=part.course).done == 1


def test_a_failed_quiz_does_not_complete_it(part):
    learner = UserFactory.create()
    quiz = QuizFactory.create(section=part.sections.first())
    QuestionFactory.create(quiz=quiz)
    pass_quiz(quiz, learner, choice="a")  # wrong
    assert not SectionProgress.objects.get(learner=learner).completed
    assert ItemCompletion.objects.get(learner=learner, quiz=quiz).score == Decimal("0.00")


def test_a_section_needs_all_its_items(part):
    learner = UserFactory.create()
    section = part.sections.first()
    quiz = QuizFactory.create(section=section)
    QuestionFactory.create(quiz=quiz)
    exercise = exercise_in(section)

    pass_quiz(quiz, learner)
    progress = SectionProgress.objects.get(learner=learner, section=section)
    assert (progress.items_complete, progress.items_total, progress.completed) == (1, 2, False)

    solve(exercise, learner, code="wrong")
    assert not SectionProgress.objects.get(learner=learner, section=section).completed
    solve(exercise, learner)
    assert SectionProgress.objects.get(learner=learner, section=section).completed


def test_a_section_without_items_is_complete_when_read(part):
    learner = UserFactory.create()
    section = part.sections.first()
    assert section_mark_read(learner=learner, section=section).completed
    assert part_progress_for(learner=learner, part=part).done == 1


def test_a_regrade_that_lowers_the_grade_makes_the_section_incomplete_again(part):
    learner = UserFactory.create()
    section = part.sections.first()
    quiz = QuizFactory.create(section=section, score_policy="last")
    question = QuestionFactory.create(quiz=quiz)
    attempt = pass_quiz(quiz, learner)
    assert SectionProgress.objects.get(learner=learner).completed

    # the instructor finds the key was wrong: "c" is right, not "b"
    question.spec = {"choices": [{"id": "a", "text": "x", "weight": 0},
                                 {"id": "b", "text": "y", "weight": 0},
                                 {"id": "c", "text": "z", "weight": 100}]}  # fmt: skip
    question_save(question=question)
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        attempt_regrade(attempt=attempt)
    attempt_grade(attempt_id=attempt.pk)

    progress = SectionProgress.objects.get(learner=learner)
    assert progress.completed is False
    assert progress.completed_at is None
    assert ItemCompletion.objects.get(learner=learner, quiz=quiz).complete is False


def test_reconciliation_repairs_drift_and_says_how_much(part, caplog):
    learner = UserFactory.create()
    section = part.sections.first()
    quiz = QuizFactory.create(section=section)
    QuestionFactory.create(quiz=quiz)
    pass_quiz(quiz, learner)
    assert progress_reconcile().items_fixed == 0

    # drift: a lost update and a deleted item row
    SectionProgress.objects.filter(learner=learner).update(completed=False, items_complete=0)
    ItemCompletion.objects.filter(learner=learner).delete()

    result = progress_reconcile()

    assert (result.items_fixed, result.sections_fixed) == (1, 0)  # item re-record fixed it
    progress = SectionProgress.objects.get(learner=learner)
    assert (progress.items_complete, progress.completed) == (1, True)
    SectionProgress.objects.filter(learner=learner).update(completed=False, items_complete=0)
    assert progress_reconcile().sections_fixed == 1
    assert "reconciliation fixed drift" in caplog.text


def race(*jobs) -> list[BaseException]:
    """Run the jobs in threads released at the same moment; return what they raised."""
    barrier = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return failures


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_two_gradings_finishing_one_section_at_once_lose_no_update(part):
    # Several rounds, one section each: a lost update shows up in one of them
    # (without the row lock, nearly every round loses one on PostgreSQL).
    learner = UserFactory.create()
    for section in part.sections.all()[:5]:
        # given a section with a quiz and an exercise, both about to be graded
        quiz = QuizFactory.create(section=section)
        QuestionFactory.create(quiz=quiz)
        exercise = exercise_in(section)
        attempt = attempt_start(learner=learner, quiz=quiz)
        attempt_save_answers(
            attempt=attempt, responses={q.pk: {"choice": "b"} for q in quiz.questions.all()}
        )
        attempt_submit(attempt=attempt)
        submission = Submission.objects.create(
            learner=learner, exercise=exercise, files={"a.go": "SOLVED"}, status="queued"
        )
        # (the row exists already, as it does once a learner has any progress: the
        # insert of a new row would itself make the second grading wait)
        SectionProgress.objects.create(learner=learner, section=section, items_total=2)

        # when two workers finish them at the same moment
        failures = race(
            lambda attempt=attempt: attempt_grade(attempt_id=attempt.pk),
            lambda submission=submission: submission_grade(
                submission_id=submission.pk, runner=FakeRunner()
            ),
        )

        # then the section counts both
        assert failures == []
        progress = SectionProgress.objects.get(learner=learner, section=section)
        assert (progress.items_complete, progress.items_total, progress.completed) == (2, 2, True)
