"""Celery tasks of the code queue: ids in, one service call, retries for transient errors."""

from __future__ import annotations

import logging
from typing import Any

from billiard.process import current_process
from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import celeryd_after_setup, worker_process_init, worker_process_shutdown
from django.conf import settings

from core.db import TRANSIENT_ERRORS
from core.logs import work_logging
from grader.runners.python import python_warm_start
from grader.sandbox import sandbox_pool_process, sandbox_workdirs_sweep
from grader.services import (
    example_run_execute,
    example_runs_sweep,
    exercise_check_and_publish,
    exercises_requeue_unchecked,
    submission_grade,
    submissions_requeue_lost,
    submissions_requeue_stuck,
)

logger = logging.getLogger(__name__)

# Pool process N of the regrade worker (teaching.tasks, code runs among its work) runs
# learner code as the sandbox uid of process 100 + N: never one a code worker process uses.
REGRADE_POOL_OFFSET = 100
_POOL_OFFSET = 0


@shared_task(
    bind=True,
    name="grader.tasks.grade_submission",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=8,
    # Above the largest sandbox wall limit (plus start-up), below the broker's
    # visibility timeout so a slow run is not delivered twice.
    soft_time_limit=settings.TASK_SOFT_TIME_LIMIT,
    time_limit=settings.TASK_TIME_LIMIT,
)
def grade_submission_task(self: Task, submission_id: int) -> str:
    with work_logging(submission_id=submission_id):
        outcome = submission_grade(submission_id=submission_id)
    if outcome.retry:
        # An internal error is never the learner's fault: run it again shortly.
        raise self.retry(countdown=2, max_retries=None)
    if outcome.check_again_in is not None:
        # Another run holds it: graded by then, or its lease ran out and this one runs it.
        raise self.retry(countdown=outcome.check_again_in, max_retries=None)
    return outcome.status


@shared_task(
    name="grader.tasks.run_examples",
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=settings.TASK_SOFT_TIME_LIMIT,
    time_limit=settings.TASK_TIME_LIMIT,
)
def run_examples_task(run_id: int) -> str:
    return example_run_execute(run_id=run_id)


@shared_task(
    name="grader.tasks.sweep_example_runs",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def sweep_example_runs_task() -> int:
    return example_runs_sweep()


@shared_task(
    name="grader.tasks.requeue_stuck_submissions",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def requeue_stuck_submissions_task() -> int:
    return submissions_requeue_stuck()


@shared_task(
    name="grader.tasks.requeue_lost_submissions",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def requeue_lost_submissions_task() -> int:
    return submissions_requeue_lost()


@shared_task(
    name="grader.tasks.requeue_unchecked_exercises",
    soft_time_limit=settings.SHORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.SHORT_TASK_TIME_LIMIT,
)
def requeue_unchecked_exercises_task() -> int:
    return exercises_requeue_unchecked()


@celeryd_after_setup.connect
def warm_go_build_cache(sender: Any = None, instance: Any = None, **kwargs: Any) -> None:
    """A worker that serves the code queue warms Go's build cache before taking work.

    Cold, `go test` takes about 30 s; warm, about half a second. The cache lives
    in var/ and survives restarts, so only the first start pays.
    """
    consuming = set(instance.app.amqp.queues.consume_from or ()) if instance else set()
    if "regrade" in consuming:  # its pool processes' sandbox uids follow the code worker's
        global _POOL_OFFSET
        _POOL_OFFSET = REGRADE_POOL_OFFSET
    if consuming and not consuming & {"code", "regrade"}:
        return
    from grader.runners import runners_problems

    for problem in runners_problems():
        # At start-up, once, with the fix; each submission would only say "internal error".
        logger.error("%s", problem)
    try:
        from grader.runners.go import go_cache_warm, go_tools

        go_cache_warm()
        # The check tools too (a cold build of gocheck is another 20-60 s): built by a first
        # run instead, inside its task's time limit, a busy machine killed the build at the
        # soft limit, removed it, and every retry of every Go grading started it over.
        go_tools()
    except Exception:
        logger.exception("warming the Go build cache failed; runs will warm it on demand")


@shared_task(
    bind=True,
    name="grader.tasks.check_exercise",
    soft_time_limit=settings.TASK_SOFT_TIME_LIMIT,
    time_limit=settings.TASK_TIME_LIMIT,
    max_retries=2,
)
def check_exercise_task(self: Task, exercise_id: int, publish: bool) -> bool:
    """An instructor's edit (the API, the exercise editor, a site import): check it
    (reference passes, starter fails), publish it if asked and it passed. Two runs in one
    task: cut short by the time limit on a cold worker, it is tried again, warm."""
    try:
        outcome = exercise_check_and_publish(
            exercise_id=exercise_id,
            publish=publish,
            last_try=self.request.retries >= (self.max_retries or 0),
        )
    except SoftTimeLimitExceeded:
        raise self.retry(countdown=1) from None
    return bool(outcome and outcome.ok)


@worker_process_init.connect
def start_code_worker_process(**kwargs: Any) -> None:
    """Each pool process gets its own sandbox uid and keeps its next Python sandbox started.

    RLIMIT_NPROC counts every process of a uid: with one uid for all, a fork bomb in one
    learner's run (or another process's waiting warm sandbox) would eat into the process
    budget of every other run at the same moment. GRADER_SANDBOX_UID is the first uid;
    process N of the pool uses that + N. GRADER_WARM_START=0 turns warm starts off; nothing
    starts until the process has run Python code, so quiz workers never do.
    """
    index = getattr(current_process(), "index", None)
    if isinstance(index, int) and index + _POOL_OFFSET > 0:
        sandbox_pool_process(index + _POOL_OFFSET)
    # A pool process killed in the middle of a run left its run's folder (its sandboxes died
    # with it: bwrap's --die-with-parent): the process that replaces it removes it.
    sandbox_workdirs_sweep()
    if settings.GRADER_WARM_START:
        python_warm_start(True)


@worker_process_shutdown.connect
def stop_python_warm_starts(**kwargs: Any) -> None:
    python_warm_start(False)
