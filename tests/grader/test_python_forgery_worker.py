"""Our Python forgers submitted as a learner submits, graded by a real worker through the
broker (issue 27, item 4): the worker runs the tests in a fork of its zygote, as the site
does; none is `passed`, none earns the points of the tests it fails. The runner is tested
route by route, both ways, in test_python_forgery.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grader.models import Submission
from grader.services import submission_create
from tests.conftest import celery_worker
from tests.factories import SectionFactory, UserFactory, exercise_stored
from tests.grader.test_grading_worker import wait_graded
from tests.grader.test_python_forgery import CALLBACK_PROBES, HONEST_APPLY, TESTS, WRONG_ADD

pytestmark = [pytest.mark.slow, pytest.mark.database_incidental, pytest.mark.services]

WORKER_FORGERS = {
    "gc": "import gc\n"
    "for obj in gc.get_objects():\n"
    "    if isinstance(obj, dict) and 'tests' in obj:\n"
    "        obj['done'] = True\n" + WRONG_ADD + HONEST_APPLY,
    "results_file": "import os\n"
    "for n in os.listdir('.'):\n"
    """    open(n, 'a').write('{"nonce": "x", "done": true, "tests": []}')\n"""
    + WRONG_ADD
    + HONEST_APPLY,
    "exit_zero": "import os\nos._exit(0)\n",
    "callback_globals": WRONG_ADD + CALLBACK_PROBES,
    "frames": "import sys\n"
    "def add(a, b):\n"
    "    frame = sys._getframe(1)\n"
    "    while frame is not None:\n"
    "        frame.f_globals.get('SECRET')\n"
    "        frame = frame.f_back\n"
    "    return a - b\n" + HONEST_APPLY,
}


def test_forgers_through_a_real_worker_get_no_pass_and_no_points_for_add(
    live_worker_env: dict[str, str],
) -> None:
    exercise = exercise_stored(
        section=SectionFactory.create(), slug="forgery", title="Add", statement="Add.",
        language="python", starter_files={"calc.py": ""}, reference_files={"calc.py": ""},
        test_files={"test_calc.py": TESTS}, points=Decimal(10), scoring="per_test",
        is_published=True, check_status="ok",
    )  # fmt: skip
    learner = UserFactory.create()
    with celery_worker(live_worker_env, queues="code"):
        submissions = {
            name: submission_create(learner=learner, exercise=exercise, files={"calc.py": code})
            for name, code in WORKER_FORGERS.items()
        }
        wait_graded([s.pk for s in submissions.values()], timeout=120)
    for name, submission in submissions.items():
        submission = Submission.objects.get(pk=submission.pk)
        assert submission.status == "graded", (name, submission.error_reason)
        assert submission.verdict in {"failed", "runtime_error"}, (name, submission.results)
        # at most test_callback (1 of 4), which an honest apply passes
        assert submission.score is not None
        assert submission.score <= Decimal("2.50"), (name, submission.score)
