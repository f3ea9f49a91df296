"""Our Go forgers submitted as a learner submits, graded by a real worker through Redis
(issue 27, item 4): none is `passed`, none earns the points of the test it fails. The runner
is tested route by route in test_go_forgery.py; this is the path the site takes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from grader.models import Submission
from grader.services import submission_create
from tests.conftest import celery_worker
from tests.factories import SectionFactory, UserFactory, exercise_stored
from tests.grader.test_go_forgery import (
    ALLOWED,
    FRAMING_THEN_EXIT,
    RERUN,
    TESTS,
    solution,
)
from tests.grader.test_grading_worker import wait_graded

pytestmark = [pytest.mark.slow, pytest.mark.database_incidental, pytest.mark.services]

FORGERS = {
    "framing printed with fmt": ALLOWED["framing printed with fmt"],
    "framing from a goroutine after the test ended": ALLOWED[
        "framing from a goroutine after the test ended"
    ],
    "rerun the tests as a child, FAIL -> PASS": RERUN,
    "forged framing, then os.Exit(0) through an alias": FRAMING_THEN_EXIT,
}


def test_go_forgers_through_a_real_worker_get_no_pass_and_no_points_for_add(
    live_worker_env: dict[str, str], go_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)
    exercise = exercise_stored(
        section=SectionFactory.create(), slug="forgery-go", title="Add", statement="Add.",
        language="go", starter_files={"solution.go": "package exercise\n"},
        reference_files={"solution.go": "package exercise\n"},
        test_files={"solution_test.go": TESTS}, points=Decimal(10), scoring="per_test",
        is_published=True, check_status="ok",
    )  # fmt: skip
    learner = UserFactory.create()
    honest = solution(['"fmt"'], '\tfmt.Println("working")')
    env = {**live_worker_env, "GRADER_GO_CACHE": str(go_cache)}
    with celery_worker(env, queues="code"):
        submissions = {
            name: submission_create(learner=learner, exercise=exercise, files={"solution.go": code})
            for name, code in {**FORGERS, "honest but wrong": honest}.items()
        }
        wait_graded([s.pk for s in submissions.values()], timeout=240)

    graded = {name: Submission.objects.get(pk=s.pk) for name, s in submissions.items()}
    assert (graded["honest but wrong"].verdict, graded["honest but wrong"].score) == (
        "failed",
        Decimal("5.00"),
    )  # Double is right, Add is wrong
    for name in FORGERS:
        submission = graded[name]
        assert submission.status == "graded", (name, submission.error_reason)
        assert submission.verdict in {"failed", "runtime_error", "compile_error"}, (
            name,
            submission.results,
        )
        assert submission.score is not None
        assert submission.score <= Decimal("5.00"), (name, submission.score)
        passed = [t["name"] for t in submission.results["tests"] if t["status"] == "pass"]
        assert "TestAdd" not in passed, (name, submission.results)
