"""A Go and a Python submission graded end to end: service -> Redis -> real worker -> sandbox."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

from grader.models import Submission
from grader.services import exercise_import, submission_create
from tests.conftest import REPO_DIR, celery_worker
from tests.factories import SectionFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.services]

DEMO_EXERCISES = REPO_DIR / "demo" / "exercises"


def demo_exercise(language: str) -> Path:
    for folder in sorted(DEMO_EXERCISES.iterdir()):
        config = folder / "exercise.toml"
        if config.is_file() and tomllib.loads(config.read_text())["language"] == language:
            return folder
    raise AssertionError(f"no demo {language} exercise")


def wait_graded(ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while Submission.objects.filter(pk__in=ids, status__in=["graded", "error"]).count() < len(ids):
        assert time.monotonic() < deadline, "submissions not graded in time"
        time.sleep(0.1)


@pytest.mark.parametrize("language", ["go", "python"])
def test_submissions_are_graded_by_a_real_worker(live_worker_env, go_cache, monkeypatch, language):
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)  # the in-process import check
    env = {**live_worker_env, "GRADER_GO_CACHE": str(go_cache)}
    imported = exercise_import(path=demo_exercise(language), section=SectionFactory.create())
    assert imported.check.ok, imported.check.report
    exercise = imported.exercise

    with celery_worker(env, queues="code"):
        right = submission_create(
            learner=UserFactory.create(), exercise=exercise, files=exercise.reference_files
        )
        wrong = submission_create(
            learner=UserFactory.create(), exercise=exercise, files=exercise.starter_files
        )
        wait_graded([right.pk, wrong.pk], timeout=120)

    right.refresh_from_db()
    wrong.refresh_from_db()
    assert (right.status, right.verdict, right.score) == ("graded", "passed", exercise.points)
    assert right.results["status"] == "pass"
    assert right.tests_passed == right.tests_total > 0
    assert wrong.status == "graded"
    assert wrong.verdict != "passed"
    assert wrong.score < exercise.points
    assert wrong.results["version"] == 3
