"""Writes for code exercises: import and check, submissions and their grading.

Learner code runs only in `grader.sandbox` (through `grader.runners.run_tests`);
these services receive its report. Tests may pass a fake runner.
"""

from __future__ import annotations

import contextlib
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from core import grading_work
from core.db import TRANSIENT_ERRORS, asynchronous_commit
from core.grading_work import StuckWork, run_again_after_internal_error, stuck_work_requeue
from core.logs import work_logging
from core.provenance import FieldGroups, ImportPolicy, merge_into, record_as_imported
from core.queueing import enqueue, queue_waiting
from core.storable import storable_json, storable_text
from core.versions import content_version, stamp_version
from counters.services import CODE_SUBMISSION, grading_count, sweep_requeue_count
from courses.models import Section
from deadlines import policy as dates
from deadlines.changes import results_rule_watch
from deadlines.models import SCHEDULE_FIELDS, schedule_change_check
from deadlines.presentation import refusal_message
from deadlines.selectors import item_results_gate, item_schedule
from grader.exercise_source import (
    MAX_BYTES,
    MAX_FILES,
    ExerciseSource,
    ExerciseSourceError,
    load_exercise_source,
)
from grader.models import VERSIONED_FIELDS, CodingExercise, Draft, ExampleRun, Submission
from grader.runners.policy import Allowances
from grader.scoring import code_score
from grader.selectors import exercise_standing
from progress.items import ItemRef, learners_with_work
from progress.services import Placement, enrollment_create, item_placement_watch, item_record
from webhooks.services import event_emit

logger = logging.getLogger(__name__)

# An internal error (the sandbox or the harness broke) is run again: core.grading_work.
MAX_RUNS = grading_work.MAX_RUNS
# Queued or running longer than this: the sweep queues it again.
STUCK_AFTER = timedelta(seconds=settings.GRADER_STUCK_AFTER_SECONDS)
# Queued this long while the code queue holds no message: lost with the broker.
LOST_AFTER = timedelta(seconds=settings.GRADING_LOST_AFTER_SECONDS)
LEASE = timedelta(seconds=settings.GRADING_LEASE_SECONDS)
EXCERPT_CHARS = 8000
# Of the results JSON: each string (a test's message, output, name) and the tests kept.
RESULT_TEXT_CHARS = 4000
MAX_RESULT_TESTS = 1000
# Transient: the database restarted or a connection dropped; the task retries them.


class ExerciseEditConflict(Exception):
    """Someone saved the exercise after the editor showed it: nothing was written."""


class ExerciseError(Exception):
    """Refused: bad exercise folder, bad submission, or a rule of the exercise."""


class Report(Protocol):
    """What the services read of a runner's report (grader.runners.RunReport)."""

    @property
    def verdict(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def tests(self) -> Any: ...
    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def wall_seconds(self) -> float: ...
    @property
    def cpu_seconds(self) -> float: ...
    @property
    def runner_version(self) -> str: ...

    def results_json(self) -> dict[str, Any]: ...


Runner = Callable[..., Report]


def default_runner() -> Runner:
    from grader.runners import run_tests

    return run_tests


def exercise_limits(exercise: CodingExercise) -> Any:
    from grader.sandbox import Limits

    return Limits(
        cpu_seconds=exercise.cpu_seconds,
        wall_seconds=exercise.wall_seconds,
        memory_mb=exercise.memory_mb,
        output_kb=exercise.output_kb,
    )


def exercise_run(exercise: CodingExercise, files: Mapping[str, str], runner: Runner) -> Report:
    return runner(
        language=exercise.language,
        files=dict(files),
        test_files={**exercise.example_files, **exercise.test_files},
        support_files=exercise.support_files,
        limits=exercise_limits(exercise),
        allowances=Allowances.from_json(exercise.allowances),
    )


# --- authoring ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    report: str


def exercise_write(*, exercise: CodingExercise, update_fields: Iterable[str] | None = None) -> None:
    """Save the exercise's row, with the version of its tests and limits when the save writes
    them (core.versions). Every write of an exercise comes here; the public services around
    it add the check, publishing and progress."""
    kwargs: dict[str, Any] = {} if update_fields is None else {"update_fields": [*update_fields]}
    version = exercise.current_tests_version()
    stamp_version(exercise, kwargs, field="tests_version", covers=VERSIONED_FIELDS, version=version)
    with transaction.atomic(), results_rule_watch(exercise, update_fields=update_fields):
        exercise.save(**kwargs)


def _placement(exercise: CodingExercise) -> Placement | None:
    """Where the exercise is in the database, and whether it counts there (published)."""
    if exercise.pk is None:
        return None
    row = (
        CodingExercise.objects.filter(pk=exercise.pk)
        .values_list("section_id", "is_published")
        .first()
    )
    return None if row is None else (row[0], bool(row[1]))


def _watched(exercise: CodingExercise) -> Any:
    """Around each public authoring service: a change of the exercise's section or of its
    publication refreshes learners' progress there after the commit (nothing listens to
    saves). The private helpers below write unwatched, so one service call that unpublishes
    and publishes again changes, and queues, nothing."""
    return item_placement_watch(lambda: _placement(exercise))


def exercise_check(*, exercise: CodingExercise, runner: Runner | None = None) -> CheckOutcome:
    """Run the reference (must pass every test) and the starter (must not pass); store it.

    Only an exercise whose check is ok may be published; a failed check unpublishes.
    """
    with _watched(exercise):
        return _check(exercise, runner)


# What a failed check says (the report's first line); the editor shows them translated.
CHECK_REFERENCE_FAILS = "the reference solution does not pass every test"
CHECK_STARTER_PASSES = "the starter code already passes every test"
CHECK_RUNNER_FAILED = "the runner failed (internal error)"
CHECK_NOT_RUN = "could not run the check"
# A check of files an instructor has changed since it started: not stored (its own check is
# queued by that save), so it can never publish what it did not run.
CHECK_OUTDATED = CheckOutcome(ok=False, report="outdated: the exercise was edited meanwhile")


def _check(
    exercise: CodingExercise,
    runner: Runner | None,
    *,
    publish: bool = False,
    unless_edited: bool = False,
    last_try: bool = True,
) -> CheckOutcome:
    runner = runner or default_runner()
    problems: list[str] = []
    try:
        reference = exercise_run(exercise, exercise.reference_files, runner)
        starter = exercise_run(exercise, exercise.starter_files, runner)
    except SoftTimeLimitExceeded:
        # Two runs in one task: on a cold worker (Go's tools and cache being built) they may
        # not fit; the task tries again, warm, and only its last try stores a failure.
        if not last_try:
            raise
        return _check_store(
            exercise,
            ok=False,
            text=f"FAILED: {CHECK_NOT_RUN}: it took longer than a worker task may "
            f"({settings.TASK_SOFT_TIME_LIMIT} s)",
            unless_edited=unless_edited,
        )
    except Exception as error:  # e.g. SandboxUnavailable: no bubblewrap on this machine
        logger.exception("checking exercise %s could not run", exercise.pk)
        return _check_store(
            exercise,
            ok=False,
            text=f"FAILED: {CHECK_NOT_RUN}: {error}",
            unless_edited=unless_edited,
        )
    passed = sum(1 for t in reference.tests if t.status == "pass")
    lines = [f"reference: {reference.verdict}, {passed}/{len(reference.tests)} tests passed"]
    if reference.verdict != "passed":
        problems.append(CHECK_REFERENCE_FAILS)
        failing = [f"  {t.name}: {t.message}"[:300] for t in reference.tests if t.status != "pass"]
        lines += failing[:10]
        if reference.message:
            lines.append(f"  {reference.message[:1000]}")
    lines.append(f"starter: {starter.verdict}")
    if starter.verdict == "passed":
        problems.append(CHECK_STARTER_PASSES)
    if starter.verdict == "internal_error" or reference.verdict == "internal_error":
        problems.append(CHECK_RUNNER_FAILED)
    ok = not problems
    text = "\n".join([("OK" if ok else "FAILED: " + "; ".join(problems)), *lines])
    return _check_store(exercise, ok=ok, text=text, publish=publish, unless_edited=unless_edited)


def _check_store(
    exercise: CodingExercise,
    *,
    ok: bool,
    text: str,
    publish: bool = False,
    unless_edited: bool = False,
) -> CheckOutcome:
    """Store the check (and publish on a pass if asked). `unless_edited` (a worker's check,
    which reads the row and runs for seconds): not if the exercise was edited since it was
    read, compared and written under the row's lock, so an edit saved meanwhile is never
    published by a check of the files before it."""
    with transaction.atomic():
        if unless_edited and exercise.pk is not None:
            stored = CodingExercise.objects.select_for_update().filter(pk=exercise.pk).first()
            if stored is not None and exercise_edit_stamp(stored) != exercise_edit_stamp(exercise):
                return CHECK_OUTDATED
        exercise.check_status = (
            CodingExercise.CheckStatus.OK if ok else CodingExercise.CheckStatus.FAILED
        )
        exercise.check_report = storable_text(text, limit=20_000)  # holds programs' messages
        exercise.checked_at = timezone.now()
        if not ok:
            exercise.is_published = False
        elif publish:
            exercise.is_published = True
        exercise_write(
            exercise=exercise,
            update_fields=[
                "check_status", "check_report", "checked_at", "is_published", "updated_at",
            ],
        )  # fmt: skip
    return CheckOutcome(ok=ok, report=exercise.check_report)


def exercise_publish(*, exercise: CodingExercise, publish: bool = True) -> CodingExercise:
    with _watched(exercise):
        return _publish(exercise, publish)


def _publish(exercise: CodingExercise, publish: bool = True) -> CodingExercise:
    if publish and exercise.check_status != CodingExercise.CheckStatus.OK:
        raise ExerciseError(
            f"{exercise}: not published: its check has not passed ({exercise.check_status})"
        )
    exercise.is_published = publish
    exercise_write(exercise=exercise, update_fields=["is_published", "updated_at"])
    return exercise


def exercise_save(*, exercise: CodingExercise, runner: Runner | None = None) -> CheckOutcome:
    """Save an exercise edited by an instructor and check it again (publishing needs a pass)."""
    wanted_published = exercise.is_published
    exercise.is_published = False
    exercise.check_status = CodingExercise.CheckStatus.UNCHECKED
    exercise.full_clean()
    with _watched(exercise):
        exercise_write(exercise=exercise)
        outcome = _check(exercise, runner)
        if outcome.ok and wanted_published:
            _publish(exercise)
    return outcome


def exercise_deletable(exercise: CodingExercise) -> bool:
    """Learners' submissions hang on it: unpublish it instead."""
    return not exercise.submissions.exists()


def exercise_delete(*, exercise: CodingExercise) -> None:
    if not exercise_deletable(exercise):
        raise ExerciseError(f"{exercise}: learners have submitted code; unpublish it instead")
    with transaction.atomic(), _watched(exercise):
        exercise.delete()


@dataclass(frozen=True)
class ExerciseImport:
    exercise: CodingExercise
    created: bool
    # The stored one when nothing the check reads changed; in a dry run, not run at all
    check: CheckOutcome
    updated: tuple[str, ...] = ()  # fields the file changed
    # Fields the file changes but the import kept (core.provenance): edited on the site too,
    # or the tests of an exercise learners have submitted to.
    kept_edited: tuple[str, ...] = ()
    kept_learners: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        name = f"exercise {self.exercise.slug}"
        out = []
        if self.created:
            out.append(f"created {name}")
        elif self.updated:
            out.append(f"updated {name}: {', '.join(self.updated)}")
        else:
            out.append(f"unchanged {name}")
        if self.kept_edited:
            out.append(
                f"kept {name}'s {', '.join(self.kept_edited)} as edited on the site (the folder "
                "changes them too; --overwrite takes the folder's)"
            )
        if self.kept_learners:
            out.append(
                f"kept {name}'s {', '.join(self.kept_learners)}: learners have submitted to it "
                "(--overwrite takes the folder's; then regrade)"
            )
        return out


_NOT_RUN = CheckOutcome(ok=False, report="dry run: the check was not run")
CHECK_QUEUED = CheckOutcome(ok=False, report="queued: a worker runs the check")

# The groups of an exercise's fields an import owns (core.provenance): the files go
# together (a reference belongs with its tests); `source_path` always follows the folder.
EXERCISE_GROUPS: FieldGroups = (
    ("title",),
    ("statement",),
    ("language", "starter_files", "test_files", "example_files", "support_files",
     "reference_files", "allowances"),
    ("scoring", "points"),
    ("cpu_seconds", "wall_seconds", "memory_mb", "output_kb"),
)  # fmt: skip


def exercise_import(
    *,
    path: Path,
    section: Section,
    publish: bool = True,
    runner: Runner | None = None,
    policy: ImportPolicy = ImportPolicy.MERGE,
    dry_run: bool = False,
    check_later: bool = False,
) -> ExerciseImport:
    """Import an exercise folder into a section (or merge it into the exercise of its slug
    there), then check it. What was edited on the site, and the tests of an exercise learners
    have submitted to, change only with `policy` OVERWRITE (core.provenance). `check_later`:
    queue the check (and the publishing it allows) for a worker instead of running it here
    (an import from a web page: a Go check takes seconds); `check` is then CHECK_QUEUED."""
    try:
        source = load_exercise_source(path)
    except ExerciseSourceError as error:
        raise ExerciseError(str(error)) from None
    exercise = CodingExercise.objects.filter(
        section=section, slug=source.slug
    ).first() or CodingExercise(section=section, slug=source.slug)
    with _watched(exercise):
        return _import(
            source,
            exercise,
            publish,
            runner,
            policy=policy,
            dry_run=dry_run,
            check_later=check_later,
        )


def _import(
    source: ExerciseSource,
    exercise: CodingExercise,
    publish: bool,
    runner: Runner | None,
    *,
    policy: ImportPolicy,
    dry_run: bool,
    check_later: bool = False,
) -> ExerciseImport:
    section = exercise.section
    wanted = _source_values(source)
    if exercise.pk is None:
        if dry_run:  # (filled in, not saved: the caller sees what the folder makes)
            for name, value in wanted.items():
                setattr(exercise, name, value)
            return ExerciseImport(exercise=exercise, created=True, check=_NOT_RUN)
        with transaction.atomic():
            exercise.order = CodingExercise.objects.filter(section=section).count() + 1
            for name, value in wanted.items():
                setattr(exercise, name, value)
            record_as_imported(exercise, EXERCISE_GROUPS)
            exercise_write(exercise=exercise)
        if check_later:
            return ExerciseImport(
                exercise=exercise, created=True, check=_check_queued(exercise, publish=publish)
            )
        check = _check(exercise, runner)
        if check.ok and publish:
            _publish(exercise)
        return ExerciseImport(exercise=exercise, created=True, check=check)

    # (the fields are set here, saved only below: a dry run returns before)
    merged = merge_into(
        exercise,
        wanted,
        EXERCISE_GROUPS,
        protected=VERSIONED_FIELDS if exercise.submissions.exists() else (),
        policy=policy,
    )
    outcome = partial(
        ExerciseImport,
        exercise=exercise,
        created=False,
        updated=tuple(merged.take),
        kept_edited=tuple(merged.kept_edited),
        kept_learners=tuple(merged.kept_learners),
    )
    if dry_run:
        exercise.refresh_from_db()  # (as stored: the caller sees nothing of the file's)
        return outcome(check=_NOT_RUN)
    # Unpublished with a passing check: an instructor's choice, which an import keeps.
    hidden_by_choice = (
        not exercise.is_published and exercise.check_status == CodingExercise.CheckStatus.OK
    )
    republish = publish and (not hidden_by_choice or policy == ImportPolicy.OVERWRITE)
    with transaction.atomic():
        exercise.import_digests = merged.digests
        checked = set(merged.take) - {"title", "statement", "source_path"}
        if not checked and exercise.check_status == CodingExercise.CheckStatus.OK:
            # Nothing the check reads changed: its result stands.
            exercise_write(exercise=exercise)
            if republish and not exercise.is_published:
                _publish(exercise)
            return outcome(check=CheckOutcome(True, exercise.check_report))
        exercise.is_published = False
        exercise.check_status = CodingExercise.CheckStatus.UNCHECKED
        exercise_write(exercise=exercise)
    if check_later:
        return outcome(check=_check_queued(exercise, publish=republish))
    check = _check(exercise, runner)
    if check.ok and republish:
        _publish(exercise)
    return outcome(check=check)


def _check_queued(exercise: CodingExercise, *, publish: bool) -> CheckOutcome:
    """Queue the exercise's check once the import is committed."""
    exercise_id = exercise.pk
    transaction.on_commit(lambda: exercise_queue_check(exercise_id=exercise_id, publish=publish))
    return CHECK_QUEUED


def _source_values(source: ExerciseSource) -> dict[str, Any]:
    """The exercise's fields as the folder gives them."""
    return {
        "title": source.title[:200],
        "statement": source.statement,
        "language": source.language,
        "starter_files": source.starter_files,
        "test_files": source.test_files,
        "example_files": source.example_files,
        "support_files": source.support_files,
        "reference_files": source.reference_files,
        "scoring": source.scoring,
        "points": Decimal(source.points),
        "cpu_seconds": source.limits["cpu_seconds"],
        "wall_seconds": source.limits["wall_seconds"],
        "memory_mb": source.limits["memory_mb"],
        "output_kb": source.limits["output_kb"],
        "allowances": source.allowances.to_json(),
        "source_path": source.source_path,
    }


# --- submissions -------------------------------------------------------------------


class GradingQueueFull(ExerciseError):
    """Not submitted now: the code queue holds more than GRADER_MAX_QUEUE_MINUTES of work
    (`retry_after`, s: when it should be back under the limit)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _refuse_when_the_queue_is_full() -> None:
    from grader.selectors import code_queue_wait

    wait = code_queue_wait()
    limit = settings.GRADER_MAX_QUEUE_MINUTES * 60
    if wait.seconds > limit:
        minutes = max(1, round(wait.seconds / 60))
        raise GradingQueueFull(
            _(
                "Too many solutions are waiting to be checked (about %(minutes)s min of work)."
                " Your code is kept here: submit it again in a few minutes."
            )
            % {"minutes": minutes},
            retry_after=max(10, math.ceil(wait.seconds - limit)),
        )


def submission_create(
    *, learner: User, exercise: CodingExercise, files: Mapping[str, str]
) -> Submission:
    """Store a learner's files and queue their grading once committed; refused while the
    code queue is full (GradingQueueFull)."""
    complete = _learner_files(exercise, files)
    _refuse_when_the_queue_is_full()
    # The server's clock decides, whatever the form or the API call says.
    now = timezone.now()
    mine = item_schedule(item=exercise, learner_id=learner.pk)
    refused = dates.refusal(mine.schedule, at=now)
    if refused is not None:
        raise ExerciseError(refusal_message(refused, mine.schedule))
    # Decided now, once: a regrade keeps it (the submission was this late when made).
    lateness = dates.work_lateness(mine.schedule, at=now)
    with transaction.atomic():
        submission = Submission.objects.create(
            learner=learner, exercise=exercise, files=complete, queued_at=now,
            late_seconds=lateness.seconds, late_penalty=lateness.penalty,
        )  # fmt: skip
        submission_id = submission.pk
        # Working on a course's exercise enrols the learner (it is on their dashboard).
        enrollment_create(learner=learner, course=exercise.section.part.course)
        transaction.on_commit(lambda: _queue_after_create(submission_id))
    return submission


def _queue_after_create(submission_id: int) -> None:
    if not submission_queue(submission_id=submission_id):
        # Never reached the broker: marked not queued, so the sweep that runs when a worker
        # connects again takes it at once, not STUCK_AFTER later.
        Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED).update(
            queued_at=None
        )


def _learner_files(exercise: CodingExercise, files: Mapping[str, str]) -> dict[str, str]:
    """The learner's files checked (names, sizes, text) and completed from the starter."""
    if not exercise.is_published:
        raise ExerciseError(_("This exercise is not open for submissions."))
    if not files:
        raise ExerciseError(_("No files were submitted."))
    unknown = set(files) - set(exercise.starter_files)
    if unknown:
        raise ExerciseError(
            _("Unexpected files: %(unknown)s. This exercise takes %(expected)s.")
            % {"unknown": ", ".join(sorted(unknown)),
               "expected": ", ".join(sorted(exercise.starter_files))}
        )  # fmt: skip
    if len(files) > MAX_FILES:
        raise ExerciseError(_("At most %(n)s files.") % {"n": MAX_FILES})
    if any(not isinstance(text, str) for text in files.values()):
        raise ExerciseError(_("Files are text."))
    if sum(len(text.encode("utf-8", "surrogatepass")) for text in files.values()) > MAX_BYTES:
        raise ExerciseError(_("At most %(kb)s KB of files.") % {"kb": MAX_BYTES // 1024})
    if any("\x00" in text for text in files.values()):
        raise ExerciseError(_("Files are text (a NUL byte was found)."))
    # Files the learner did not send are taken from the starter.
    return {**exercise.starter_files, **files}


def submission_queue(*, submission_id: int, countdown: float = 0) -> bool:
    from grader.tasks import grade_submission_task

    what = f"submission {submission_id}"
    with work_logging(submission_id=submission_id):
        return enqueue(grade_submission_task, submission_id, what=what, countdown=countdown)


@dataclass(frozen=True)
class GradeOutcome:
    submission_id: int
    status: str
    retry: bool = False
    # Seconds after which to deliver this message again: the submission is claimed by a run
    # whose lease has not run out (see submission_grade).
    check_again_in: float | None = None


# The fields a report sets (submission_report_store), which a regrade computes and writes.
REPORT_FIELDS = [
    "verdict", "score", "raw_score", "tests_total", "tests_passed", "results", "stdout", "stderr",
    "wall_seconds", "cpu_seconds", "runner_version", "tests_version",
]  # fmt: skip


GRADED_FIELDS = [*REPORT_FIELDS, "status", "error_reason", "graded_at"]


def submission_grade(*, submission_id: int, runner: Runner | None = None) -> GradeOutcome:
    """Run the submission in the sandbox and store the result; safe to deliver twice.

    The row is claimed (queued -> running, with a fresh run token) in one short
    transaction, the code runs outside any transaction, and the result is
    written only if the claim still holds. A graded submission is never run again.
    """
    runner = runner or default_runner()
    token = uuid.uuid4().hex
    with transaction.atomic():
        asynchronous_commit()
        submission = (
            Submission.objects.select_for_update(of=("self",))
            # (with what its dates and exam mode are read from, when the grade is stored)
            .select_related("exercise__section__part__course")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None or submission.status in {
            Submission.Status.GRADED,
            Submission.Status.ERROR,
        }:
            return GradeOutcome(submission_id, submission.status if submission else "missing")
        now = timezone.now()
        if _claim_alive(submission, now):
            # A second message for work a live process runs (the broker gave back a slow
            # worker's, or the sweep's raced the first): that run grades it, or, should its
            # process die, the sweep queues it again once its lease runs out. Never two runs.
            # Looked at again once the lease would have run out: a broker that gives a dead
            # worker's message back at once (RabbitMQ) must not drop it while the dead claim's
            # lease still counts, whether or not a sweep runs.
            logger.info("submission %s is being graded by %s", submission_id,
                        submission.claim_holder)  # fmt: skip
            left = (submission.lease_until - now).total_seconds() if submission.lease_until else 0
            return GradeOutcome(
                submission_id, Submission.Status.RUNNING, check_again_in=max(left, 0.0) + 1.0
            )
        submission.status = Submission.Status.RUNNING
        submission.started_at = now
        submission.claim = token  # this run's; a write needs it to still be the claim
        submission.claim_holder = grading_work.process_identity()
        submission.lease_until = now + LEASE
        submission.save(update_fields=["status", "started_at", "claim", "claim_holder",
                                       "lease_until"])  # fmt: skip

    with _lease_kept(submission_id, token):
        return _graded_run(submission, token, runner)


def _graded_run(submission: Submission, token: str, runner: Runner) -> GradeOutcome:
    submission_id, exercise = submission.pk, submission.exercise
    try:
        report = exercise_run(exercise, submission.files, runner)
    except Exception as error:  # the sandbox itself failed: an internal error
        logger.exception("running submission %s failed", submission_id)
        return _internal_error(submission_id, token, f"{type(error).__name__}: {error}")
    if report.verdict == "internal_error":
        return _internal_error(submission_id, token, report.message or "runner internal error")

    try:
        return _grade_store(submission_id, token, exercise, report)
    except TRANSIENT_ERRORS:
        raise  # the database restarted or a connection dropped: the task retries
    except Exception as error:
        # Not transient: the same write would fail the same way on every delivery. Never
        # the learner's fault, never a poison loop: retried a few runs, then `error`.
        logger.exception("storing the grade of submission %s failed", submission_id)
        return _internal_error(
            submission_id, token, f"storing the grade failed: {type(error).__name__}: {error}"
        )


def _claim_alive(submission: Submission, now: datetime) -> bool:
    """Whether a `running` submission's claim is a live process's: its lease not run out
    and its process not known to be gone (core.grading_work.holder_gone: one of this machine
    that died, as a killed pool process whose message comes straight back). A claim with no
    lease (taken by a worker of before leases) is taken over, as it was then."""
    return (
        submission.status == Submission.Status.RUNNING
        and submission.lease_until is not None
        and submission.lease_until > now
        and not grading_work.holder_gone(submission.claim_holder)
    )


def _lease_kept(submission_id: int, token: str) -> contextlib.AbstractContextManager[None]:
    """The claim's heartbeat while the run lasts (core.grading_work.lease_kept). Not for a
    caller inside a transaction (eager tasks in tests): the claim is not committed, so no
    other connection could renew it, nor any sweep see it."""
    if transaction.get_connection().in_atomic_block:
        return contextlib.nullcontext()

    def renew() -> bool:
        return bool(
            Submission.objects.filter(
                pk=submission_id, status=Submission.Status.RUNNING, claim=token
            ).update(lease_until=timezone.now() + LEASE)
        )

    return grading_work.lease_kept(
        renew, every=LEASE.total_seconds() / 4, what=f"submission {submission_id}"
    )


def _grade_store(
    submission_id: int, token: str, exercise: CodingExercise, report: Report
) -> GradeOutcome:
    with transaction.atomic():
        asynchronous_commit()
        submission = (
            Submission.objects.select_for_update()
            # (not the files)
            .only("status", "claim", "learner_id", "late_penalty", "gradings", "created_at")
            .get(pk=submission_id)
        )
        if submission.status != Submission.Status.RUNNING or submission.claim != token:
            return GradeOutcome(submission_id, submission.status)  # someone else finished it
        submission_report_store(submission, exercise, report)
        submission.status = Submission.Status.GRADED
        submission.error_reason = ""
        submission.graded_at = timezone.now()
        submission.gradings += 1
        submission.save(update_fields=[*GRADED_FIELDS, "gradings"])
        # The learner's completion moves with the grade, in the same transaction.
        exercise_progress_record(learner_id=submission.learner_id, exercise=exercise)
        event_emit(event="submission.graded", object_id=submission_id)  # webhooks, after commit
        _grading_count(submission, outcome=submission.verdict or "none")
    return GradeOutcome(submission_id, Submission.Status.GRADED)


def _grading_count(submission: Submission, *, outcome: str) -> None:
    """/metrics counts the grade in the transaction that stores it (a rollback counts
    nothing); last, so the counter's row is locked only until the commit. A submission is
    graded (or ends in error) once: a regrade (grader.regrading) rewrites it uncounted."""
    graded_at = submission.graded_at
    took = (graded_at - submission.created_at).total_seconds() if graded_at else None
    grading_count(kind=CODE_SUBMISSION, outcome=outcome, seconds=took)


def submission_report_store(
    submission: Submission, exercise: CodingExercise, report: Report
) -> None:
    """Set the submission's grade from a run's report (not saved)."""
    tests = list(report.tests)
    submission.verdict = report.verdict
    submission.raw_score = code_score(
        scoring=exercise.scoring, points=exercise.points, verdict=report.verdict, tests=tests
    )
    # The penalty decided when it was submitted: a regrade applies the same one.
    submission.score = dates.score_penalised(submission.raw_score, submission.late_penalty)
    submission.tests_total = len(tests)
    submission.tests_passed = sum(1 for t in tests if t.status == "pass")
    # Everything below came out of learner code: made storable on every database.
    submission.results = storable_json(
        report.results_json(), text_limit=RESULT_TEXT_CHARS, max_items=MAX_RESULT_TESTS
    )
    submission.stdout = storable_text(report.stdout, limit=EXCERPT_CHARS)
    submission.stderr = storable_text(report.stderr, limit=EXCERPT_CHARS)
    submission.wall_seconds = report.wall_seconds
    submission.cpu_seconds = report.cpu_seconds
    submission.runner_version = storable_text(report.runner_version, limit=100)
    submission.tests_version = exercise.tests_version


def exercise_progress_record(*, learner_id: int, exercise: CodingExercise) -> None:
    """Tell progress where the learner now stands on the exercise (any pass, best score)."""
    passed, best = exercise_standing(learner_id=learner_id, exercise_id=exercise.pk)
    held = item_results_gate(item=exercise, now=timezone.now()).held
    complete = dates.counts_complete(passed=passed, graded=best is not None, held=held)
    item_record(
        learner_id=learner_id, section_id=exercise.section_id,
        item=ItemRef("exercise", exercise.pk), complete=complete, score=best,
    )  # fmt: skip


def exercise_learners_recount(exercise_id: int) -> int:
    """Recount every learner with a submission of the exercise (ItemKind.recount)."""
    exercise = (
        CodingExercise.objects.select_related("section__part__course")
        .filter(pk=exercise_id)
        .first()
    )
    if exercise is None:
        return 0
    learners = learners_with_work(exercise.submissions.all())
    for learner_id in learners:
        exercise_progress_record(learner_id=learner_id, exercise=exercise)
    return len(learners)


def _internal_error(submission_id: int, token: str, reason: str) -> GradeOutcome:
    """Never the learner's fault: back to the queue a few times, then `error`."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().get(pk=submission_id)
        if submission.status != Submission.Status.RUNNING or submission.claim != token:
            return GradeOutcome(submission_id, submission.status)
        submission.runs += 1
        if run_again_after_internal_error(runs=submission.runs):
            submission.status = Submission.Status.QUEUED
            submission.error_reason = ""
            submission.queued_at = timezone.now()
            submission.save(update_fields=["runs", "status", "error_reason", "queued_at"])
            return GradeOutcome(submission_id, Submission.Status.QUEUED, retry=True)
        submission.status = Submission.Status.ERROR
        submission.verdict = Submission.Verdict.INTERNAL_ERROR
        submission.error_reason = storable_text(reason, limit=4000)
        submission.graded_at = timezone.now()
        submission.save(update_fields=["runs", "status", "verdict", "error_reason", "graded_at"])
        _grading_count(submission, outcome="error")
        # The stored (escaped) reason: a runner's message may carry learner output, and a
        # terminal escape in it must not reach whoever reads the log.
        logger.error("submission %s: internal error after %s runs: %s", submission_id,
                     submission.runs, submission.error_reason)  # fmt: skip
        return GradeOutcome(submission_id, Submission.Status.ERROR)


def submissions_requeue_stuck(*, now: datetime | None = None) -> int:
    """Queue again submissions whose grading never happened or whose worker died
    (core.grading_work: one found `running` was abandoned by a worker)."""
    now = now or timezone.now()
    stale = now - STUCK_AFTER
    # A `running` row is judged by when its worker took it, not by when it was queued: one
    # that waited in a backlog is being graded right now, and a run is stopped by the task's
    # time limit (settings.TASK_TIME_LIMIT) long before STUCK_AFTER. (Judged by queued_at,
    # such healthy runs were thrown back to the queue and, after N rounds, given up.)
    # queued_at is empty where the first publish failed (_queue_after_create): at once.
    waiting = Q(status=Submission.Status.QUEUED) & (
        Q(queued_at__lt=stale) | Q(queued_at__isnull=True)
    )
    # (A live lease is a run under way, whatever its age: core.grading_work.lease_kept.)
    taken = (
        Q(status=Submission.Status.RUNNING)
        & (Q(started_at__lt=stale) | Q(started_at__isnull=True, queued_at__lt=stale))
        & ~Q(lease_until__gt=now)
    )
    rows = Submission.objects.filter(waiting | taken).values_list("pk", "status", "requeues")[:500]

    def queue(work: StuckWork) -> bool:
        # A submission left `running` by a dead worker is claimed again by the next run (not
        # one a worker has taken since it was read: `taken` holds only for a stale claim).
        Submission.objects.filter(taken, pk=work.id).update(status=Submission.Status.QUEUED)
        if not submission_queue(submission_id=work.id):
            return False
        with transaction.atomic():
            Submission.objects.filter(pk=work.id).update(
                queued_at=now, requeues=F("requeues") + int(work.abandoned)
            )
            sweep_requeue_count(kind=CODE_SUBMISSION, requeues=int(work.abandoned))
        return True

    return stuck_work_requeue(
        stuck=[StuckWork(pk, status == Submission.Status.RUNNING, n) for pk, status, n in rows],
        queue=queue,
        give_up=_give_up,
        max_requeues=settings.GRADING_MAX_REQUEUES,
        what="submission",
    )


def submissions_requeue_lost(*, now: datetime | None = None) -> int:
    """Queue again, within seconds, the submissions the broker lost or never got: never
    queued (the publish failed), and, while the code queue holds no message at all, those
    still `queued` (no worker started them) over LOST_AFTER after they were queued. How many.

    Why this cannot grade twice, and what it costs: a grading claims its submission
    (`queued` -> `running` under a row lock) and stores a grade only once (`gradings`), so a
    message re-sent for one whose first message still exists (prefetched by a busy worker
    while the queue is empty) costs a task that finds it taken or graded and returns. At
    most one such duplicate per submission while it waits: the re-sent message stays in the
    queue, which is then not empty, until a worker takes it. Not counted towards giving up."""
    now = now or timezone.now()
    count = _requeue_dead_claims(now)
    queued = Submission.objects.filter(status=Submission.Status.QUEUED)
    never = Q(queued_at__isnull=True)
    lost = Q(queued_at__lt=now - LOST_AFTER)
    if not queued.filter(never | lost).exists():
        return count  # the common case: two indexed queries, the broker not asked
    if queued.filter(lost).exists() and queue_waiting("grader.tasks.grade_submission") == 0:
        found = never | lost
    else:
        found = never
    for pk in queued.filter(found).values_list("pk", flat=True)[:500]:
        if not submission_queue(submission_id=pk):
            break  # the broker is down again: the next pass
        Submission.objects.filter(pk=pk).update(queued_at=now)
        count += 1
    if count:
        logger.warning("queued again %s submissions the broker lost or never got", count)
    return count


def _requeue_dead_claims(now: datetime) -> int:
    """Queue again the running submissions whose lease ran out: their worker died (killed,
    its host lost or frozen), so no one will grade them, and the message it held comes back
    from Redis only after the visibility timeout. Each is taken back from the dead claim in
    one conditional statement, so of two sweeps only one queues it; the dead run's grade
    can no longer be stored (its claim is gone), and a message of it that comes back later
    finds the submission claimed by a live run, or graded. Counts towards giving up, as the
    stuck sweep's re-queues do. How many were queued."""
    expired = Q(status=Submission.Status.RUNNING, lease_until__lt=now)
    rows = Submission.objects.filter(expired).values_list("pk", "claim", "requeues")[:500]
    claims = {pk: claim for pk, claim, _ in rows}

    def queue(work: StuckWork) -> bool:
        taken = Submission.objects.filter(expired, pk=work.id, claim=claims[work.id]).update(
            status=Submission.Status.QUEUED, claim="", lease_until=None, queued_at=now,
            requeues=F("requeues") + 1,
        )  # fmt: skip
        if not taken:
            return True  # finished, or another sweep took it: nothing to send
        logger.warning("submission %s: its worker died while grading it; queued again", work.id)
        if not submission_queue(submission_id=work.id):
            # Not sent: marked never queued, which the next lost-work sweep sends first.
            Submission.objects.filter(pk=work.id, status=Submission.Status.QUEUED).update(
                queued_at=None
            )
            return False
        return True

    return stuck_work_requeue(
        stuck=[StuckWork(pk, True, requeues) for pk, _, requeues in rows],
        queue=queue,
        give_up=_give_up,
        max_requeues=settings.GRADING_MAX_REQUEUES,
        what="submission",
    )


def _give_up(work: StuckWork, reason: str) -> bool:
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .only("status", "created_at")
            .filter(pk=work.id, status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING])
            .first()
        )
        if submission is None:
            return False
        submission.status = Submission.Status.ERROR
        submission.verdict = Submission.Verdict.INTERNAL_ERROR
        submission.error_reason = reason
        submission.graded_at = timezone.now()
        submission.save(update_fields=["status", "verdict", "error_reason", "graded_at"])
        _grading_count(submission, outcome="error")
        return True


# --- authoring through the API -----------------------------------------------------


def exercise_api_save(*, exercise: CodingExercise, publish: bool) -> CodingExercise:
    """The API's save of an exercise: a change of its dates, late policy or exam mode alone
    is saved as that (exercise_schedule_set: no check, still published); anything else is an
    edit (exercise_submit_edit: checked again, unpublished until it passes)."""
    if exercise.pk is not None:
        stored = CodingExercise.objects.get(pk=exercise.pk)
        changed = {
            field.attname
            for field in CodingExercise._meta.concrete_fields
            if getattr(stored, field.attname) != getattr(exercise, field.attname)
        }
        if changed and changed <= set(SCHEDULE_FIELDS) and publish == stored.is_published:
            values = {name: getattr(exercise, name) for name in changed}
            exercise_schedule_set(exercise=stored, values=values)
            return stored
    return exercise_submit_edit(exercise=exercise, publish=publish)


def exercise_submit_edit(*, exercise: CodingExercise, publish: bool) -> CodingExercise:
    """Save an instructor's edit (API) and queue its check, which publishes it if asked.

    `exercise_save` checks in the caller's process: fine in the admin, but a
    check runs the sandbox twice (a minute with a cold Go cache), which no HTTP
    client should wait for. The exercise is unpublished and unchecked until then.
    """
    exercise.is_published = False
    exercise.check_status = CodingExercise.CheckStatus.UNCHECKED
    exercise.check_report = ""
    exercise.full_clean()
    with transaction.atomic(), _watched(exercise):
        exercise_write(exercise=exercise)
        exercise_id = exercise.pk
        transaction.on_commit(
            lambda: exercise_queue_check(exercise_id=exercise_id, publish=publish)
        )
    return exercise


# What the exercise editor writes, and what its stamp covers.
EDITED_FIELDS = (
    "slug", "title", "statement", "language", "starter_files", "reference_files",
    "test_files", "example_files", "support_files", "scoring", "points", "cpu_seconds",
    "wall_seconds", "memory_mb", "output_kb",
)  # fmt: skip


def exercise_schedule_set(*, exercise: CodingExercise, values: Mapping[str, Any]) -> None:
    """Set an exercise's dates, late policy and exam mode (deadlines.models.Scheduled): no
    check, no unpublishing (its code and tests are as they were). Bad dates or penalties are a
    ValidationError naming the field; nothing is written then."""
    schedule_change_check(exercise, values)
    with transaction.atomic():
        for name, value in values.items():
            setattr(exercise, name, value)
        exercise_write(exercise=exercise, update_fields=[*values, "updated_at"])


def exercise_edit_stamp(exercise: CodingExercise) -> str:
    """A digest of what an instructor edits: the editor's check that nobody saved the
    exercise since it was shown. (Not updated_at: a finished check moves that, and must not
    refuse the save of someone who was typing meanwhile.)"""
    values = [getattr(exercise, name) for name in EDITED_FIELDS]
    return content_version(
        *values[:10], Decimal(exercise.points), float(exercise.cpu_seconds),
        float(exercise.wall_seconds), int(exercise.memory_mb), int(exercise.output_kb),
    )  # fmt: skip


def exercise_edit(
    *,
    exercise: CodingExercise,
    values: Mapping[str, Any],
    seen_stamp: str,
    publish: bool,
) -> CodingExercise:
    """Save the exercise editor's fields and queue the check, which publishes the exercise
    if `publish` and it passes (until then it is unpublished). `seen_stamp` is the
    exercise's `exercise_edit_stamp` as the editor showed it: if someone saved it since,
    ExerciseEditConflict and nothing is written. A new exercise (no pk) goes last in its
    section."""
    unknown = set(values) - set(EDITED_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    with transaction.atomic():
        if exercise.pk is not None:
            # The row lock makes compare-then-write one step against another editor's save.
            current = CodingExercise.objects.select_for_update().get(pk=exercise.pk)
            if exercise_edit_stamp(current) != seen_stamp:
                raise ExerciseEditConflict
            exercise = current
        else:
            exercise.order = CodingExercise.objects.filter(section=exercise.section).count() + 1
        for name, value in values.items():
            setattr(exercise, name, value)
        return exercise_submit_edit(exercise=exercise, publish=publish)


def exercise_queue_check(*, exercise_id: int, publish: bool) -> bool:
    """Hand the exercise's check to a worker. What is wanted (a check, and whether it is to
    publish) is stored first: if the broker loses the message, or is down now, the sweep
    (exercises_requeue_unchecked) queues it again."""
    from grader.tasks import check_exercise_task

    CodingExercise.objects.filter(pk=exercise_id).update(
        check_queued_at=timezone.now(), publish_when_checked=publish
    )
    return enqueue(
        check_exercise_task, exercise_id, publish, what=f"the check of exercise {exercise_id}"
    )


def exercise_check_and_publish(
    *, exercise_id: int, publish: bool, runner: Runner | None = None, last_try: bool = True
) -> CheckOutcome | None:
    """The queued check: run it on the exercise as it is now; publish it if asked and ok.
    Not `last_try`: a check cut short by the task's time limit raises SoftTimeLimitExceeded
    (nothing stored) for the task to try again."""
    exercise = CodingExercise.objects.filter(pk=exercise_id).first()
    if exercise is None:
        return None
    with _watched(exercise):
        outcome = _check(exercise, runner, publish=publish, unless_edited=True, last_try=last_try)
    if outcome is not CHECK_OUTDATED:  # (the edit's own check is the one queued now)
        CodingExercise.objects.filter(pk=exercise_id).update(check_queued_at=None)
    return outcome


def exercises_requeue_unchecked(*, now: datetime | None = None) -> int:
    """Queue again the checks handed to a worker over STUCK_AFTER ago that never ran (the
    broker lost them, or was down): each with the publishing it was queued with."""
    now = now or timezone.now()
    rows = CodingExercise.objects.filter(
        check_queued_at__lt=now - STUCK_AFTER,
        check_status=CodingExercise.CheckStatus.UNCHECKED,
    ).values_list("pk", "publish_when_checked")[:100]
    queued = 0
    for exercise_id, publish in rows:
        queued += exercise_queue_check(exercise_id=exercise_id, publish=publish)
    return queued


# --- runs of the visible examples ----------------------------------------------------------
# A learner tries their code on the exercise's example tests before submitting (issue 22): the
# same sandbox and queue as a grading, but no grade, no attempt, no progress, no webhook, and
# never shown to instructors. Lost ones are not precious (the learner runs them again), but
# none stays "queued" for ever: the sweep queues it again, or ends it with a message.

EXAMPLE_RUN_EXPIRES = timedelta(minutes=10)


class ExampleRunRefused(ExerciseError):
    """Not run now: too many in the last minute, or one still running (`retry_after`, s)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def example_run_create(
    *, learner: User, exercise: CodingExercise, files: Mapping[str, str]
) -> ExampleRun:
    """Store the learner's files and queue a run of the example tests once committed; at most
    settings.GRADER_EXAMPLE_RUNS_PER_MINUTE a learner, one at a time."""
    complete = _learner_files(exercise, files)
    if not exercise.example_files:
        raise ExerciseError(_("This exercise has no example tests to run."))
    _refuse_when_the_queue_is_full()  # (the same queue as gradings)
    now = timezone.now()
    with transaction.atomic():
        # One learner's requests one after another (their row locked), so two at once
        # cannot both pass the limits below.
        User.objects.select_for_update().filter(pk=learner.pk).exists()
        mine = ExampleRun.objects.filter(learner=learner)
        unfinished = [ExampleRun.Status.QUEUED, ExampleRun.Status.RUNNING]
        if mine.filter(status__in=unfinished, created_at__gt=now - EXAMPLE_RUN_EXPIRES).exists():
            raise ExampleRunRefused(
                _("Your last run of the examples has not finished yet: wait for its result."),
                retry_after=5,
            )
        recent = list(
            mine.filter(created_at__gt=now - timedelta(minutes=1))
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        limit = settings.GRADER_EXAMPLE_RUNS_PER_MINUTE
        if len(recent) >= limit:
            wait = 60 - (now - recent[-limit]).total_seconds()
            raise ExampleRunRefused(
                _("At most %(n)s runs of the examples a minute: try again in %(s)s s.")
                % {"n": limit, "s": max(1, round(wait))},
                retry_after=max(1, round(wait)),
            )
        run = ExampleRun.objects.create(
            learner=learner, exercise=exercise, files=complete, queued_at=now
        )
        run_id = run.pk
        transaction.on_commit(lambda: example_run_queue(run_id=run_id))
    return run


def example_run_queue(*, run_id: int) -> bool:
    from grader.tasks import run_examples_task

    return enqueue(run_examples_task, run_id, what=f"examples run {run_id}")


def example_run_execute(*, run_id: int, runner: Runner | None = None) -> str:
    """Run the examples of a queued run and store the result (claimed first: a second
    delivery finds it taken and does nothing). An internal error ends it with a message."""
    runner = runner or default_runner()
    token = uuid.uuid4().hex
    taken = ExampleRun.objects.filter(pk=run_id, status=ExampleRun.Status.QUEUED).update(
        status=ExampleRun.Status.RUNNING, started_at=timezone.now(), claim=token
    )
    if not taken:
        return "taken"
    run = ExampleRun.objects.select_related("exercise").get(pk=run_id)
    exercise = run.exercise
    try:
        report = runner(
            language=exercise.language,
            files=dict(run.files),
            test_files=dict(exercise.example_files),
            support_files=exercise.support_files,
            limits=exercise_limits(exercise),
            allowances=Allowances.from_json(exercise.allowances),
        )
    except Exception as error:  # the sandbox itself failed: never the learner's fault
        logger.exception("running the examples of run %s failed", run_id)
        return _example_run_end(run_id, token, error=f"{type(error).__name__}: {error}")
    if report.verdict == "internal_error":
        return _example_run_end(run_id, token, error=report.message or "runner internal error")
    tests = list(report.tests)
    return _example_run_end(
        run_id,
        token,
        fields={
            "verdict": report.verdict,
            "tests_total": len(tests),
            "tests_passed": sum(1 for t in tests if t.status == "pass"),
            "results": storable_json(
                report.results_json(), text_limit=RESULT_TEXT_CHARS, max_items=MAX_RESULT_TESTS
            ),
            "stdout": storable_text(report.stdout, limit=EXCERPT_CHARS),
            "stderr": storable_text(report.stderr, limit=EXCERPT_CHARS),
            "wall_seconds": report.wall_seconds,
            "cpu_seconds": report.cpu_seconds,
        },
    )


def _example_run_end(
    run_id: int, token: str, *, fields: Mapping[str, Any] | None = None, error: str = ""
) -> str:
    status = ExampleRun.Status.ERROR if error else ExampleRun.Status.DONE
    ExampleRun.objects.filter(pk=run_id, status=ExampleRun.Status.RUNNING, claim=token).update(
        status=status,
        error_reason=error[:2000],
        finished_at=timezone.now(),
        **(fields or {}),
    )
    return str(status)


def example_runs_sweep(*, now: datetime | None = None) -> int:
    """Queue again the runs whose message or worker was lost (queued, or running, for longer
    than STUCK_AFTER); end with a message those older than EXAMPLE_RUN_EXPIRES. How many."""
    now = now or timezone.now()
    unfinished = ExampleRun.objects.filter(
        status__in=[ExampleRun.Status.QUEUED, ExampleRun.Status.RUNNING]
    )
    ended = unfinished.filter(created_at__lt=now - EXAMPLE_RUN_EXPIRES).update(
        status=ExampleRun.Status.ERROR,
        error_reason="not run in time (our workers were busy or down)",
        finished_at=now,
    )
    stale = now - STUCK_AFTER
    lost = unfinished.filter(
        Q(status=ExampleRun.Status.QUEUED, queued_at__lt=stale)
        | Q(status=ExampleRun.Status.RUNNING, started_at__lt=stale)
    ).values_list("pk", flat=True)[:500]
    queued = 0
    for run_id in lost:
        ExampleRun.objects.filter(pk=run_id).update(status=ExampleRun.Status.QUEUED, queued_at=now)
        queued += example_run_queue(run_id=run_id)
    return ended + queued


# --- drafts ----------------------------------------------------------------------------------
# The editor saves what the learner types (debounced, grader/static/grader/editor.js) so it
# comes back on any device. The same rules as a submission's files; a generous rate limit
# (a tab saves at most about once a second) that only a runaway script reaches.


class DraftRefused(ExampleRunRefused):
    """Not saved now: too many saves in the last minute (`retry_after`, s)."""


def _draft_saves_counted(learner_id: int) -> int:
    """This minute's saves by the learner, this one included; 0 if the cache is unreachable
    (the limit guards the site, it must not stop the learner's work being saved)."""
    key = f"grader:draft-saves:{learner_id}:{int(timezone.now().timestamp() // 60)}"
    try:
        if cache.add(key, 1, timeout=90):
            return 1
        return int(cache.incr(key))
    except (OSError, RedisError, ValueError) as error:
        logger.warning("draft save counter unreachable, save let through: %s", error)
        return 0


def draft_save(*, learner: User, exercise: CodingExercise, files: Mapping[str, str]) -> Draft:
    """Store the learner's editor content for `exercise` (files completed from the starter);
    at most settings.GRADER_DRAFT_SAVES_PER_MINUTE saves a minute per learner."""
    complete = _learner_files(exercise, files)
    if _draft_saves_counted(learner.pk) > settings.GRADER_DRAFT_SAVES_PER_MINUTE:
        raise DraftRefused(
            _("Too many saves of the draft in a minute: it is saved again in a moment."),
            retry_after=60 - int(timezone.now().timestamp()) % 60,
        )
    draft, _created = Draft.objects.update_or_create(
        learner=learner, exercise=exercise, defaults={"files": complete}
    )
    return draft


def draft_discard(*, learner: User, exercise: CodingExercise) -> None:
    """Reset to the starter code: the learner's draft goes (their submissions stay)."""
    Draft.objects.filter(learner=learner, exercise=exercise).delete()
