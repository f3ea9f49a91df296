"""Runs of an exercise's visible examples (issue 22): the examples only, not graded, not a
submission, seen by their learner alone, limited per learner; pages, API and a real worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from grader import services
from grader.models import CodingExercise, ExampleRun, Submission
from grader.services import (
    ExampleRunRefused,
    ExerciseError,
    example_run_create,
    example_run_execute,
    example_runs_sweep,
    exercise_check,
    exercise_publish,
    exercise_write,
)
from progress.models import ItemCompletion
from tests.factories import SectionFactory, UserFactory, exercise_stored
from tests.grader.test_services import FakeRunner
from webhooks.models import PendingEvent

pytestmark = pytest.mark.django_db

EXAMPLE = {"cache_example_test.go": "package cache // the example"}
HIDDEN = {"cache_test.go": "package cache // hidden: never in an examples run"}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):  # (the services' messages are matched in English)
        yield


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def exercise(runner: FakeRunner) -> CodingExercise:
    exercise = exercise_stored(
        section=SectionFactory.create(), slug="ttl", title="Кэш", statement="Сделайте кэш.",
        language="go", starter_files={"cache.go": "package cache // TODO"},
        reference_files={"cache.go": "package cache // SOLVED"}, test_files=HIDDEN,
        example_files=EXAMPLE, support_files={"go.mod": "module x"}, points=Decimal(10),
    )  # fmt: skip
    assert exercise_check(exercise=exercise, runner=runner).ok
    exercise_publish(exercise=exercise)
    runner.calls.clear()
    return exercise


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sent: list[int] = []

    def queue(*, run_id: int) -> bool:
        sent.append(run_id)
        return True

    monkeypatch.setattr(services, "example_run_queue", queue)
    return sent


def run_examples(exercise: CodingExercise, files: dict[str, str], learner=None) -> ExampleRun:
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        return example_run_create(
            learner=learner or UserFactory.create(), exercise=exercise, files=files
        )


def test_a_run_is_queued_with_the_learner_s_files_completed_from_the_starter(exercise, queued):
    run = run_examples(exercise, {"cache.go": "package cache // mine"})

    assert queued == [run.pk]
    assert (run.status, run.files) == ("queued", {"cache.go": "package cache // mine"})
    assert Submission.objects.count() == 0  # not a submission


def test_it_runs_the_example_tests_only_and_stores_their_result(exercise, queued, runner):
    learner = UserFactory.create()
    run = run_examples(exercise, {"cache.go": "package cache // SOLVED"}, learner)

    assert example_run_execute(run_id=run.pk, runner=runner) == "done"

    (call,) = runner.calls
    assert call["test_files"] == EXAMPLE  # never the hidden tests
    assert call["files"] == {"cache.go": "package cache // SOLVED"}
    run.refresh_from_db()
    assert (run.status, run.verdict, run.tests_passed, run.tests_total) == ("done", "passed", 2, 2)
    assert run.results["tests"][0]["name"] == "TestA"
    # not graded: no submission, no progress, no webhook event
    assert not Submission.objects.exists()
    assert not ItemCompletion.objects.filter(learner=learner).exists()
    assert not PendingEvent.objects.exists()


def test_a_second_delivery_runs_nothing_and_an_internal_error_ends_the_run(
    exercise, queued, runner
):
    run = run_examples(exercise, {"cache.go": "package cache // BROKEN"})

    assert example_run_execute(run_id=run.pk, runner=runner) == "error"
    assert example_run_execute(run_id=run.pk, runner=runner) == "taken"

    assert len(runner.calls) == 1
    run.refresh_from_db()
    assert run.status == "error"
    assert "sandbox exploded" in run.error_reason


def test_refused_without_examples_unpublished_or_with_unknown_files(exercise, queued):
    with pytest.raises(ExerciseError, match=r"unknown\.go"):
        run_examples(exercise, {"unknown.go": "x"})
    exercise.example_files = {}
    exercise_write(exercise=exercise)
    with pytest.raises(ExerciseError, match="no example tests"):
        run_examples(exercise, {"cache.go": "x"})
    exercise.example_files = EXAMPLE
    exercise.is_published = False
    exercise_write(exercise=exercise)
    with pytest.raises(ExerciseError, match="not open"):
        run_examples(exercise, {"cache.go": "x"})
    assert not ExampleRun.objects.exists()


def test_one_run_at_a_time_and_a_few_a_minute_per_learner(exercise, queued, settings):
    settings.GRADER_EXAMPLE_RUNS_PER_MINUTE = 3
    learner = UserFactory.create()
    first = run_examples(exercise, {"cache.go": "a"}, learner)
    with pytest.raises(ExampleRunRefused, match="not finished") as waiting:
        run_examples(exercise, {"cache.go": "b"}, learner)
    assert waiting.value.retry_after > 0
    run_examples(exercise, {"cache.go": "b"})  # another learner is not held up

    ExampleRun.objects.filter(pk=first.pk).update(status="done")
    for code in ("c", "d"):
        run = run_examples(exercise, {"cache.go": code}, learner)
        ExampleRun.objects.filter(pk=run.pk).update(status="done")
    with pytest.raises(ExampleRunRefused, match="At most 3") as limited:
        run_examples(exercise, {"cache.go": "e"}, learner)
    assert 1 <= limited.value.retry_after <= 60

    ExampleRun.objects.filter(learner=learner).update(
        created_at=timezone.now() - timedelta(minutes=2)
    )
    run_examples(exercise, {"cache.go": "f"}, learner)  # a minute later: allowed again


def test_the_sweep_queues_lost_runs_again_and_ends_old_ones(exercise, queued):
    lost = run_examples(exercise, {"cache.go": "a"})
    old = run_examples(exercise, {"cache.go": "b"})
    fresh = run_examples(exercise, {"cache.go": "c"})
    now = timezone.now()
    ExampleRun.objects.filter(pk=lost.pk).update(
        status="running", started_at=now - timedelta(minutes=3)
    )
    ExampleRun.objects.filter(pk=old.pk).update(created_at=now - timedelta(minutes=11))
    queued.clear()

    assert example_runs_sweep(now=now) == 2

    assert queued == [lost.pk]
    lost.refresh_from_db()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == "queued"
    assert (old.status, old.error_reason) == (
        "error",
        "not run in time (our workers were busy or down)",
    )
    assert fresh.status == "queued"


# --- the pages -----------------------------------------------------------------------------


def test_the_page_runs_the_examples_keeps_the_code_in_the_editor_and_shows_the_result(
    client, exercise, queued, runner
):
    learner = UserFactory.create()
    client.force_login(learner)
    page = client.get(reverse("grader:exercise", kwargs={"exercise_id": exercise.pk}))
    assert reverse("grader:examples", kwargs={"exercise_id": exercise.pk}) in page.text

    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        response = client.post(
            reverse("grader:examples", kwargs={"exercise_id": exercise.pk}),
            {"file:cache.go": "package cache // my attempt\r\n"},
        )

    (run,) = ExampleRun.objects.all()
    assert response.status_code == 303
    assert response["Location"].endswith(f"?examples={run.pk}#examples-result")
    example_run_execute(run_id=run.pk, runner=runner)
    shown = client.get(response["Location"])
    assert "package cache // my attempt\n" in shown.text  # in the editor, as typed
    assert 'data-testid="examples-result"' in shown.text
    assert "TestB" in shown.text
    assert "test-result--fail" in shown.text  # TestB failed (the fake runner says no more)
    fragment = client.get(
        reverse("grader:example_run", kwargs={"run_id": run.pk}), {"fragment": "1"}
    )
    assert fragment.status_code == 200
    assert "data-live-final" in fragment.text


def test_a_refused_run_keeps_the_code_and_says_when_to_try_again(client, exercise, queued):
    learner = UserFactory.create()
    run_examples(exercise, {"cache.go": "a"}, learner)  # still queued
    client.force_login(learner)

    response = client.post(
        reverse("grader:examples", kwargs={"exercise_id": exercise.pk}),
        {"file:cache.go": "package cache // typed"},
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "package cache // typed" in response.text


def test_nobody_else_sees_a_run_not_even_the_course_s_instructor(client, exercise, queued):
    run = run_examples(exercise, {"cache.go": "package cache // secret"})
    instructor = UserFactory.create()
    exercise.section.part.course.instructors.add(instructor)
    for user in (UserFactory.create(), instructor):
        client.force_login(user)
        fragment = client.get(reverse("grader:example_run", kwargs={"run_id": run.pk}))
        assert fragment.status_code == 404
        page = client.get(
            reverse("grader:exercise", kwargs={"exercise_id": exercise.pk}),
            {"examples": run.pk},
        )
        assert "secret" not in page.text
        api = APIClient()
        api.force_authenticate(user)
        assert api.get(f"/api/v1/example-runs/{run.pk}/").status_code == 404
        assert api.get("/api/v1/example-runs/").json()["results"] == []
        assert api.get("/api/v1/submissions/").json()["results"] == []


# --- the API -------------------------------------------------------------------------------


def test_the_api_queues_a_run_and_shows_its_result_to_its_learner(exercise, queued, runner):
    learner = UserFactory.create()
    api = APIClient()
    api.force_authenticate(learner)
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        created = api.post(
            "/api/v1/example-runs/",
            {"exercise": exercise.pk, "files": {"cache.go": "package cache // SOLVED"}},
            format="json",
        )
    assert created.status_code == 202, created.content
    url = created.json()["url"]
    assert created["Location"] == url
    example_run_execute(run_id=created.json()["id"], runner=runner)

    detail = api.get(url).json()

    assert (detail["status"], detail["verdict"], detail["tests_passed"]) == ("done", "passed", 2)
    assert detail["files"] == {"cache.go": "package cache // SOLVED"}
    assert "test_code" not in str(detail["results"])
    again = api.post(
        "/api/v1/example-runs/",
        {"exercise": exercise.pk, "files": {"nope.go": "x"}},
        format="json",
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_example_run"


def test_the_api_says_429_with_retry_after_while_a_run_is_unfinished(exercise, queued):
    learner = UserFactory.create()
    run_examples(exercise, {"cache.go": "a"}, learner)
    api = APIClient()
    api.force_authenticate(learner)

    refused = api.post(
        "/api/v1/example-runs/",
        {"exercise": exercise.pk, "files": {"cache.go": "b"}},
        format="json",
    )

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


# --- through a real worker and the sandbox ----------------------------------------------------


@pytest.mark.slow
@pytest.mark.services
@pytest.mark.database_incidental
def test_a_real_worker_runs_the_examples_in_the_sandbox(live_worker_env):
    from tests.conftest import celery_worker
    from tests.grader.test_grading_worker import demo_exercise

    imported = services.exercise_import(
        path=demo_exercise("python"), section=SectionFactory.create()
    )
    assert imported.check.ok, imported.check.report
    exercise = imported.exercise
    learner, other = UserFactory.create(), UserFactory.create()

    with celery_worker(live_worker_env, queues="code"):
        right = example_run_create(
            learner=learner, exercise=exercise, files=exercise.reference_files
        )
        wrong = example_run_create(learner=other, exercise=exercise, files=exercise.starter_files)
        deadline = timezone.now() + timedelta(seconds=120)
        while ExampleRun.objects.filter(status__in=["done", "error"]).count() < 2:
            assert timezone.now() < deadline, "the examples were not run in time"
            time.sleep(0.1)

    right.refresh_from_db()
    wrong.refresh_from_db()
    assert (right.status, right.verdict) == ("done", "passed")
    examples = sum(text.count("def test") for text in exercise.example_files.values())
    assert right.tests_total == right.tests_passed == examples  # the examples, no hidden test
    assert (wrong.status, wrong.verdict) == ("done", "failed")
    assert not Submission.objects.exists()


def test_the_result_names_limits_in_the_learner_s_language_and_failed_tests_first(
    client, exercise, queued
):
    learner = UserFactory.create()
    run = run_examples(exercise, {"cache.go": "x"}, learner)
    ExampleRun.objects.filter(pk=run.pk).update(
        status="done",
        verdict="time_limit",
        results={
            "version": 3, "status": "error", "message": "CPU time limit exceeded (5 s)",
            "tests": [{"name": "TestFirst", "status": "pass"},
                      {"name": "TestSecond", "status": "error",
                       "message": "did not run: CPU time limit exceeded (5 s)"}],
        },
    )  # fmt: skip
    client.force_login(learner)

    page = client.get(
        reverse("grader:example_run", kwargs={"run_id": run.pk}),
        {"fragment": "1"},
        headers={"accept-language": "ru"},
    ).text

    assert "превышено ограничение процессорного времени (5 с)" in page
    assert "не выполнялся: превышено ограничение процессорного времени (5 с)" in page
    assert "CPU time limit exceeded" not in page
    assert page.index("TestSecond") < page.index("TestFirst")  # the failed one first


def test_an_example_test_s_code_is_shown_with_its_result(client, exercise, queued):
    learner = UserFactory.create()
    run = run_examples(exercise, {"cache.go": "x"}, learner)
    ExampleRun.objects.filter(pk=run.pk).update(
        status="done",
        verdict="failed",
        results={"version": 3, "status": "fail", "tests": [
            {"name": "TestExample", "status": "fail", "test_code": "package cache // the example"},
            {"name": "TestHidden", "status": "fail", "test_code": "package cache // hidden"},
        ]},
    )  # fmt: skip
    client.force_login(learner)

    page = client.get(
        reverse("grader:example_run", kwargs={"run_id": run.pk}), {"fragment": "1"}
    ).text

    assert "package cache // the example" in page
    assert "package cache // hidden" not in page
