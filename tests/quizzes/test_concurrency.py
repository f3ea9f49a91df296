"""Max attempts under concurrency: simultaneous starts never exceed the limit.

Runs on whichever database the suite uses; CI's second run is PostgreSQL,
where the requests really interleave (READ COMMITTED, row-level locking).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from quizzes.models import Attempt
from quizzes.services import QuizRuleError, attempt_start, attempt_submit
from tests.factories import QuestionFactory, QuizFactory, UserFactory


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_simultaneous_starts_never_exceed_max_attempts(monkeypatch):
    monkeypatch.setattr("quizzes.services.attempt_queue_grading", lambda **kw: True)
    quiz = QuizFactory.create(max_attempts=3)
    QuestionFactory.create(quiz=quiz)
    learner = UserFactory.create()
    threads_count = 6
    barrier = threading.Barrier(threads_count)
    refused: list[str] = []
    failures: list[BaseException] = []

    def learner_tab() -> None:
        # one browser tab hammering "start" and "submit" at the same moment as the others
        try:
            barrier.wait(timeout=10)
            for _ in range(10):
                try:
                    attempt = attempt_start(learner=learner, quiz=quiz)
                except QuizRuleError as error:
                    refused.append(error.code)
                    return
                attempt_submit(attempt=attempt)
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=learner_tab) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    numbers = sorted(
        Attempt.objects.filter(learner=learner, quiz=quiz).values_list("number", flat=True)
    )
    assert numbers == [1, 2, 3]
    assert set(refused) <= {"no_attempts_left", "busy"}
    assert refused.count("no_attempts_left") >= 1
