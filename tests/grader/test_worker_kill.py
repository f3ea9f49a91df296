"""A code worker's pool process killed with its next Python sandbox waiting (issue 26, item 5):
no sandbox process outlives it, the process that replaces it removes the run folder it left,
and the worker grades on."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from pathlib import Path

import pytest

from grader.models import Submission
from grader.services import exercise_import, submission_create
from tests.conftest import celery_worker
from tests.factories import SectionFactory, UserFactory
from tests.grader.conftest import sandbox_processes
from tests.grader.test_grading_worker import demo_exercise, wait_graded

pytestmark = [
    pytest.mark.database_incidental,
    pytest.mark.slow,
    pytest.mark.services,
    pytest.mark.usefixtures("need_sandbox", "no_leftover_processes"),
]


def children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.parametrize("zygote", ["1", "0"], ids=["zygote", "no-zygote"])
def test_a_killed_pool_process_leaves_no_sandbox_and_no_run_folder(live_worker_env, zygote):
    imported = exercise_import(path=demo_exercise("python"), section=SectionFactory.create())
    assert imported.check.ok, imported.check.report
    exercise = imported.exercise
    env = {**live_worker_env, "GRADER_PYTHON_ZYGOTE": zygote}

    with celery_worker(env, queues="code") as worker:
        first = submission_create(
            learner=UserFactory.create(), exercise=exercise, files=exercise.reference_files
        )
        wait_graded([first.pk], timeout=120)
        wait_for(sandbox_processes, 20, "no sandbox waiting for the next run")
        (pool,) = children(worker.pid)
        folders = lambda: list(Path(tempfile.gettempdir()).glob(f"zachet-run-{pool}-*"))  # noqa: E731
        if zygote == "0":
            assert folders()  # the waiting test sandbox's folder, on the host

        os.kill(pool, signal.SIGKILL)

        wait_for(lambda: not sandbox_processes(), 10, f"left running: {sandbox_processes()}")
        wait_for(lambda: not folders(), 30, "the killed process's run folder is still there")
        second = submission_create(
            learner=UserFactory.create(), exercise=exercise, files=exercise.reference_files
        )
        wait_graded([second.pk], timeout=120)

    second.refresh_from_db()
    assert (second.status, second.verdict) == (Submission.Status.GRADED, "passed")
