"""A code worker killed (or frozen) in the middle of a run, with real workers and Redis: its
submission is graded by another worker seconds later, not after the broker's visibility
timeout (45 s), once; a live run keeps its claim however long it takes; a frozen worker
that comes back stores nothing over the newer grade (the claim's lease: core.grading_work).
And a quiz worker killed holding an attempt's message: Redis gives the message back as soon
as the live workers say they do not hold it (core.queueing.held_by_dead_workers_restore).

The test process runs the sweeps every half second, as beat does every
LOST_WORK_SWEEP_SECONDS; the workers renew their claims' 2 s leases every half second."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from django.conf import settings

from core.queueing import held_by_dead_workers_restore
from grader.models import CodingExercise, Submission
from grader.services import exercise_import, submission_create, submissions_requeue_lost
from ops.hosts import HOST_UID_STRIDE
from quizzes.models import Attempt, Quiz
from quizzes.services import attempt_save_answers, attempt_start, attempt_submit
from tests.conftest import celery_worker
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.grader.test_grading_worker import demo_exercise

pytestmark = [
    pytest.mark.database_incidental,
    pytest.mark.slow,
    pytest.mark.services,
    pytest.mark.usefixtures("need_sandbox", "no_leftover_processes"),
]

LEASE_SECONDS = 2
RUN_SECONDS = 6  # each run sleeps this long: a worker is caught holding it


def slow_exercise() -> tuple[CodingExercise, dict[str, str]]:
    imported = exercise_import(path=demo_exercise("python"), section=SectionFactory.create())
    assert imported.check.ok, imported.check.report
    files = dict(imported.exercise.reference_files)
    name = next(name for name in sorted(files) if name.endswith(".py"))
    files[name] += f"\n\nimport time as _time\n\n_time.sleep({RUN_SECONDS})\n"
    return imported.exercise, files


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def attempt_submitted(quiz: Quiz) -> int:
    attempt = attempt_start(learner=UserFactory.create(), quiz=quiz)
    responses = {q: {"choice": "b"} for q in quiz.questions.values_list("id", flat=True)}
    attempt_save_answers(attempt=attempt, responses=responses)
    attempt_submit(attempt=attempt)
    return attempt.pk


def children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def holding_worker(submission: Submission) -> list[int]:
    """The pool process whose claim the submission is under, and its worker's main process."""
    pool = int(submission.claim_holder.rpartition("/")[2])
    main = int(Path(f"/proc/{pool}/stat").read_text().rpartition(")")[2].split()[1])
    return [main, pool]


def held_messages(
    broker_url: str, work_id: int, task: str = "grader.tasks.grade_submission"
) -> int:
    """Messages of `task` for `work_id` a worker holds unacknowledged (kombu's Redis transport
    keeps them in the `unacked` hash until acknowledged or given back)."""
    held = 0
    for raw in redis.Redis.from_url(broker_url).hvals("unacked"):
        headers = json.loads(raw)[0]["headers"]
        held += headers["task"] == task and headers["argsrepr"].startswith(f"({work_id},")
    return held


def sweep_while(condition: Callable[[], bool], timeout: float) -> int:
    """Run the lost-work sweep every 0.5 s while `condition` holds; the submissions queued."""
    queued = 0
    deadline = time.monotonic() + timeout
    while condition() and time.monotonic() < deadline:
        queued += submissions_requeue_lost()
        time.sleep(0.5)
    return queued


@pytest.fixture
def two_workers(live_worker_env, go_cache):
    """Two code workers with 2 s leases; the second's learner code runs as uids of its own
    (as ops.hosts gives each host), away from the first's."""
    env = {
        **live_worker_env,
        "GRADING_LEASE_SECONDS": str(LEASE_SECONDS),
        "GRADER_GO_CACHE": str(go_cache),  # warm: a cold one is 30 s of each worker's start
    }
    other_uids = {"GRADER_SANDBOX_UID": str(settings.GRADER_SANDBOX_UID + HOST_UID_STRIDE)}
    second = {**env, **other_uids}
    with celery_worker(env, queues="code"), celery_worker(second, queues="code", host="second"):
        yield env


def test_a_killed_workers_submission_is_graded_by_another_within_seconds(two_workers):
    # Given a submission one of two code workers is running
    exercise, files = slow_exercise()
    submission = submission_create(learner=UserFactory.create(), exercise=exercise, files=files)
    running = Submission.objects.filter(pk=submission.pk, status="running")
    wait_for(running.exists, 120, "no worker took the submission")
    submission.refresh_from_db()
    claim = submission.claim
    # that keeps its claim past its lease while it runs (renewed; never queued again), and
    # its message (a live worker's: it answers)
    assert sweep_while(lambda: True, timeout=LEASE_SECONDS + 1) == 0
    assert running.filter(claim=claim).exists(), "a live run lost its claim"
    held_by_dead_workers_restore(older_than=1)
    assert held_messages(two_workers["REDIS_URL"], submission.pk) == 1

    # when that worker is killed, main and pool processes (the broker keeps its message
    # unacknowledged until the visibility timeout)
    for pid in holding_worker(submission):
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    # then the sweep queues it again once, as soon as its lease runs out, and the other
    # worker grades it, within seconds
    done = Submission.objects.filter(pk=submission.pk, status__in=["graded", "error"])
    queued = sweep_while(lambda: not done.exists(), timeout=60)
    took = time.monotonic() - killed_at
    submission.refresh_from_db()
    assert (submission.status, submission.verdict) == ("graded", "passed")
    assert (queued, submission.requeues, submission.gradings) == (1, 1, 1)
    assert took < settings.CELERY_VISIBILITY_TIMEOUT / 2, f"graded {took:.1f} s after the kill"


def test_a_quiz_attempt_a_killed_worker_held_is_graded_by_another_within_seconds(
    live_worker_env,
):
    # Given a quiz worker that has taken an attempt's message and not graded it yet (its
    # pool process stopped, so the message waits in its hands)
    quiz = QuizFactory.create()
    QuestionFactory.create(quiz=quiz, order=0)
    with celery_worker(live_worker_env, queues="quiz") as first:
        warm = attempt_submitted(quiz)
        graded = Attempt.objects.filter(status="graded")
        wait_for(graded.filter(pk=warm).exists, 120, "the first worker did not grade")
        (pool,) = children(first.pid)
        os.kill(pool, signal.SIGSTOP)
        attempt_id = attempt_submitted(quiz)
        broker = live_worker_env["REDIS_URL"]
        task = "quizzes.tasks.grade_attempt"
        wait_for(lambda: held_messages(broker, attempt_id, task), 30, "the message not taken")

        # when that worker is killed, main and pool processes
        for pid in (first.pid, pool):
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()

    # then, once another worker answers, the dead one's message is given back at once (not
    # after the visibility timeout) and graded, once
    with celery_worker(live_worker_env, queues="quiz", host="second"):
        restored = 0
        deadline = time.monotonic() + 60
        while not graded.filter(pk=attempt_id).exists():
            assert time.monotonic() < deadline, "the attempt was not graded"
            restored += held_by_dead_workers_restore(older_than=1) or 0
            time.sleep(0.5)
        took = time.monotonic() - killed_at
    attempt = Attempt.objects.get(pk=attempt_id)
    assert restored >= 1  # (and any other dead worker's of this session)
    assert attempt.grading_runs == 1
    assert not held_messages(broker, attempt_id, task)
    assert took < settings.CELERY_VISIBILITY_TIMEOUT / 2, f"graded {took:.1f} s after the kill"


def test_a_frozen_worker_declared_dead_stores_nothing_when_it_comes_back(two_workers):
    # Given a submission one of two code workers is running
    exercise, files = slow_exercise()
    submission = submission_create(learner=UserFactory.create(), exercise=exercise, files=files)
    wait_for(
        Submission.objects.filter(pk=submission.pk, status="running").exists,
        120,
        "no worker took the submission",
    )
    submission.refresh_from_db()
    frozen = holding_worker(submission)

    # when that worker freezes (SIGSTOP: a suspended VM, a host cut off) until the other
    # has graded the submission again
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    broker = two_workers["REDIS_URL"]
    done = Submission.objects.filter(pk=submission.pk, status__in=["graded", "error"])
    try:
        queued = sweep_while(lambda: not done.exists(), timeout=60)
        graded = Submission.objects.get(pk=submission.pk)
        assert (graded.status, graded.verdict, queued) == ("graded", "passed", 1)
        assert held_messages(broker, submission.pk) == 1  # the frozen worker's message
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)

    # then, back, its run ends (it acknowledges its message) without storing anything over
    # the newer grade
    wait_for(lambda: not held_messages(broker, submission.pk), 30, "the run never ended")
    after = Submission.objects.get(pk=submission.pk)
    assert (after.claim, after.graded_at, after.gradings) == (graded.claim, graded.graded_at, 1)
    assert after.claim != submission.claim
