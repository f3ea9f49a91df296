"""Backpressure (issue 26): when the code queue holds more than GRADER_MAX_QUEUE_MINUTES of
work, a submission is refused for now (API: 503 with Retry-After; page: a message, the code
kept); below that the learner sees their place in the queue and the estimated wait."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from grader.models import Submission
from tests.api.conftest import World, client_for, error_of

pytestmark = pytest.mark.django_db

CODE = "def add(a, b):\n    return a + b  # my own\n"


@pytest.fixture
def backlog(world: World, settings) -> None:
    """30 submissions waiting; the recent runs took 60 s each; two code worker processes:
    30 x 60 / 2 = 900 s (15 min) of work."""
    settings.GRADER_CODE_WORKER_PROCESSES = 2
    now = timezone.now()
    Submission.objects.bulk_create(
        Submission(learner=world.other, exercise=world.exercise, files={}, status="graded",
                   verdict="passed", started_at=now - timedelta(seconds=70),
                   graded_at=now - timedelta(seconds=10))
        for _ in range(5)
    )  # fmt: skip
    Submission.objects.bulk_create(
        Submission(learner=world.other, exercise=world.exercise, files={}, status="queued")
        for _ in range(30)
    )


def test_the_api_refuses_a_submission_past_the_limit_with_retry_after(world, backlog, settings):
    settings.GRADER_MAX_QUEUE_MINUTES = 10
    before = Submission.objects.count()
    response = client_for(world.learner).post(
        "/api/v1/submissions/",
        {"exercise": world.exercise.pk, "files": {"solution.py": CODE}},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "300"  # 900 s of work, 600 s allowed
    error = error_of(response)
    assert error["code"] == "queue_full"
    assert error["retry_after"] == 300
    assert "15 min" in error["message"]
    assert Submission.objects.count() == before  # nothing half-made


def test_the_page_keeps_the_code_and_says_why(world, backlog, settings):
    settings.GRADER_MAX_QUEUE_MINUTES = 10
    client = Client()
    client.force_login(world.learner)
    response = client.post(
        f"/exercises/{world.exercise.pk}/submit/", {"file:solution.py": CODE},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    page = response.content.decode()
    assert "Your code was not submitted." in page
    assert "Too many solutions are waiting to be checked (about 15 min of work)." in page
    assert "return a + b  # my own" in page


def test_below_the_limit_the_learner_sees_their_place_and_the_wait(world, backlog, settings):
    settings.GRADER_MAX_QUEUE_MINUTES = 20
    response = client_for(world.learner).post(
        "/api/v1/submissions/", {"exercise": world.exercise.pk, "files": {"solution.py": CODE}}
    )
    assert response.status_code == 202, response.content
    client = Client()
    client.force_login(world.learner)
    page = client.get(f"/submissions/{response.json()['id']}/", HTTP_ACCEPT_LANGUAGE="en")
    # 30 ahead: 31st, 31 x 60 s / 2 workers = 930 s, about 16 minutes
    assert "Place in the queue: 31; the wait is about 16 minutes." in page.content.decode()


def test_a_run_of_the_examples_is_refused_too_past_the_limit(world, backlog, settings):
    # (the same code queue: examples runs add to the wait as submissions do)
    from grader.models import ExampleRun

    settings.GRADER_MAX_QUEUE_MINUTES = 10
    world.exercise.example_files = {"test_examples.py": "def test_x():\n    pass\n"}
    from grader.services import exercise_write

    exercise_write(exercise=world.exercise)
    response = client_for(world.learner).post(
        "/api/v1/example-runs/",
        {"exercise": world.exercise.pk, "files": {"solution.py": CODE}},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 503
    assert error_of(response)["code"] == "queue_full"
    assert int(response["Retry-After"]) > 0
    assert not ExampleRun.objects.exists()
