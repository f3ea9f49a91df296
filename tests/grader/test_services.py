"""Submissions and exercise checks through the services, with a fake runner (and the
claim's lease: a dead worker's submission queued again at once, exactly once).

The sandbox itself is tested for real in test_sandbox*/test_runners*; here the
services get a runner that answers from a script, so the rules are checked fast.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone, translation

from core import grading_work
from counters.selectors import series_read
from counters.services import (
    CODE_SUBMISSION,
    GRADED,
    SUBMIT_TO_GRADED,
    SWEEP_REQUEUED,
    grading_count,
    latency_bucket,
)
from grader import services
from grader.models import CodingExercise, Submission
from grader.services import (
    ExerciseError,
    exercise_check,
    exercise_import,
    exercise_publish,
    submission_create,
    submission_grade,
    submissions_requeue_lost,
    submissions_requeue_stuck,
)
from tests.factories import SectionFactory, UserFactory, exercise_stored

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class FakeTest:
    name: str
    status: str
    message: str = ""
    task_id: int | None = None


@dataclass
class FakeReport:
    verdict: str
    tests: list[FakeTest] = field(default_factory=list)
    message: str = ""
    stdout: str = ""
    stderr: str = ""
    wall_seconds: float = 0.1
    cpu_seconds: float = 0.05
    runner_version: str = "fake-1"

    def results_json(self) -> dict[str, Any]:
        return {"version": 3, "status": "pass" if self.verdict == "passed" else "fail",
                "tests": [{"name": t.name, "status": t.status} for t in self.tests]}  # fmt: skip


class FakeRunner:
    """Passes code containing "SOLVED", fails other code; records every call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> FakeReport:
        self.calls.append(kwargs)
        code = "".join(kwargs["files"].values())
        if "BROKEN" in code:
            return FakeReport(verdict="internal_error", message="sandbox exploded")
        if "SOLVED" in code:
            return FakeReport("passed", [FakeTest("TestA", "pass"), FakeTest("TestB", "pass")])
        return FakeReport("failed", [FakeTest("TestA", "pass"),
                                     FakeTest("TestB", "fail", "expected 2, got 1")])  # fmt: skip


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def exercise(runner) -> CodingExercise:
    exercise = exercise_stored(
        section=SectionFactory.create(), slug="ttl", title="Кэш", statement="Сделайте кэш.",
        language="go", starter_files={"cache.go": "package cache // TODO"},
        reference_files={"cache.go": "package cache // SOLVED"},
        test_files={"cache_test.go": "package cache"}, support_files={"go.mod": "module x"},
        points=Decimal(10),
    )  # fmt: skip
    assert exercise_check(exercise=exercise, runner=runner).ok
    exercise_publish(exercise=exercise)
    return exercise


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    sent: list[int] = []

    def fake_queue(*, submission_id: int, countdown: float = 0) -> bool:
        sent.append(submission_id)
        return True

    monkeypatch.setattr(services, "submission_queue", fake_queue)
    return sent


def submit(exercise, files, queued) -> Submission:
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        return submission_create(learner=UserFactory.create(), exercise=exercise, files=files)


def test_check_passes_for_a_good_exercise_and_shows_the_outcome(exercise, runner):
    exercise.refresh_from_db()
    assert exercise.check_status == "ok"
    assert exercise.is_published
    assert exercise.check_report.startswith("OK")
    # reference and starter both ran, with hidden and example tests
    assert [c["files"]["cache.go"] for c in runner.calls] == [
        "package cache // SOLVED", "package cache // TODO",
    ]  # fmt: skip
    assert "cache_test.go" in runner.calls[0]["test_files"]


def test_an_exercise_whose_starter_passes_is_refused_publication(exercise, runner):
    exercise.starter_files = {"cache.go": "package cache // SOLVED already"}
    exercise.save()

    outcome = exercise_check(exercise=exercise, runner=runner)

    assert not outcome.ok
    assert "starter code already passes" in outcome.report
    exercise.refresh_from_db()
    assert not exercise.is_published
    with pytest.raises(ExerciseError, match="check has not passed"):
        exercise_publish(exercise=exercise)


def test_an_exercise_whose_reference_fails_is_refused(exercise, runner):
    exercise.reference_files = {"cache.go": "package cache // wrong"}
    outcome = exercise_check(exercise=exercise, runner=runner)
    assert not outcome.ok
    assert "reference solution does not pass" in outcome.report
    assert "TestB: expected 2, got 1" in outcome.report


def test_a_submission_is_graded_with_per_test_score(exercise, runner, queued):
    submission = submit(exercise, {"cache.go": "package cache // try"}, queued)
    assert queued == [submission.pk]
    assert submission.status == "queued"

    submission_grade(submission_id=submission.pk, runner=runner)

    submission.refresh_from_db()
    assert (submission.status, submission.verdict) == ("graded", "failed")
    assert submission.score == Decimal("5.00")
    assert (submission.tests_passed, submission.tests_total) == (1, 2)
    assert submission.results["version"] == 3


def test_grading_twice_does_not_run_the_code_twice(exercise, runner, queued):
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    submission_grade(submission_id=submission.pk, runner=runner)
    calls = len(runner.calls)

    outcome = submission_grade(submission_id=submission.pk, runner=runner)

    assert outcome.status == "graded"
    assert len(runner.calls) == calls


def test_a_grading_counts_once_when_it_stores_and_a_second_delivery_counts_nothing(
    exercise, runner, queued
):
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    assert submission.gradings == 0

    submission_grade(submission_id=submission.pk, runner=runner)
    submission_grade(submission_id=submission.pk, runner=runner)

    submission.refresh_from_db()
    assert (submission.status, submission.gradings) == ("graded", 1)


def test_a_grade_is_counted_once_with_its_wait(exercise, runner, queued, counted):
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)

    submission_grade(submission_id=submission.pk, runner=runner)
    submission_grade(submission_id=submission.pk, runner=runner)  # a second delivery

    submission.refresh_from_db()
    took = (submission.graded_at - submission.created_at).total_seconds()
    assert counted(GRADED, kind=CODE_SUBMISSION, outcome="passed") == 1
    [series] = series_read(name=SUBMIT_TO_GRADED)
    assert series.labels == {"kind": CODE_SUBMISSION, "le": latency_bucket(took)}
    assert (series.count, series.total) == (1, pytest.approx(took))


def test_a_grade_rolled_back_after_it_was_counted_is_not_counted(
    exercise, runner, queued, counted, monkeypatch
):
    # given a grading whose transaction fails after it counted the grade
    def counted_then_failed(**kwargs: Any) -> None:
        grading_count(**kwargs)
        raise ValueError("the grade's transaction failed")

    monkeypatch.setattr(services, "grading_count", counted_then_failed)
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)

    outcome = submission_grade(submission_id=submission.pk, runner=runner)

    assert (outcome.status, outcome.retry) == ("queued", True)  # nothing stored: again
    assert counted(GRADED, kind=CODE_SUBMISSION, outcome="passed") == 0
    assert series_read(name=SUBMIT_TO_GRADED) == []
    # and when the next run stores it, it counts once
    monkeypatch.setattr(services, "grading_count", grading_count)
    submission_grade(submission_id=submission.pk, runner=runner)
    assert counted(GRADED, kind=CODE_SUBMISSION, outcome="passed") == 1


def test_a_run_whose_claim_was_taken_over_stores_nothing_and_is_not_counted(exercise, queued):
    # Given a run that is still running when the sweep hands its submission to another
    # worker (stale claim), which grades it first
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    other = FakeRunner()

    def slow_then_overtaken(**kwargs: Any) -> FakeReport:
        Submission.objects.filter(pk=submission.pk).update(status="queued")
        submission_grade(submission_id=submission.pk, runner=other)
        return FakeReport("failed", [FakeTest("TestA", "fail")])

    # when the first run finishes
    outcome = submission_grade(submission_id=submission.pk, runner=slow_then_overtaken)

    # then only the other run's grade is stored, counted once
    submission.refresh_from_db()
    assert outcome.status == "graded"
    assert (submission.verdict, submission.gradings) == ("passed", 1)
    assert len(other.calls) == 1


def test_internal_error_is_retried_then_marked_error(exercise, runner, queued):
    submission = submit(exercise, {"cache.go": "BROKEN"}, queued)
    outcomes = [submission_grade(submission_id=submission.pk, runner=runner)
                for _ in range(services.MAX_RUNS)]  # fmt: skip
    assert [o.retry for o in outcomes] == [True, True, False]
    submission.refresh_from_db()
    assert (submission.status, submission.verdict) == ("error", "internal_error")
    assert "sandbox exploded" in submission.error_reason
    # the runs tried again are not outcomes; the error is, once
    assert [s.labels["outcome"] for s in series_read(name=GRADED)] == ["error"]
    assert series_read(name=GRADED)[0].count == 1


def test_an_internal_errors_reason_reaches_the_log_escaped(exercise, queued, caplog):
    # Regression (issue 14 review): the reason was logged raw, and a runner's message can
    # carry learner output: a learner's "\x1b[2J" cleared the screen of whoever read the log.
    def broken(**kwargs: Any) -> FakeReport:
        return FakeReport(verdict="internal_error", message="\x1b[2J\x1b[31mFAKE\x00")

    submission = submit(exercise, {"cache.go": "x"}, queued)
    for _run in range(services.MAX_RUNS):
        submission_grade(submission_id=submission.pk, runner=broken)
    submission.refresh_from_db()
    assert submission.status == "error"
    assert "\\x1b[2J\\x1b[31mFAKE\\x00" in caplog.text
    assert "\x1b" not in caplog.text
    assert "\x00" not in caplog.text


def test_a_crashing_runner_is_an_internal_error_not_the_learners(exercise, queued):
    def crash(**kwargs):
        raise OSError("bwrap: setting up uid map: Permission denied")

    submission = submit(exercise, {"cache.go": "x"}, queued)
    outcome = submission_grade(submission_id=submission.pk, runner=crash)
    assert outcome.retry
    submission.refresh_from_db()
    assert submission.status == "queued"


@pytest.mark.parametrize(
    ("files", "message", "russian"),
    [
        ({}, "No files", "Не отправлено ни одного файла"),
        ({"../etc/passwd": "x"}, "Unexpected files: ../etc/passwd", "Лишние файлы: ../etc/passwd"),
        ({"cache.go": "x" * (256 * 1024 + 1)}, "At most 256 KB", "Не более 256 КБ"),
        ({"cache.go": "a\x00b"}, "NUL byte", "найден байт NUL"),
    ],
)
def test_bad_submissions_are_refused_saying_why_in_the_learners_language(
    exercise, queued, files, message, russian
):
    with translation.override("en"), pytest.raises(ExerciseError, match=message):
        submit(exercise, files, queued)
    with translation.override("ru"), pytest.raises(ExerciseError, match=russian):
        submit(exercise, files, queued)
    assert not Submission.objects.exists()


def test_unpublished_exercise_takes_no_submissions(exercise, queued):
    exercise_publish(exercise=exercise, publish=False)
    with translation.override("en"), pytest.raises(ExerciseError, match="not open"):
        submit(exercise, {"cache.go": "x"}, queued)


def test_the_sweep_requeues_stuck_submissions(exercise, queued, counted):
    submission = submit(exercise, {"cache.go": "x"}, queued)
    Submission.objects.filter(pk=submission.pk).update(status="running", started_at=timezone.now())
    queued.clear()

    assert submissions_requeue_stuck(now=timezone.now()) == 0
    assert submissions_requeue_stuck(now=timezone.now() + timedelta(minutes=5)) == 1

    assert queued == [submission.pk]
    submission.refresh_from_db()
    assert submission.status == "queued"
    assert counted(SWEEP_REQUEUED, kind=CODE_SUBMISSION) == 1  # its worker was lost


def test_import_our_folder_checks_it(tmp_path: Path, runner):
    root = tmp_path / "ex"
    (root / "starter").mkdir(parents=True)
    (root / "solution").mkdir()
    (root / "tests").mkdir()
    (root / "exercise.toml").write_text('title = "Т"\nlanguage = "python"\n', encoding="utf-8")
    (root / "starter/sol.py").write_text("def f(): raise NotImplementedError\n")
    (root / "solution/sol.py").write_text("def f(): return 1  # SOLVED\n")
    (root / "tests/test_sol.py").write_text("from sol import f\ndef test_f(): assert f() == 1\n")
    section = SectionFactory.create()

    first = exercise_import(path=root, section=section, runner=runner)
    again = exercise_import(path=root, section=section, runner=runner)

    assert first.created
    assert not again.created
    assert first.exercise.pk == again.exercise.pk
    assert again.check.ok
    again.exercise.refresh_from_db()
    assert again.exercise.is_published
    assert again.exercise.language == "python"
    assert again.exercise.memory_mb == 256


def test_reimporting_an_unchanged_folder_does_not_run_the_check_again(tmp_path: Path, runner):
    root = tmp_path / "ex"
    for folder in ("starter", "solution", "tests"):
        (root / folder).mkdir(parents=True)
    (root / "exercise.toml").write_text('title = "Т"\nlanguage = "python"\n', encoding="utf-8")
    (root / "starter/sol.py").write_text("def f(): raise NotImplementedError\n")
    (root / "solution/sol.py").write_text("def f(): return 1  # SOLVED\n")
    (root / "tests/test_sol.py").write_text("from sol import f\ndef test_f(): assert f() == 1\n")
    section = SectionFactory.create()
    exercise_import(path=root, section=section, runner=runner)
    runs = len(runner.calls)

    exercise_import(path=root, section=section, runner=runner)
    assert len(runner.calls) == runs

    (root / "tests/test_sol.py").write_text("from sol import f\ndef test_f(): assert f() == 1  \n")
    exercise_import(path=root, section=section, runner=runner)
    assert len(runner.calls) == runs + 2  # changed: reference and starter run again


def test_a_machine_without_the_sandbox_fails_the_check_instead_of_crashing(exercise):
    from grader.sandbox import SandboxUnavailable

    def no_sandbox(**kwargs):
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")

    outcome = exercise_check(exercise=exercise, runner=no_sandbox)

    assert not outcome.ok
    assert "could not run the check: bubblewrap" in outcome.report
    exercise.refresh_from_db()
    assert (exercise.check_status, exercise.is_published) == ("failed", False)


def test_the_sweep_gives_up_on_a_submission_no_worker_ever_finishes(
    exercise, queued, caplog, counted
):
    # Regression (issue 14): a submission whose grading kills every worker that claims it
    # (left `running`) was re-queued by the sweep for ever.
    submission = submit(exercise, {"cache.go": "x"}, queued)
    queued.clear()
    clock = timezone.now()
    for _claim in range(settings.GRADING_MAX_REQUEUES):
        # a worker took it (and died)
        Submission.objects.filter(pk=submission.pk).update(status="running", started_at=clock)
        clock += timedelta(minutes=5)
        assert submissions_requeue_stuck(now=clock) == 1
    Submission.objects.filter(pk=submission.pk).update(status="running", started_at=clock)
    clock += timedelta(minutes=5)
    assert submissions_requeue_stuck(now=clock) == 0

    assert queued == [submission.pk] * settings.GRADING_MAX_REQUEUES
    submission.refresh_from_db()
    assert (submission.status, submission.verdict) == ("error", "internal_error")
    assert counted(SWEEP_REQUEUED, kind=CODE_SUBMISSION) == settings.GRADING_MAX_REQUEUES
    assert counted(GRADED, kind=CODE_SUBMISSION, outcome="error") == 1
    assert "never finished" in submission.error_reason
    started = settings.GRADING_MAX_REQUEUES + 1
    assert f"submission {submission.pk}: grading was started {started} times" in caplog.text


def test_a_submission_waiting_in_a_backlog_is_never_given_up(exercise, queued):
    submission = submit(exercise, {"cache.go": "x"}, queued)
    clock = timezone.now()
    for _sweep in range(settings.GRADING_MAX_REQUEUES + 3):  # still `queued`: nobody took it
        clock += timedelta(minutes=5)
        assert submissions_requeue_stuck(now=clock) == 1
    submission.refresh_from_db()
    assert (submission.status, submission.requeues) == ("queued", 0)


def test_a_run_taken_after_a_backlog_is_left_to_finish(exercise, runner, queued, monkeypatch):
    # Regression (issue 14 review): a `running` submission counted as abandoned once it had
    # been *queued* over STUCK_AFTER ago, so one that waited in a backlog and was being graded
    # right then was thrown back to the queue (its grade dropped), counted as a re-queue, and
    # after GRADING_MAX_REQUEUES such rounds given up as `error`.
    clock = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: clock)
    submission = submit(exercise, {"cache.go": "x"}, queued)
    for _sweep in range(3):  # the beat's sweeps while it waits: not stale yet
        clock += timedelta(seconds=30)
        assert submissions_requeue_stuck() == 0
    clock += services.STUCK_AFTER - timedelta(seconds=100)  # a worker takes it just in time
    swept_while_running: list[int] = []

    def slow_runner(**kwargs: Any) -> FakeReport:
        nonlocal clock
        clock += timedelta(seconds=20)  # the run, within the task's time limit
        swept_while_running.append(submissions_requeue_stuck())
        return runner(**kwargs)

    outcome = submission_grade(submission_id=submission.pk, runner=slow_runner)

    assert swept_while_running == [0]
    assert outcome.status == "graded"
    submission.refresh_from_db()
    assert (submission.status, submission.verdict, submission.requeues) == ("graded", "failed", 0)
    # A run that outlives every time limit is still found: its worker died.
    Submission.objects.filter(pk=submission.pk).update(status="running", started_at=clock)
    clock += services.STUCK_AFTER + timedelta(seconds=1)
    assert submissions_requeue_stuck() == 1
    submission.refresh_from_db()
    assert (submission.status, submission.requeues) == ("queued", 1)


def test_a_submission_whose_publish_failed_is_swept_at_once(exercise, monkeypatch):
    # Issue 26: it used to wait GRADER_STUCK_AFTER_SECONDS (2 min) for the sweep after the
    # broker came back; now the failed publish marks it not queued and the next sweep (the one
    # a worker runs on connecting) takes it at once.
    from grader import tasks

    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(tasks.grade_submission_task, "apply_async", broker_down)
    submission = submit(exercise, {"cache.go": "x"}, queued=None)
    submission.refresh_from_db()
    assert submission.status == "queued"
    assert submission.queued_at is None

    sent: list[tuple[int, ...]] = []
    monkeypatch.setattr(
        tasks.grade_submission_task, "apply_async", lambda args, **kw: sent.append(args)
    )
    assert submissions_requeue_stuck(now=timezone.now()) == 1
    assert sent == [(submission.pk,)]
    submission.refresh_from_db()
    assert submission.queued_at is not None
    # queued just now: the next sweep leaves it alone
    assert submissions_requeue_stuck(now=timezone.now()) == 0


# --- the claim is a lease: a dead worker's work is queued again at once -----------------
# (core.grading_work; tests/grader/test_dead_worker.py kills real workers.)


def holder(pid: int) -> str:
    """The claim_holder a process `pid` of this machine would write."""
    return grading_work.process_identity().rpartition("/")[0] + f"/{pid}"


def a_dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()  # reaped: the pid is free
    return process.pid


def claimed(submission: Submission, *, by: str, lease: timedelta) -> None:
    Submission.objects.filter(pk=submission.pk).update(
        status="running", claim="a" * 32, claim_holder=by, started_at=timezone.now(),
        lease_until=timezone.now() + lease,
    )  # fmt: skip


def test_a_claim_records_its_process_and_a_lease(exercise, runner, queued):
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    seen: list[Submission] = []

    def looks(**kwargs: Any) -> FakeReport:
        seen.append(Submission.objects.get(pk=submission.pk))
        return runner(**kwargs)

    submission_grade(submission_id=submission.pk, runner=looks)

    (running,) = seen
    assert running.claim_holder == grading_work.process_identity()
    assert running.claim_holder.endswith(f"/{os.getpid()}")
    left = (running.lease_until - timezone.now()).total_seconds()
    assert 0 < left <= settings.GRADING_LEASE_SECONDS


def test_a_second_message_leaves_a_live_runs_claim_alone(exercise, queued):
    # Given a submission a live process of this machine (our parent) is grading
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    claimed(submission, by=holder(os.getppid()), lease=timedelta(seconds=5))
    runner = FakeRunner()

    # when a second message for it is delivered
    outcome = submission_grade(submission_id=submission.pk, runner=runner)

    # then it runs nothing and leaves the claim as it was, and asks to be delivered again once
    # the lease would have run out (a broker that gave a dead worker's message back at once
    # must not drop it: RabbitMQ)
    assert (outcome.status, runner.calls) == ("running", [])
    assert outcome.check_again_in is not None
    assert 5.0 < outcome.check_again_in <= 6.0
    submission.refresh_from_db()
    assert (submission.status, submission.claim) == ("running", "a" * 32)


def test_a_claim_held_on_another_machine_waits_for_its_lease(exercise, queued):
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    runner = FakeRunner()
    elsewhere = "0c1d/pid:[4026531836]/4242"
    claimed(submission, by=elsewhere, lease=timedelta(seconds=5))
    assert submission_grade(submission_id=submission.pk, runner=runner).status == "running"

    claimed(submission, by=elsewhere, lease=timedelta(seconds=-1))
    assert submission_grade(submission_id=submission.pk, runner=runner).status == "graded"
    assert len(runner.calls) == 1


def test_a_claim_of_a_process_of_this_machine_that_died_is_taken_at_once(exercise, runner, queued):
    # Regression guard: a killed pool process's message comes straight back (reject on
    # worker lost); waiting out its lease would add seconds to every such recovery.
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    claimed(submission, by=holder(a_dead_pid()), lease=timedelta(seconds=5))

    outcome = submission_grade(submission_id=submission.pk, runner=runner)

    submission.refresh_from_db()
    assert (outcome.status, submission.verdict, submission.gradings) == ("graded", "passed", 1)


def test_the_sweep_queues_a_dead_workers_submission_once(exercise, runner, queued):
    # Given a submission whose worker died mid-run (its lease ran out), and one whose worker
    # is alive
    dead = submit(exercise, {"cache.go": "SOLVED"}, queued)
    alive = submit(exercise, {"cache.go": "SOLVED"}, queued)
    claimed(dead, by=holder(os.getppid()), lease=timedelta(seconds=-1))
    claimed(alive, by=holder(os.getppid()), lease=timedelta(seconds=5))
    queued.clear()

    # when the lost-work sweep runs, twice
    assert submissions_requeue_lost() == 1
    assert submissions_requeue_lost() == 0

    # then the dead one is queued again once, its dead claim gone; the live one left alone
    assert queued == [dead.pk]
    dead.refresh_from_db()
    assert (dead.status, dead.claim, dead.lease_until, dead.requeues) == ("queued", "", None, 1)
    alive.refresh_from_db()
    assert (alive.status, alive.requeues) == ("running", 0)
    # and the re-sent message grades it
    assert submission_grade(submission_id=dead.pk, runner=runner).status == "graded"


def test_a_submission_whose_workers_keep_dying_is_given_up(exercise, queued):
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    for _death in range(settings.GRADING_MAX_REQUEUES):
        claimed(submission, by=holder(os.getppid()), lease=timedelta(seconds=-1))
        assert submissions_requeue_lost() == 1
    claimed(submission, by=holder(os.getppid()), lease=timedelta(seconds=-1))
    assert submissions_requeue_lost() == 0

    submission.refresh_from_db()
    assert (submission.status, submission.verdict) == ("error", "internal_error")


def test_a_run_declared_dead_stores_nothing_when_it_comes_back(exercise, queued):
    # Given a run frozen long enough for its lease to run out: the sweep queues the
    # submission again and another run grades it
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    other = FakeRunner()

    def frozen_then_back(**kwargs: Any) -> FakeReport:
        Submission.objects.filter(pk=submission.pk).update(
            lease_until=timezone.now() - timedelta(seconds=1)
        )
        assert submissions_requeue_lost() == 1
        assert submission_grade(submission_id=submission.pk, runner=other).status == "graded"
        return FakeReport("failed", [FakeTest("TestA", "fail")])

    # when the frozen run comes back with its (different) result
    submission_grade(submission_id=submission.pk, runner=frozen_then_back)

    # then the newer grade stays, stored once
    submission.refresh_from_db()
    assert (submission.verdict, submission.gradings, submission.requeues) == ("passed", 1, 1)
    assert len(other.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_a_slow_run_keeps_its_claim_while_its_process_lives(exercise, runner, queued, monkeypatch):
    # Given a lease of 1 s, renewed every 0.25 s by the run's process
    monkeypatch.setattr(services, "LEASE", timedelta(seconds=1))
    submission = submit(exercise, {"cache.go": "SOLVED"}, queued)
    during: list[tuple[int, Submission]] = []

    def slow(**kwargs: Any) -> FakeReport:
        time.sleep(2.5)  # leases run out twice over
        during.append((submissions_requeue_lost(), Submission.objects.get(pk=submission.pk)))
        return runner(**kwargs)

    # when the run takes longer than its lease, twice over
    outcome = submission_grade(submission_id=submission.pk, runner=slow)

    # then the sweep found its lease renewed, and its grade is stored
    ((swept, seen),) = during
    assert swept == 0
    assert (seen.status, seen.claim_holder) == ("running", grading_work.process_identity())
    submission.refresh_from_db()
    assert (outcome.status, submission.gradings, submission.requeues) == ("graded", 1, 0)
