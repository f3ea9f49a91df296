"""The exercise admin writes through grader.services: learners' submissions are never deleted,
and an exercise deleted there leaves learners' sections counting what is left."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from grader.models import CodingExercise
from progress.models import SectionProgress
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.progress.test_progress import exercise_in, pass_quiz, solve

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-tests"))
    return client


def test_an_exercise_learners_submitted_to_cannot_be_deleted(admin_client):
    exercise = exercise_in(SectionFactory.create())
    solve(exercise, UserFactory.create())

    assert (
        admin_client.get(f"/admin/grader/codingexercise/{exercise.pk}/delete/").status_code == 403
    )
    assert CodingExercise.objects.filter(pk=exercise.pk).exists()


def test_deleting_an_exercise_in_the_admin_completes_the_section_without_it(
    admin_client, tasks_run_inline, django_capture_on_commit_callbacks
):
    learner = UserFactory.create()
    section = SectionFactory.create()
    exercise = exercise_in(section)
    quiz = QuizFactory.create(section=section)
    QuestionFactory.create(quiz=quiz)
    pass_quiz(quiz, learner)
    assert not SectionProgress.objects.get(learner=learner, section=section).completed

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/grader/codingexercise/{exercise.pk}/delete/", {"post": "yes"}
        )

    assert response.status_code == 302
    assert not CodingExercise.objects.filter(pk=exercise.pk).exists()
    assert SectionProgress.objects.get(learner=learner, section=section).completed
