"""A stopped (SIGSTOP: accepts connections, never answers) Redis, as cache and broker, does not
freeze the API: throttled requests and a submit each return within a second, and the submitted
attempt is saved for the sweep to queue (core/cache.py, core/queueing.py)."""

from __future__ import annotations

import os
import signal
import statistics
import time

import pytest
from rest_framework.test import APIClient

from quizzes.models import Attempt
from quizzes.services import attempt_start
from tests.conftest import celery_app_using
from tests.factories import QuestionFactory, QuizFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.services]


def timed(call) -> tuple[object, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def test_a_frozen_redis_adds_no_seconds_to_requests_and_a_submit_is_kept(
    transactional_db, settings, redis_server
):
    url, process = redis_server
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "core.cache.FailFastRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    quiz = QuizFactory.create()
    QuestionFactory.create(quiz=quiz)
    learners = UserFactory.create_batch(8)
    attempts = [attempt_start(learner=learner, quiz=quiz) for learner in learners]
    attempt, learner = attempts[0], learners[0]
    client = APIClient()
    client.force_authenticate(learner)
    with celery_app_using(url):
        # given: the cache and the broker answer, then Redis is stopped
        assert client.get(f"/api/v1/attempts/{attempt.pk}/").status_code == 200
        os.kill(process.pid, signal.SIGSTOP)

        # when: a learner's page polls, then submits
        seconds = []
        for _ in range(30):
            response, elapsed = timed(lambda: client.get(f"/api/v1/attempts/{attempt.pk}/"))
            assert response.status_code == 200
            seconds.append(elapsed)
        # and eight learners submit, one after another (past the first publish's timeout,
        # the broker is skipped until it answers)
        submits = []
        for mine, who in zip(attempts, learners, strict=True):
            client.force_authenticate(who)
            response, elapsed = timed(
                lambda a=mine: client.post(f"/api/v1/attempts/{a.pk}/submit/")
            )
            assert response.status_code == 202, response.content
            submits.append(elapsed)

    # then: nothing waited a second, and the submitted attempt is saved for the sweep
    print(
        f"\nfrozen Redis: 30 API reads max {max(seconds) * 1000:.0f} ms, "
        f"median {statistics.median(seconds) * 1000:.1f} ms; 8 submits max "
        f"{max(submits) * 1000:.0f} ms, median {statistics.median(submits) * 1000:.1f} ms"
    )
    assert max(seconds) < 1.0, seconds
    assert max(submits) < 1.0, submits
    assert {a.status for a in Attempt.objects.filter(pk__in=[a.pk for a in attempts])} == {
        Attempt.Status.SUBMITTED
    }
