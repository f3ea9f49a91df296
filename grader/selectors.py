"""Reads for the learner's exercise pages and for the section page's exercise states.

Hidden tests (`test_files`), the reference solution and the `test_code` of results
never leave this module: exercises are loaded with those columns deferred, and
results are turned into `TestLine`s that have no field for test code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import own_or_taught, published_or_taught, teaches
from courses.models import Section
from deadlines.models import SCHEDULE_FIELDS
from deadlines.policy import counts_complete
from deadlines.presentation import penalised_words
from deadlines.selectors import (
    ItemDates,
    ResultsGate,
    item_dates,
    item_results_gate,
    item_schedule,
    results_gates,
)
from grader.models import CodingExercise, Draft, ExampleRun, Submission
from progress.items import ItemGrade, ItemMark, ItemState, WorkRow
from webhooks.payloads import EventSubject

# The most recent submissions listed on the exercise page.
HISTORY_LIMIT = 20
# Display caps: the runners clip already; these guard results stored by older runners.
MESSAGE_CHARS = 4000
OUTPUT_CHARS = 500
COMPARED_CHARS = 1000

# What an exercise page may read of an exercise; the secret columns stay in the database.
_SECRET_FIELDS = ("test_files", "reference_files", "support_files", "check_report")

ExerciseState = str  # "not_started" | "in_progress" | "passed" | "failed"


# --- who may see what (the API, the pages and progress ask here) -----------------------


def exercises_visible_to(user: Any) -> QuerySet[CodingExercise]:
    """Published exercises of published sections, and every exercise of the courses the
    user teaches."""
    published = Q(is_published=True, section__status=Section.Status.PUBLISHED)
    exercises = CodingExercise.objects.select_related("section__part")
    return published_or_taught(user, exercises, published=published)


def exercise_visible_get(*, user: Any, exercise_id: int) -> CodingExercise | None:
    """The exercise, with its section, part and course, if `user` may see it."""
    return (
        exercises_visible_to(user)
        .select_related("section__part__course")
        .filter(pk=exercise_id)
        .first()
    )


def submissions_visible_to(user: Any) -> QuerySet[Submission]:
    """A learner's own submissions, and every submission in the courses the user teaches."""
    submissions = Submission.objects.select_related("exercise__section__part")
    return own_or_taught(user, submissions, course_path="exercise__section__part__course_id")


# --- the section page ------------------------------------------------------------------


def exercise_states_for(*, learner: User, section_ids: Iterable[int]) -> dict[int, ExerciseState]:
    """Every exercise of the sections -> the learner's state in it, in one query.

    passed: some submission passed (what completes the item, as in progress.services);
    else in_progress: a submission is queued or running; else failed: some submission was
    graded; else not_started (also when the only runs ended in an internal error, which
    is never the learner's doing).
    """
    mine = Submission.objects.filter(learner=learner, exercise=OuterRef("pk"))
    rows = (
        CodingExercise.objects.filter(section_id__in=list(section_ids))
        .annotate(
            passed=Exists(
                mine.filter(status=Submission.Status.GRADED, verdict=Submission.Verdict.PASSED)
            ),
            pending=Exists(
                mine.filter(status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING])
            ),
            graded=Exists(mine.filter(status=Submission.Status.GRADED)),
        )
        .values_list("pk", "passed", "pending", "graded")
    )
    states: dict[int, ExerciseState] = {}
    for exercise_id, passed, pending, graded in rows:
        if passed:
            states[exercise_id] = "passed"
        elif pending:
            states[exercise_id] = "in_progress"
        elif graded:
            states[exercise_id] = "failed"
        else:
            states[exercise_id] = "not_started"
    return states


def exercise_states(learner: Any, section: Section, now: datetime) -> list[ItemState]:
    """The section's published exercises with the learner's state on each (the section page)."""
    exercises = list(
        CodingExercise.objects.filter(section=section, is_published=True)
        .only("id", "section_id", "title", "language", "order", "points", *SCHEDULE_FIELDS)
        .order_by("order", "id")
    )
    states = (
        exercise_states_for(learner=learner, section_ids=[section.pk])
        if learner.is_authenticated and exercises
        else {}
    )
    for exercise in exercises:
        exercise.section = section  # (its dates' defaults: the section, part and course)
    gates = results_gates(items=exercises, now=now) if states else {}
    items = []
    for exercise in exercises:
        state = states.get(exercise.pk, "not_started")
        if state != "not_started" and gates[exercise.pk].held:
            state = "submitted"  # exam mode: passed or not is the result it holds back
        items.append(ItemState("exercise", exercise, state))
    return items


def exercise_standing(*, learner_id: int, exercise_id: int) -> tuple[bool, Decimal | None]:
    """Complete when some submission passed; the score is the best one."""
    found = Submission.objects.filter(
        learner_id=learner_id, exercise_id=exercise_id, status=Submission.Status.GRADED
    ).aggregate(passes=Count("pk", filter=Q(verdict=Submission.Verdict.PASSED)), best=Max("score"))
    return found["passes"] > 0, found["best"]


def exercise_grades() -> Iterator[ItemGrade]:
    """Every learner's result on every exercise they have a graded submission of."""
    rows = list(
        Submission.objects.filter(status=Submission.Status.GRADED)
        .values("learner_id", "exercise_id", "exercise__section_id")
        .annotate(
            passes=Count("pk", filter=Q(verdict=Submission.Verdict.PASSED)), best=Max("score")
        )
    )
    now = timezone.now()
    held = {
        exercise.pk
        for exercise in CodingExercise.objects.select_related("section__part__course")
        .defer(*_SECRET_FIELDS)
        .filter(pk__in={row["exercise_id"] for row in rows})
        if item_results_gate(item=exercise, now=now).held
    }
    for row in rows:
        complete = counts_complete(
            passed=row["passes"] > 0, graded=True, held=row["exercise_id"] in held
        )
        yield ItemGrade(
            row["learner_id"], row["exercise_id"], row["exercise__section_id"], complete,
            row["best"],
        )  # fmt: skip


def exercise_work(learner_ids: list[int], section_ids: list[int]) -> QuerySet[Any]:
    """The gradebook's rows (progress.items.WORK_COLUMNS): these learners' submissions to the
    published exercises of these sections; late: made after the learner's due date."""
    return (
        Submission.objects.filter(
            learner_id__in=learner_ids,
            exercise__section_id__in=section_ids,
            exercise__is_published=True,
        )
        .order_by()
        .annotate(
            kind=Value("exercise", output_field=CharField()),
            waiting=Value(False, output_field=BooleanField()),
            percent=Cast(Value(None), output_field=DecimalField(max_digits=5, decimal_places=2)),
            late=ExpressionWrapper(Q(late_seconds__gt=0), output_field=BooleanField()),
            rule=Value("", output_field=CharField()),
        )
        .values_list(
            "kind", "learner_id", "exercise_id", "id", "status", "waiting", "score",
            "exercise__points", "percent", "late", "rule",
        )
    )  # fmt: skip


# Plain strings: a set of enum members hashes each through Python code (the gradebook folds
# thousands of rows per page).
_UNFINISHED = frozenset({Submission.Status.QUEUED.value, Submission.Status.RUNNING.value})
_GRADED = Submission.Status.GRADED.value


def exercise_mark(rows: list[WorkRow]) -> ItemMark:
    """A learner's submissions to an exercise as the gradebook shows them: the best graded
    score, as progress records it."""
    graded = [r for r in rows if r.status == _GRADED and r.points is not None]
    pending = any(r.status in _UNFINISHED for r in rows)
    if not graded:
        return ItemMark(pending=pending, attempted=True)
    best = max(r.points or Decimal(0) for r in graded)
    # Late when every submission with the best score was late (one on time counts first).
    late = all(r.late for r in graded if r.points == best)
    most = rows[0].max_points or Decimal(0)
    percent = (best * 100 / most).quantize(Decimal("0.01"), ROUND_HALF_UP) if most else Decimal(0)
    return ItemMark(
        points=best, max_points=most, percent=percent, late=late, pending=pending, attempted=True
    )


# An edit unpublishes an exercise until its check publishes it again; a check saved longer
# ago than a check takes was lost: nothing to wait for.
CHECK_IN_FLIGHT = timedelta(minutes=10)


def exercise_checks_in_flight(section_ids: list[int]) -> bool:
    """An exercise of these sections is being checked: counting it out meanwhile would complete
    sections (and send section.completed) for a minute."""
    return CodingExercise.objects.filter(
        section_id__in=section_ids,
        check_status=CodingExercise.CheckStatus.UNCHECKED,
        updated_at__gte=timezone.now() - CHECK_IN_FLIGHT,
    ).exists()


# --- a submission as the API shows it ------------------------------------------------------

# What of results.json each viewer sees, as lists of what is shown (never of what is hidden):
# a key added to results.json later is shown to nobody until it is named here.
RESULT_KEYS = frozenset({"version", "status", "message", "tests"})
# (expected and got: a failed comparison's sides, from the test process, never learner output)
LEARNER_TEST_KEYS = frozenset({"name", "status", "message", "output", "task_id", "expected", "got"})
INSTRUCTOR_TEST_KEYS = LEARNER_TEST_KEYS | {"test_code"}  # the tests' source is theirs


def results_shown(
    results: Any, *, teaches: bool, visible: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A submission's results.json as its viewer may see it: the tests' source for the
    course's instructors; for a learner only a test's whose code is, as it is, in one of the
    exercise's `visible` (example) files: text they can already read, nothing of a hidden
    test's."""
    if not isinstance(results, dict):
        return {}
    test_keys = INSTRUCTOR_TEST_KEYS if teaches else LEARNER_TEST_KEYS
    shown = {key: value for key, value in results.items() if key in RESULT_KEYS}
    if "tests" in shown:
        shown["tests"] = [
            _test_shown(test, test_keys, () if teaches else tuple((visible or {}).values()))
            for test in shown["tests"] or []
            if isinstance(test, dict)
        ]
    return shown


def _test_shown(
    test: dict[str, Any], keys: frozenset[str], visible: tuple[str, ...]
) -> dict[str, Any]:
    shown = {key: value for key, value in test.items() if key in keys}
    code = test.get("test_code")
    if visible and isinstance(code, str) and code.strip() and any(code in text for text in visible):
        shown["test_code"] = code
    return shown


@dataclass(frozen=True)
class SubmissionView:
    """A submission as one viewer may see it: built here once, only serialized after, by every
    channel (the API, the learner's pages, the submission.graded webhook). A field that is not
    here is shown by none of them."""

    id: int
    exercise: int
    learner: int
    status: str
    verdict: str
    score: Decimal | None
    tests_passed: int | None
    tests_total: int | None
    created_at: datetime
    graded_at: datetime | None
    # Late work: the score before the penalty, how late (0: on time) and the percent taken.
    raw_score: Decimal | None
    late_seconds: int
    late_penalty: int
    # The detail (the API's detail, the submission page); empty in lists.
    files: dict[str, str] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""
    wall_seconds: float | None = None
    cpu_seconds: float | None = None

    @property
    def url(self) -> str:
        """Its address in the API (made when read: the pages never ask)."""
        return submission_url(self.id)

    @property
    def late_words(self) -> str:
        """ "10.00 → 8.80 (−12%), submitted 4 hours late"; "" when on time."""
        return penalised_words(
            raw=self.raw_score, score=self.score, late_seconds=self.late_seconds,
            penalty=self.late_penalty,
        )  # fmt: skip

    @property
    def verdict_label(self) -> str:
        return str(_VERDICT_LABELS.get(self.verdict, self.verdict))

    @property
    def status_label(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))


_VERDICT_LABELS = dict(Submission.Verdict.choices)
_STATUS_LABELS = dict(Submission.Status.choices)

# What a list shows of a submission: the columns the list reads (no code, no results).
SUBMISSION_LIST_FIELDS = (
    "id", "exercise_id", "learner_id", "status", "verdict", "score", "tests_passed",
    "tests_total", "created_at", "graded_at", "raw_score", "late_seconds", "late_penalty",
)  # fmt: skip


def submission_url(submission_id: int) -> str:
    return reverse("api:submission-detail", kwargs={"pk": submission_id})


# What a learner sees of a submission whose results are held (exam mode, not released):
# that it was submitted, when, how late, and their own code. Nothing the tests said.
HELD_STATUS = "submitted"


def _held_view(submission: Submission, *, with_detail: bool) -> SubmissionView:
    return SubmissionView(
        id=submission.pk, exercise=submission.exercise_id, learner=submission.learner_id,
        status=HELD_STATUS, verdict="", score=None, tests_passed=None, tests_total=None,
        created_at=submission.created_at, graded_at=None, raw_score=None,
        late_seconds=submission.late_seconds, late_penalty=0,
        files=submission.files if with_detail else {},
    )  # fmt: skip


def submission_view(
    *,
    submission: Submission,
    teaches: bool,
    with_detail: bool,
    gate: ResultsGate | None = None,
) -> SubmissionView:
    """The submission as its learner (`teaches` False) or an instructor of its course may see
    it; `with_detail`: its code, results (results_shown) and output too. In exam mode, until
    the results are released (deadlines.selectors.item_results_gate, unless `gate` says it),
    its learner sees that it was submitted and nothing more."""
    if not teaches:
        if gate is None:
            gate = item_results_gate(item=submission.exercise, now=timezone.now())
        if gate.held:
            return _held_view(submission, with_detail=with_detail)
    detail: dict[str, Any] = {}
    if with_detail:
        detail = {
            "files": submission.files,
            "results": results_shown(
                submission.results,
                teaches=teaches,
                visible=None if teaches else submission.exercise.example_files,
            ),
            "stdout": submission.stdout, "stderr": submission.stderr,
            "wall_seconds": submission.wall_seconds, "cpu_seconds": submission.cpu_seconds,
        }  # fmt: skip
    return SubmissionView(
        id=submission.pk, exercise=submission.exercise_id,
        learner=submission.learner_id, status=submission.status, verdict=submission.verdict,
        score=submission.score, tests_passed=submission.tests_passed,
        tests_total=submission.tests_total, created_at=submission.created_at,
        graded_at=submission.graded_at, raw_score=submission.raw_score,
        late_seconds=submission.late_seconds, late_penalty=submission.late_penalty, **detail,
    )  # fmt: skip


def submission_view_for(
    *,
    submission: Submission,
    user: Any,
    with_detail: bool,
    gates: Mapping[int, ResultsGate] | None = None,
) -> SubmissionView:
    """The submission as `user` may see it (the submission's exercise, section and part
    loaded); `gates`: its exercise's (submissions_gates), read once for a list."""
    course_id = submission.exercise.section.part.course_id
    return submission_view(
        submission=submission, teaches=teaches(user, course_id), with_detail=with_detail,
        gate=(gates or {}).get(submission.exercise_id),
    )  # fmt: skip


def submissions_gates(*, submissions: Sequence[Submission]) -> dict[int, ResultsGate]:
    """The results gates of the submissions' exercises, by exercise id (a few queries)."""
    exercises = list({s.exercise_id: s.exercise for s in submissions}.values())
    return results_gates(items=exercises, now=timezone.now())


# What the submission.graded webhook says of the submission, after its ids.
SUBMISSION_EVENT_FIELDS = (
    "status", "verdict", "score", "tests_passed", "tests_total", "graded_at", "raw_score",
    "late_seconds", "late_penalty",
)  # fmt: skip


def _submission_event_data(
    view: SubmissionView, *, section_id: int, course_id: int, due_at: datetime | None
) -> dict[str, Any]:
    return {
        "submission": view.id, "exercise": view.exercise, "section": section_id,
        "course": course_id, "learner": view.learner, "due_at": due_at,
        **{name: getattr(view, name) for name in SUBMISSION_EVENT_FIELDS},
    }  # fmt: skip


def submission_graded_event(submission_id: int) -> list[tuple[str, EventSubject]]:
    """The submission.graded webhook's data: the submission's read model as the course's
    instructors and as its learner may see it (the same fields today)."""
    submission = (
        Submission.objects.select_related("exercise__section__part")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return []
    section = submission.exercise.section
    course_id = section.part.course_id
    # The learner's own due date (their extensions counted).
    mine = item_schedule(item=submission.exercise, learner_id=submission.learner_id)
    data, learner_data = (
        _submission_event_data(
            submission_view(submission=submission, teaches=instructor, with_detail=False),
            section_id=section.pk,
            course_id=course_id,
            due_at=mine.schedule.due_at,
        )
        for instructor in (True, False)
    )
    subject = EventSubject(course_id, submission.learner_id, data, learner_data)
    return [("submission.graded", subject)]


@dataclass(frozen=True)
class EditorFile:
    name: str
    field: str  # the form field name
    text: str
    indent: str  # "tab" or "4": what Tab inserts (editor.js)
    rows: int
    language: str  # "go" or "python": the code editor's highlighting and indentation


# --- the exercise page -------------------------------------------------------------------


def exercise_get_published(*, exercise_id: int) -> CodingExercise | None:
    """A published exercise with its section, part and course; never its secret columns."""
    return (
        CodingExercise.objects.select_related("section__part__course")
        .defer(*_SECRET_FIELDS)
        .filter(pk=exercise_id, is_published=True, section__status=Section.Status.PUBLISHED)
        .first()
    )


@dataclass(frozen=True)
class ExercisePage:
    exercise: CodingExercise  # its statement and examples: grader.presentation renders them
    editor_files: list[EditorFile]
    # What the editor holds: "sent" (code sent back with an error), "examples" (the code of
    # the run shown), "submission" (editor_from_submission's code), "draft" (the draft saved
    # as the learner typed) or "starter".
    editor_source: str
    editor_from_submission: Submission | None
    history: list[SubmissionView]
    # A run of the examples shown on the page (?examples=id): its code is in the editor.
    examples: ExampleRunResult | None = None
    # When the learner's saved draft was last saved (shown while the editor holds it).
    draft_saved_at: datetime | None = None
    # The learner's dates (their extensions counted), the late policy, time left.
    dates: ItemDates | None = None
    # Exam mode, not released: the history says "submitted" only (until `release_at`, or the
    # instructor's release when None).
    held: bool = False
    release_at: datetime | None = None

    history_limit: int = HISTORY_LIMIT

    @property
    def latest(self) -> SubmissionView | None:
        return self.history[0] if self.history else None

    @property
    def latest_pending(self) -> bool:
        return self.latest is not None and self.latest.status in {
            Submission.Status.QUEUED,
            Submission.Status.RUNNING,
        }


def editor_field(name: str) -> str:
    return f"file:{name}"


def _editor_files(exercise: CodingExercise, files: Mapping[str, str]) -> list[EditorFile]:
    indent = "tab" if exercise.language == CodingExercise.Language.GO else "4"
    result = []
    for name in sorted(exercise.starter_files):
        text = files.get(name, exercise.starter_files[name])
        rows = min(max(text.count("\n") + 2, 12), 40)
        result.append(
            EditorFile(name=name, field=editor_field(name), text=text, indent=indent, rows=rows,
                       language=exercise.language)
        )  # fmt: skip
    return result


def exercise_page_for(
    *,
    exercise: CodingExercise,
    learner: User,
    draft: Mapping[str, str] | None = None,
    start_over: bool = False,
    from_submission_id: int | None = None,
    example_run_id: int | None = None,
) -> ExercisePage:
    """What the exercise page shows the learner, in a fixed number of queries.

    The editor holds, first that applies: `draft` (code just sent back with an error),
    the starter (`start_over`), the code of their run of the examples `example_run_id`
    (its result shown too), their submission `from_submission_id`, their saved draft if
    it is newer than their latest submission, their latest submission, the starter.
    """
    mine = Submission.objects.filter(learner=learner, exercise=exercise)
    now = timezone.now()
    gate = item_results_gate(item=exercise, now=now)
    history = [
        submission_view(submission=submission, teaches=False, with_detail=False, gate=gate)
        for submission in mine.only(*SUBMISSION_LIST_FIELDS)[:HISTORY_LIMIT]
    ]
    source: Submission | None = None
    files: Mapping[str, str] = {}
    editor_source = "starter"
    examples = None
    if example_run_id is not None and draft is None and not start_over:
        run = example_run_get_for(run_id=example_run_id, learner=learner)
        if run is not None and run.exercise_id == exercise.pk:
            examples = example_run_result(run=run)
    saved: Draft | None = None
    if draft is None and examples is None and not start_over and from_submission_id is None:
        saved = draft_get_for(learner=learner, exercise=exercise)
        if saved is not None and history and history[0].created_at >= saved.updated_at:
            saved = None  # submitted since: the submission is the newer code
    if draft is not None:
        files, editor_source = draft, "sent"
    elif examples is not None:
        files, editor_source = examples.run.files, "examples"
    elif saved is not None:
        files, editor_source = saved.files, "draft"
    elif not start_over and history:
        wanted = from_submission_id if from_submission_id is not None else history[0].id
        source = mine.only("id", "files", "created_at").filter(pk=wanted).first()
        if source is not None:
            files, editor_source = source.files, "submission"
    return ExercisePage(
        exercise=exercise,
        editor_files=_editor_files(exercise, files),
        editor_source=editor_source,
        editor_from_submission=source,
        history=history,
        examples=examples,
        draft_saved_at=saved.updated_at if saved is not None else None,
        dates=item_dates(item=exercise, learner_id=learner.pk, now=now),
        held=gate.held,
        release_at=gate.release_at,
    )


# --- the submission page -----------------------------------------------------------------


def submission_get_for(*, submission_id: int, learner: User) -> Submission | None:
    """The learner's own submission with its exercise, section, part and course."""
    # What the API shows this user, narrowed to their own (the page is the learner's).
    return (
        submissions_visible_to(learner)
        .select_related("exercise__section__part__course")
        .defer(*(f"exercise__{name}" for name in _SECRET_FIELDS), "exercise__statement")
        .filter(pk=submission_id, learner=learner)
        .first()
    )


@dataclass(frozen=True)
class TestLine:
    """One test's result as the learner sees it: the test's code only when results_shown
    found it in the visible example files (never a hidden test's source)."""

    __test__ = False  # not a pytest class

    name: str
    status: str  # pass | fail | error
    message: str
    output: str
    code: str = ""  # the test's source, for a visible (example) test only: results_shown
    expected: str = ""  # a failed comparison's expected value (repr'd by the test process)
    got: str = ""  # and what came instead


@dataclass(frozen=True)
class SubmissionResult:
    """What the learner sees of their submission's outcome, from its read model (what of
    results.json they may see is decided there, once); its code and the compile errors'
    links into it are rendered by grader.presentation."""

    submission: SubmissionView
    held: bool  # exam mode, not released: "submitted" only
    release_at: datetime | None  # exam mode: the release date (None: the instructor's release)
    exercise: CodingExercise  # its title, points and language (never its secret columns)
    final: bool
    retrying: bool  # an internal error happened; it is queued again
    message: str
    compile_error: bool  # `message` is the compiler's (its lines link into the code)
    tests: list[TestLine]
    # While it waits for a worker: its place (1: next) and the estimated wait, in seconds.
    place_in_queue: int | None = None
    wait_seconds: float | None = None

    @property
    def wait_minutes(self) -> int | None:
        return None if self.wait_seconds is None else math.ceil(self.wait_seconds / 60)


def _clip(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def submission_result(*, submission: Submission) -> SubmissionResult:
    """A submission's outcome for its learner's page (submission_get_for's row)."""
    gate = item_results_gate(item=submission.exercise, now=timezone.now())
    view = submission_view(submission=submission, teaches=False, with_detail=True, gate=gate)
    # Held (exam mode): handed in is all there is to wait for.
    final = gate.held or view.status in {Submission.Status.GRADED, Submission.Status.ERROR}
    message = ""
    tests: list[TestLine] = []
    if view.status == Submission.Status.GRADED:
        message = _clip(view.results.get("message"), MESSAGE_CHARS)
        tests = _test_lines(view.results)
    return SubmissionResult(
        submission=view,
        held=gate.held,
        release_at=gate.release_at,
        exercise=submission.exercise,
        final=final,
        retrying=view.status == Submission.Status.QUEUED and submission.runs > 0,
        message=message,
        compile_error=(
            view.status == Submission.Status.GRADED
            and view.verdict == Submission.Verdict.COMPILE_ERROR
        ),
        tests=tests,
        **_queue_place(submission, view.status),
    )


def _test_lines(results: Mapping[str, Any]) -> list[TestLine]:
    """Each test's line of a results.json that results_shown filtered."""
    lines = []
    for entry in results.get("tests") or []:
        status = entry.get("status")
        lines.append(
            TestLine(
                name=_clip(entry.get("name"), 200),
                status=status if status in {"pass", "fail", "error"} else "error",
                message=_clip(entry.get("message"), MESSAGE_CHARS),
                output=_clip(entry.get("output"), OUTPUT_CHARS),
                code=_clip(entry.get("test_code"), OUTPUT_CHARS),
                expected=_clip(entry.get("expected"), COMPARED_CHARS),
                got=_clip(entry.get("got"), COMPARED_CHARS),
            )
        )
    return lines


# --- runs of the visible examples (not graded) ---------------------------------------------


@dataclass(frozen=True)
class ExampleRunView:
    """A run of the examples as its learner sees it (the only one who ever does): the page
    and the API serialize this, nothing else."""

    id: int
    exercise: int
    status: str
    verdict: str
    tests_passed: int | None
    tests_total: int | None
    created_at: datetime
    finished_at: datetime | None
    files: dict[str, str]
    results: dict[str, Any]
    stdout: str
    stderr: str
    error: str  # why it did not run (ours, never the learner's fault)

    @property
    def url(self) -> str:
        return reverse("api:example-run-detail", kwargs={"pk": self.id})

    @property
    def verdict_label(self) -> str:
        return str(_VERDICT_LABELS.get(self.verdict, self.verdict))


@dataclass(frozen=True)
class ExampleRunResult:
    """What the examples run page shows (as SubmissionResult does for a submission)."""

    run: ExampleRunView
    exercise: CodingExercise  # its title and language (never its secret columns)
    final: bool
    message: str
    compile_error: bool
    tests: list[TestLine]


def example_runs_visible_to(user: Any) -> QuerySet[ExampleRun]:
    """A learner's own runs of the examples: nobody else's, whoever asks (an instructor sees
    submissions, never these)."""
    if not getattr(user, "is_authenticated", False):
        return ExampleRun.objects.none()
    return ExampleRun.objects.filter(learner=user).select_related("exercise")


def example_run_get_for(*, run_id: int, learner: User) -> ExampleRun | None:
    """The learner's own run of the examples (anyone else's looks like none at all)."""
    return (
        ExampleRun.objects.select_related("exercise__section__part__course")
        .defer(*(f"exercise__{name}" for name in _SECRET_FIELDS), "exercise__statement")
        .filter(pk=run_id, learner=learner)
        .first()
    )


def example_run_view(*, run: ExampleRun) -> ExampleRunView:
    done = run.status == ExampleRun.Status.DONE
    return ExampleRunView(
        id=run.pk, exercise=run.exercise_id, status=run.status, verdict=run.verdict,
        tests_passed=run.tests_passed, tests_total=run.tests_total,
        created_at=run.created_at, finished_at=run.finished_at, files=run.files,
        results=(
            results_shown(run.results, teaches=False, visible=run.exercise.example_files)
            if done
            else {}
        ),
        stdout=run.stdout if done else "", stderr=run.stderr if done else "",
        error=str(_("Our checker could not run your code. This is not your fault: please run"
                    " the examples again.")) if run.status == ExampleRun.Status.ERROR else "",
    )  # fmt: skip


def example_run_result(*, run: ExampleRun) -> ExampleRunResult:
    view = example_run_view(run=run)
    final = view.status in {ExampleRun.Status.DONE, ExampleRun.Status.ERROR}
    return ExampleRunResult(
        run=view,
        exercise=run.exercise,
        final=final,
        message=_clip(view.results.get("message"), MESSAGE_CHARS),
        compile_error=view.verdict == Submission.Verdict.COMPILE_ERROR,
        tests=_test_lines(view.results),
    )


# --- drafts --------------------------------------------------------------------------------


def draft_get_for(*, learner: User, exercise: CodingExercise) -> Draft | None:
    """The learner's own draft of the exercise (no one else's is ever read)."""
    return Draft.objects.filter(learner=learner, exercise=exercise).first()


# --- the code queue's wait (backpressure) -----------------------------------------------------


def _queue_place(submission: Submission, status: str) -> dict[str, Any]:
    place = submission_place_in_queue(submission=submission) if status == "queued" else None
    if place is None:
        return {}
    wait = code_queue_wait()
    return {
        "place_in_queue": place,
        "wait_seconds": place * wait.mean_run_seconds / max(1, wait.workers),
    }


# Runs averaged for the estimate, and the guess before any run was measured (seconds).
QUEUE_WAIT_SAMPLE = 50
QUEUE_WAIT_DEFAULT_RUN_SECONDS = 5.0


@dataclass(frozen=True)
class CodeQueueWait:
    queued: int  # submissions waiting for a worker
    mean_run_seconds: float  # of the recent runs
    workers: int

    @property
    def seconds(self) -> float:
        """How long the last one queued waits: the work ahead, spread over the workers."""
        return self.queued * self.mean_run_seconds / max(1, self.workers)


def code_queue_wait() -> CodeQueueWait:
    from django.conf import settings

    recent = (
        Submission.objects.filter(
            status=Submission.Status.GRADED, started_at__isnull=False, graded_at__isnull=False
        )
        .order_by("-pk")
        .values_list("started_at", "graded_at")[:QUEUE_WAIT_SAMPLE]
    )
    runs = [(graded - started).total_seconds() for started, graded in recent if started and graded]
    return CodeQueueWait(
        queued=Submission.objects.filter(status=Submission.Status.QUEUED).count(),
        mean_run_seconds=sum(runs) / len(runs) if runs else QUEUE_WAIT_DEFAULT_RUN_SECONDS,
        workers=settings.GRADER_CODE_WORKER_PROCESSES,
    )


def submission_place_in_queue(*, submission: Submission) -> int | None:
    """1 for the next to run; None once a worker took it."""
    if submission.status != Submission.Status.QUEUED:
        return None
    ahead = Submission.objects.filter(status=Submission.Status.QUEUED, pk__lt=submission.pk)
    return ahead.count() + 1
