"""A regrade of 10,000 attempts runs as a job on its own queue: learners' quiz feedback goes
on meanwhile, through real workers and a real Redis broker."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from quizzes.authoring import question_save
from quizzes.models import Answer, Attempt
from quizzes.services import attempt_save_answers, attempt_start, attempt_submit
from teaching.models import GradeChange, RegradeJob
from teaching.regrade import regrade_apply, regrade_start
from tests.conftest import celery_worker
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.quizzes.test_grading_worker import wait_until
from tests.teaching.test_regrade import RIGHT_IS_C

# (10,000 attempts: how long it takes and how it locks are PostgreSQL's to show, as in
# production; SQLite, the quick start's database, runs the same code in test_regrade.py.)
pytestmark = [pytest.mark.slow, pytest.mark.at_scale]

ATTEMPTS = 10_000
ANSWERED_B = 200  # the learners the fixed key fails


def graded_attempts(quiz, question, count: int) -> None:
    """`count` graded attempts, as grading left them: the first ANSWERED_B chose "b" (right
    under the old key), the others "a" (wrong under both)."""
    now = timezone.now()
    users = User.objects.bulk_create([User(username=f"r{i}") for i in range(count)])
    attempts = Attempt.objects.bulk_create(
        [
            Attempt(
                learner=user, quiz=quiz, number=1, seed=1, started_at=now, submitted_at=now,
                graded_at=now, status="graded", score=Decimal(i < ANSWERED_B),
                max_score=Decimal(1), percent=Decimal(100 if i < ANSWERED_B else 0),
                passed=i < ANSWERED_B,
            )
            for i, user in enumerate(users)
        ],
        batch_size=500,
    )  # fmt: skip
    Answer.objects.bulk_create(
        [
            Answer(
                attempt=attempt, question=question, saved_at=now, graded_at=now,
                response={"choice": "b" if i < ANSWERED_B else "a"},
                score=Decimal(i < ANSWERED_B), key_version=question.key_version,
            )
            for i, attempt in enumerate(attempts)
        ],
        batch_size=500,
    )  # fmt: skip


def test_a_regrade_of_10000_attempts_never_holds_up_quiz_feedback(
    live_worker_env, django_capture_on_commit_callbacks
):
    section = SectionFactory.create()
    quiz = QuizFactory.create(section=section)
    question = QuestionFactory.create(quiz=quiz)
    instructor = UserFactory.create()
    section.part.course.instructors.add(instructor)
    graded_attempts(quiz, question, ATTEMPTS)
    question.spec = RIGHT_IS_C
    question_save(question=question)

    with celery_worker(live_worker_env, queues="quiz"):
        with django_capture_on_commit_callbacks(execute=True):
            job = regrade_start(by=instructor, quiz=quiz, reason="ключ")
        learner = UserFactory.create()
        attempt = attempt_start(learner=learner, quiz=quiz)
        attempt_save_answers(attempt=attempt, responses={question.pk: {"choice": "c"}})
        with django_capture_on_commit_callbacks(execute=True):
            attempt_submit(attempt=attempt)
        wait_until(
            lambda: Attempt.objects.get(pk=attempt.pk).status == "graded",
            timeout=60, what="the learner's feedback",
        )  # fmt: skip
        # the quiz worker never takes regrade work: the job waits for its own worker
        assert RegradeJob.objects.get(pk=job.pk).computed == 0
    assert Attempt.objects.get(pk=attempt.pk).passed

    with celery_worker(live_worker_env, queues="regrade"):
        wait_until(
            lambda: RegradeJob.objects.get(pk=job.pk).status == RegradeJob.Status.READY,
            timeout=120,
            what=lambda: f"the dry run ({RegradeJob.objects.get(pk=job.pk).computed} done)",
        )
        job.refresh_from_db()
        assert job.total == job.computed == ATTEMPTS + 1
        assert job.changes.count() == ANSWERED_B
        assert job.unchanged == ATTEMPTS + 1 - ANSWERED_B
        assert Attempt.objects.filter(passed=True).count() == ANSWERED_B + 1  # nothing written

        with django_capture_on_commit_callbacks(execute=True):
            regrade_apply(job=job, by=instructor)
        wait_until(
            lambda: RegradeJob.objects.get(pk=job.pk).status == RegradeJob.Status.APPLIED,
            timeout=120, what="applying the regrade",
        )  # fmt: skip

    assert GradeChange.objects.filter(job=job, status="applied").count() == ANSWERED_B
    assert Attempt.objects.filter(passed=True).count() == 1  # the one who answered "c"
    assert not Answer.objects.exclude(key_version=question.key_version).exists()
