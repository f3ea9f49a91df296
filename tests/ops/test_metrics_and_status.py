"""/metrics (Prometheus text, from the record, the counters and the broker) and the staff page
of queues, workers and waiting work: who may see them, and that the numbers are the record's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from config.celery import ping_task
from grader.models import Submission
from quizzes.models import Attempt
from tests.factories import QuizFactory, UserFactory, exercise_stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(counters_from_the_record):
    """Two graded attempts (0.3 s and 30 s), one waiting 40 s; code: passed in 3 s, an error:
    rows of the release before the counters, counted by the upgrade's migration."""
    now = timezone.now()
    quiz = QuizFactory.create()
    exercise = exercise_stored(
        section=quiz.section, slug="sum", title="Sum", language="python",
        starter_files={"solution.py": "x = 1\n"}, test_files={"test_solution.py": "pass\n"},
        reference_files={"solution.py": "x = 2\n"},
    )  # fmt: skip

    def attempt(number: int, **values):
        learner = UserFactory.create()
        return Attempt.objects.create(
            learner=learner, quiz=quiz, number=number, seed=1, started_at=now, **values
        )

    attempt(1, status="graded", submitted_at=now - timedelta(seconds=10),
            graded_at=now - timedelta(seconds=9.7), passed=True, requeues=0)  # fmt: skip
    attempt(2, status="graded", submitted_at=now - timedelta(seconds=60),
            graded_at=now - timedelta(seconds=30), passed=False, requeues=1)  # fmt: skip
    attempt(3, status="submitted", submitted_at=now - timedelta(seconds=40))
    learner = UserFactory.create()
    passed = Submission.objects.create(
        learner=learner, exercise=exercise, files={}, status="graded", verdict="passed",
        requeues=2,
    )  # fmt: skip
    Submission.objects.filter(pk=passed.pk).update(
        created_at=now - timedelta(seconds=5), graded_at=now - timedelta(seconds=2)
    )
    Submission.objects.create(learner=learner, exercise=exercise, files={}, status="error")
    counters_from_the_record()
    return now


def samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_are_not_public(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    client.force_login(UserFactory.create())
    assert client.get("/metrics").status_code == 404


def test_metrics_count_the_record(client, settings, record, live_broker):
    # given: two messages waiting in the regrade queue (no worker runs)
    ping_task.apply_async(queue="regrade")
    ping_task.apply_async(queue="regrade")
    settings.METRICS_TOKEN = "scrape-secret"

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")

    assert response.status_code == 200
    found = samples(response.content)
    quiz, code = (("kind", "quiz_attempt"),), (("kind", "code_submission"),)
    assert found[("zachet_queue_depth", (("queue", "regrade"),))] == 2
    assert found[("zachet_queue_depth", (("queue", "quiz"),))] == 0
    assert found[("zachet_waiting_work", quiz)] == 1
    assert 39 <= found[("zachet_oldest_waiting_seconds", quiz)] < 60
    assert found[("zachet_graded_total", (("kind", "quiz_attempt"), ("outcome", "passed")))] == 1
    assert found[("zachet_graded_total", (("kind", "quiz_attempt"), ("outcome", "failed")))] == 1
    assert found[("zachet_graded_total", (("kind", "code_submission"), ("outcome", "passed")))] == 1
    assert found[("zachet_graded_total", (("kind", "code_submission"), ("outcome", "error")))] == 1
    # submit -> graded: 0.3 s and 30 s for quizzes, 3 s for code
    bucket = "zachet_submit_to_graded_seconds_bucket"
    assert found[(bucket, (("kind", "quiz_attempt"), ("le", "0.25")))] == 0
    assert found[(bucket, (("kind", "quiz_attempt"), ("le", "0.5")))] == 1
    assert found[(bucket, (("kind", "quiz_attempt"), ("le", "20.0")))] == 1
    assert found[(bucket, (("kind", "quiz_attempt"), ("le", "40.0")))] == 2
    assert found[(bucket, (("kind", "code_submission"), ("le", "2.5")))] == 0
    assert found[(bucket, (("kind", "code_submission"), ("le", "5.0")))] == 1
    assert found[("zachet_submit_to_graded_seconds_count", quiz)] == 2
    assert found[("zachet_submit_to_graded_seconds_sum", quiz)] == pytest.approx(30.3, abs=0.01)
    assert found[("zachet_sweep_requeued_total", quiz)] == 1
    assert found[("zachet_sweep_requeued_total", code)] == 2


def test_staff_see_metrics_and_the_status_page_learners_do_not(client, record, live_broker):
    client.force_login(UserFactory.create())
    assert client.get("/ops/").status_code == 302  # to the admin's login
    client.force_login(UserFactory.create(is_staff=True))
    assert client.get("/metrics").status_code == 200
    response = client.get("/ops/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<th scope="row">Quiz attempts</th><td class="number">1</td>' in page
    assert '<th scope="row">regrade</th><td class="number">0</td>' in page
    assert 'data-testid="no-workers"' in page  # no worker runs in this test


def test_the_scrape_keeps_its_names_and_types(client, record, live_broker):
    # Dashboards and alerts name these (docs/deploy.md): the same as when they were computed
    # from the record on each scrape.
    client.force_login(UserFactory.create(is_staff=True))
    text = client.get("/metrics").content.decode()

    families = {f.name: f.type for f in text_string_to_metric_families(text)}

    assert families == {
        "zachet_queue_depth": "gauge",
        "zachet_waiting_work": "gauge",
        "zachet_oldest_waiting_seconds": "gauge",
        "zachet_graded": "counter",
        "zachet_submit_to_graded_seconds": "histogram",
        "zachet_sweep_requeued": "counter",
    }
    assert sorted(line for line in text.splitlines() if line.startswith("# TYPE")) == [
        "# TYPE zachet_graded_total counter",
        "# TYPE zachet_oldest_waiting_seconds gauge",
        "# TYPE zachet_queue_depth gauge",
        "# TYPE zachet_submit_to_graded_seconds histogram",
        "# TYPE zachet_sweep_requeued_total counter",
        "# TYPE zachet_waiting_work gauge",
    ]
    assert 'zachet_graded_total{kind="quiz_attempt",outcome="passed"} 1.0' in text
