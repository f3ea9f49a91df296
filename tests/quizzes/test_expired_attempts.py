"""One rule for an attempt past its deadline, on every channel (issue 13: the pages submitted
it as of the deadline, the API refused and left it open until the beat came by).

Past the deadline and its grace, saving answers or submitting, from the form, autosave or
the API, submits the attempt as of its deadline with what was saved by then."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from quizzes.models import Answer, Attempt
from tests.api.conftest import World, client_for, error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def expired(world: World) -> Attempt:
    attempt = world.attempt
    deadline = timezone.now() - timedelta(minutes=5)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=deadline)
    Answer.objects.create(
        attempt=attempt, question=world.question, response={"choice": "a"}, saved_at=deadline
    )
    attempt.refresh_from_db()
    return attempt


def assert_submitted_at_deadline(attempt: Attempt) -> None:
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED
    assert attempt.submitted_at == attempt.deadline
    # What was saved before the deadline stands; nothing sent late replaced it.
    assert Answer.objects.get(attempt=attempt).response == {"choice": "a"}


def page_client(world: World) -> Client:
    client = Client()
    client.force_login(world.learner)
    return client


@pytest.fixture(autouse=True)
def _commit_callbacks_run_at_once():
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        yield


def test_saving_through_the_api_submits_as_of_the_deadline(world, expired):
    response = client_for(world.learner).put(
        f"/api/v1/attempts/{expired.pk}/answers/",
        {"answers": {str(world.question.pk): {"choice": "b"}}},
        format="json",
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "time_is_up"
    assert_submitted_at_deadline(expired)


def test_submitting_through_the_api_submits_as_of_the_deadline(world, expired):
    response = client_for(world.learner).post(f"/api/v1/attempts/{expired.pk}/submit/")
    assert response.status_code == 202
    assert response.json()["status"] == "submitted"
    assert_submitted_at_deadline(expired)


def test_autosave_submits_as_of_the_deadline(world, expired):
    url = reverse("quizzes:autosave", kwargs={"attempt_id": expired.pk})
    response = page_client(world).post(url, {f"q{world.question.pk}": "b"})
    assert response.status_code == 409
    assert response.json()["code"] == "time_is_up"
    assert_submitted_at_deadline(expired)


def test_the_form_submits_as_of_the_deadline(world, expired):
    url = reverse("quizzes:attempt", kwargs={"attempt_id": expired.pk})
    response = page_client(world).post(url, {f"q{world.question.pk}": "b", "action": "save"})
    assert response.status_code == 302
    assert response["Location"] == reverse("quizzes:result", kwargs={"attempt_id": expired.pk})
    assert_submitted_at_deadline(expired)


def test_confirming_submits_as_of_the_deadline(world, expired):
    url = reverse("quizzes:confirm", kwargs={"attempt_id": expired.pk})
    response = page_client(world).post(url, follow=True)
    assert response.status_code == 200
    assert_submitted_at_deadline(expired)


def test_within_the_grace_answers_still_count(world, expired):
    Attempt.objects.filter(pk=expired.pk).update(deadline=timezone.now() - timedelta(seconds=5))
    response = client_for(world.learner).put(
        f"/api/v1/attempts/{expired.pk}/answers/",
        {"answers": {str(world.question.pk): {"choice": "b"}}},
        format="json",
    )
    assert response.status_code == 200
    assert Answer.objects.get(attempt=expired).response == {"choice": "b"}
