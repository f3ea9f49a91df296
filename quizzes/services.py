"""Writes for quizzes: the attempt flow (start, save, submit, grade) and its sweeps.

The grading itself is the pure `quizzes.grading` package; this module loads the
rows, locks them, applies the quiz's rules and writes the results.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import (
    IntegrityError,
    connection,
    models,
    transaction,
)
from django.db.models import F, Q
from django.utils import timezone

from core import grading_work
from core.db import TRANSIENT_ERRORS, asynchronous_commit
from core.grading_work import StuckWork, run_again_after_internal_error, stuck_work_requeue
from core.logs import work_logging
from core.queueing import enqueue, queue_waiting
from core.storable import storable_json, storable_text
from counters.services import QUIZ_ATTEMPT, grading_count, sweep_requeue_count
from deadlines import policy as dates
from deadlines.presentation import refusal_message
from deadlines.selectors import LearnerSchedule, item_results_gate, item_schedule
from progress.items import ItemRef, learners_with_work
from progress.services import enrollment_create, item_record
from quizzes import grading
from quizzes.grading.attempt import answers_graded
from quizzes.grading.fields import MAX_RESPONSE_TEXT_BYTES
from quizzes.models import Answer, Attempt, Question, Quiz
from quizzes.scoring import attempt_score, retry_penalty
from quizzes.selectors import attempt_questions, quiz_result_for
from webhooks.services import event_emit

logger = logging.getLogger(__name__)

# Answers that arrive this long after the deadline still count (network, clock skew).
DEADLINE_GRACE = timedelta(seconds=getattr(settings, "QUIZ_DEADLINE_GRACE_SECONDS", 15))
# A submitted attempt not graded this long after it was queued is queued again.
STUCK_AFTER = timedelta(seconds=settings.QUIZ_STUCK_AFTER_SECONDS)
LOST_AFTER = timedelta(seconds=settings.GRADING_LOST_AFTER_SECONDS)
# A crash inside grading is retried this many times before the attempt is marked `error`.
MAX_GRADING_RUNS = grading_work.MAX_RUNS  # a crash in grading: core.grading_work
MAX_RESPONSE_BYTES = 64 * 1024
# The most a validated text typed on a page can grow to once escaped: each byte at most four
# characters (a control character, one byte, becomes "\x01").
TYPED_TEXT_ESCAPED_CHARS = 4 * MAX_RESPONSE_TEXT_BYTES


class QuizRuleError(Exception):
    """The action breaks a rule of the quiz (closed, limit reached, time is up ...)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


# --- start ----------------------------------------------------------------------


def attempt_start(*, learner: User, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """Start an attempt, or return the one in progress (a reload must not cost an attempt).

    The limit holds under concurrency: the next number is computed inside the
    transaction and (learner, quiz, number) is unique, so of two simultaneous
    starts one inserts and the other retries and sees the new count.
    """
    now = _now(now)
    mine = item_schedule(item=quiz, learner_id=learner.pk)
    # The server's clock and the learner's own dates (extensions counted) decide.
    refused = dates.refusal(mine.schedule, at=now)
    if refused is not None:  # not_open, past_cutoff, late_not_accepted
        raise QuizRuleError(refused, refusal_message(refused, mine.schedule))
    for _try in range(5):
        try:
            with transaction.atomic():
                attempt = _attempt_start_once(learner=learner, quiz=quiz, now=now, mine=mine)
                # Working on a course's quiz enrols the learner (it is on their dashboard).
                enrollment_create(learner=learner, course=quiz.section.part.course)
                return attempt
        except IntegrityError:
            continue  # someone else started one at the same moment: look again
    raise QuizRuleError("busy", "could not start the attempt, try again")


def _attempt_start_once(
    *, learner: User, quiz: Quiz, now: datetime, mine: LearnerSchedule
) -> Attempt:
    attempts = Attempt.objects.filter(learner=learner, quiz=quiz)
    # One statement, so one consistent snapshot: under READ COMMITTED, separate
    # "count" and "max(number)" queries could straddle another start's commit
    # and let a fourth attempt in under a limit of three (seen in the
    # concurrency test on PostgreSQL).
    seen = list(attempts.values_list("pk", "number", "status"))
    current_pk = next((pk for pk, _n, status in seen if status == Attempt.Status.IN_PROGRESS), None)
    if current_pk is not None:
        current = Attempt.objects.get(pk=current_pk)
        if not (current.deadline and now > current.deadline + DEADLINE_GRACE):
            return current
        # Time ran out while the learner was away: submit it, then go on.
        attempt_submit(attempt=current, now=current.deadline, by_deadline=True)
        seen = list(attempts.values_list("pk", "number", "status"))
    if quiz.max_attempts is not None:
        allowed = quiz.max_attempts + mine.extra_attempts  # extensions may grant more
        # An attempt whose grading failed (`error`) is not the learner's fault: it is free.
        used = sum(1 for _pk, _n, status in seen if status != Attempt.Status.ERROR)
        if used >= allowed:
            raise QuizRuleError("no_attempts_left", f"all {allowed} attempts have been used")
    # If another start commits the same number first, the unique constraint fails
    # this insert and attempt_start looks again.
    number = max((n for _pk, n, _s in seen), default=0) + 1
    return Attempt.objects.create(
        learner=learner,
        quiz=quiz,
        number=number,
        seed=secrets.randbits(62),
        started_at=now,
        deadline=attempt_deadline(mine=mine, time_limit=quiz.time_limit, now=now),
        late=bool(dates.lateness(due_at=mine.schedule.due_at, at=now)),
    )


def attempt_deadline(
    *, mine: LearnerSchedule, time_limit: timedelta | None, now: datetime
) -> datetime | None:
    """When an attempt started now must be in: the learner's own time limit (an accommodation
    multiplies it), and never after the quiz closes for them. The sweep submits at it."""
    ends = [
        *([now + dates.time_limit_for(time_limit, mine.time_multiplier)] if time_limit else []),
        *([closes] if (closes := dates.closes_at(mine.schedule)) else []),
    ]
    return min(ends, default=None)


# --- save -----------------------------------------------------------------------


def attempt_save_answers(
    *,
    attempt: Attempt,
    responses: Mapping[int, Any],
    now: datetime | None = None,
    shown_ids: bool = False,
    as_typed: bool = False,
) -> list[Answer]:
    """Autosave: store the learner's responses (question id -> response JSON).

    `shown_ids`: the responses name choices and items by the opaque ids this attempt showed
    the learner (the pages and the API); they are stored by their real ids.
    `as_typed` (the pages): the text is as the learner typed it. It is validated as typed
    (64 KB of it is fine, however many control characters it holds), then a NUL or another
    control character is stored as a visible escape (`\x00`, core.storable) rather than the
    whole page of answers refused. The API refuses such text with a 400: its caller can fix
    it."""
    now = _now(now)
    if shown_ids:
        items = {item.question.pk: item for item in attempt_questions(attempt=attempt)}
        responses = {
            question_id: item.response_to_stored(response)
            if (item := items.get(question_id))
            else response
            for question_id, response in responses.items()
        }
    questions = {q.id: q for q in attempt.quiz.questions.filter(id__in=list(responses))}
    unknown = set(responses) - set(questions)
    if unknown:
        raise QuizRuleError("unknown_question", f"questions {sorted(unknown)} are not in this quiz")
    for question_id, response in responses.items():
        question = questions[question_id]
        if response is None:
            continue
        try:
            grading.validate_response(
                question.type, question.spec, response, unstorable_ok=as_typed
            )
        except grading.ResponseError as error:
            raise QuizRuleError("invalid_response", f"question {question_id}: {error}") from None
    if as_typed:
        # Escaping lengthens the text (a control character becomes four), after the checks:
        # the limits are on what the learner typed, and no validated text is ever cut.
        responses = {
            question_id: storable_json(response, text_limit=TYPED_TEXT_ESCAPED_CHARS)
            for question_id, response in responses.items()
        }
    saved = [
        Answer(attempt=attempt, question_id=question_id, response=response, saved_at=now)
        for question_id, response in responses.items()
    ]
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        expired = attempt_expired(locked, now)
        if not expired:
            _check_open_for_answers(locked, now)
            if saved:  # one upsert for the page's answers, not a SELECT and a write per question
                Answer.objects.bulk_create(
                    saved,
                    update_conflicts=True,
                    unique_fields=["attempt", "question"],
                    update_fields=["response", "saved_at"],
                )
    if expired:
        # The one rule on every channel (pages, autosave, API): time is up, so the attempt
        # is submitted as of its deadline with the answers saved by then; these come late.
        attempt_submit(attempt=attempt, now=locked.deadline, by_deadline=True)
        raise QuizRuleError("time_is_up", "the time limit of this attempt has passed")
    return saved


def attempt_expired(attempt: Attempt, now: datetime) -> bool:
    """An attempt still open past its deadline (plus the grace for answers in flight)."""
    return bool(
        attempt.status == Attempt.Status.IN_PROGRESS
        and attempt.deadline
        and now > attempt.deadline + DEADLINE_GRACE
    )


def _check_open_for_answers(attempt: Attempt, now: datetime) -> None:
    if attempt.status != Attempt.Status.IN_PROGRESS:
        raise QuizRuleError("not_in_progress", "this attempt has been submitted")
    if attempt_expired(attempt, now):
        raise QuizRuleError("time_is_up", "the time limit of this attempt has passed")


# --- submit ---------------------------------------------------------------------


def attempt_submit(
    *, attempt: Attempt, now: datetime | None = None, by_deadline: bool = False
) -> Attempt:
    """Close the attempt and queue its grading once the transaction commits.

    Past its deadline (and the grace) an attempt is submitted as of the deadline, on every
    channel: what was saved by then is graded. If the broker is down the learner still gets
    "submitted": the periodic sweep (`attempts_requeue_stuck`) queues it when it is back.
    """
    now = _now(now)
    with transaction.atomic():
        locked = (
            Attempt.objects.select_for_update(of=("self",))
            # (the course too: the learner's dates are read from the quiz, section, part, course)
            .select_related("quiz__section__part__course")
            .get(pk=attempt.pk)
        )
        if locked.status != Attempt.Status.IN_PROGRESS:
            return locked  # already submitted: a double click is not an error
        if not by_deadline and attempt_expired(locked, now):
            assert locked.deadline is not None
            now = locked.deadline
        locked.status = Attempt.Status.SUBMITTED
        locked.submitted_at = now
        # By the learner's own dates, now, once: a regrade keeps it (it was late when made).
        mine = item_schedule(item=locked.quiz, learner_id=locked.learner_id)
        lateness = dates.work_lateness(mine.schedule, at=now)
        locked.late = locked.late or lateness.late
        locked.late_seconds = lateness.seconds
        locked.late_penalty = lateness.penalty
        locked.grading_queued_at = timezone.now()
        locked.save(
            update_fields=[
                "status", "submitted_at", "late", "late_seconds", "late_penalty",
                "grading_queued_at",
            ]
        )  # fmt: skip
        attempt_id = locked.pk
        transaction.on_commit(lambda: _queue_after_submit(attempt_id))
    return locked


def _queue_after_submit(attempt_id: int) -> None:
    if not attempt_queue_grading(attempt_id=attempt_id):
        # Never reached the broker: marked not queued, so the sweep that runs when a worker
        # connects again takes it at once, not STUCK_AFTER later.
        Attempt.objects.filter(pk=attempt_id, status=Attempt.Status.SUBMITTED).update(
            grading_queued_at=None
        )


def attempt_queue_grading(*, attempt_id: int, claim: bool = False) -> bool:
    """Hand the grading to a worker; False (logged) if the broker cannot take it now.

    `claim`: the worker records that it took it (`attempt_grade`); the sweep's re-deliveries
    ask for it, the first delivery after submit does not."""
    from quizzes.tasks import grade_attempt_task

    args = (attempt_id, True) if claim else (attempt_id,)
    with work_logging(attempt_id=attempt_id):
        return enqueue(grade_attempt_task, *args, what=f"grading of attempt {attempt_id}")


# --- grade ----------------------------------------------------------------------


@dataclass(frozen=True)
class GradingOutcome:
    attempt_id: int
    status: str
    already_done: bool
    # An internal error: the task runs it again shortly (as grader's GradeOutcome.retry).
    retry: bool = False


def attempt_grade_or_retry(*, attempt_id: int, claim: bool = False) -> GradingOutcome:
    """Grade the attempt; a crash inside grading is never the learner's fault: the outcome
    says to run it again, and after a few tries the attempt is `error` (free)."""
    try:
        return attempt_grade(attempt_id=attempt_id, claim=claim)
    except TRANSIENT_ERRORS:
        raise
    except Exception as error:
        logger.exception("grading attempt %s crashed", attempt_id)
        reason = f"{type(error).__name__}: {error}"
        if attempt_mark_error(attempt_id=attempt_id, reason=reason):
            return GradingOutcome(attempt_id, Attempt.Status.ERROR, already_done=False)
        return GradingOutcome(attempt_id, Attempt.Status.SUBMITTED, False, retry=True)


def attempt_grade(
    *, attempt_id: int, now: datetime | None = None, claim: bool = False
) -> GradingOutcome:
    """Grade every answer of a submitted attempt and write the result; safe to run twice.

    The attempt row is locked for the whole grading, so two deliveries of the
    same task grade it once: the second finds it graded and returns.

    `claim` (a delivery the sweep queued again): first record that a worker took it, in a
    statement of its own that commits at once, so the sweep can tell a worker that died
    grading it (given up after a few) from a queue that never delivered it (never given up).
    The first delivery after submit skips this write: it is on every learner's wait.
    """
    clock_given = now is not None
    now = _now(now)
    if claim:
        Attempt.objects.filter(
            pk=attempt_id, status=Attempt.Status.SUBMITTED, awaiting_manual_grading=False
        ).update(grading_claimed_at=now)
    with transaction.atomic():
        # The one row lock of the grading flow: held until the result is written.
        # of=("self",): lock the attempt only; a plain FOR UPDATE over the join
        # would lock the quiz row too and serialise every grading of that quiz.
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz")
            .filter(pk=attempt_id)
            .first()
        )
        if attempt is None:
            return GradingOutcome(attempt_id, "missing", already_done=True)
        if attempt.status != Attempt.Status.SUBMITTED or attempt.awaiting_manual_grading:
            return GradingOutcome(attempt_id, attempt.status, already_done=True)
        # A grade lost in a database crash leaves the attempt `submitted`: the sweep
        # grades it again. Measured with bench/quiz.py: about 15% more throughput.
        asynchronous_commit()
        attempt.grading_runs += 1
        _grade_answers(attempt=attempt, now=now, clock_given=clock_given)
        return GradingOutcome(attempt_id, attempt.status, already_done=False)


GRADED_ANSWER_FIELDS = [
    "score", "feedback", "details", "needs_manual_grading", "graded_at", "key_version",
]  # fmt: skip

# A worker's questions of recently graded quizzes, by quiz id: (the quiz's updated_at when
# read, the questions). Any change to a question moves its quiz's updated_at
# (quizzes.authoring.quizzes_touch), so a changed quiz misses here and is read again.
_QUESTIONS_CACHE: OrderedDict[int, tuple[datetime, list[Question]]] = OrderedDict()
_QUESTIONS_CACHE_SIZE = 256


def _quiz_questions(quiz: Quiz) -> list[Question]:
    cached = _QUESTIONS_CACHE.get(quiz.pk)
    if cached is not None and cached[0] == quiz.updated_at:
        _QUESTIONS_CACHE.move_to_end(quiz.pk)
        return cached[1]
    questions = list(quiz.questions.all())
    _QUESTIONS_CACHE[quiz.pk] = (quiz.updated_at, questions)
    while len(_QUESTIONS_CACHE) > _QUESTIONS_CACHE_SIZE:
        _QUESTIONS_CACHE.popitem(last=False)
    return questions


def _grade_answers(*, attempt: Attempt, now: datetime, clock_given: bool) -> None:
    questions = _quiz_questions(attempt.quiz)
    answers = {a.question_id: a for a in attempt.answers.all()}
    needs_manual = False
    to_update: list[Answer] = []
    to_create: list[Answer] = []
    for question, result in answers_graded(questions, answers):
        if result is None:
            continue  # an instructor's grade stands
        answer = answers.get(question.id)
        if answer is None:  # not answered: graded as an empty response
            answer = Answer(attempt=attempt, question=question, response=None, saved_at=now)
            to_create.append(answer)
        else:
            to_update.append(answer)
        answer.score = None if result.needs_manual else result.score
        answer.feedback = list(result.feedback)
        answer.details = dict(result.details)
        answer.needs_manual_grading = result.needs_manual
        answer.graded_at = None if result.needs_manual else now
        answer.key_version = question.key_version
        answers[question.id] = answer
        needs_manual = needs_manual or result.needs_manual
    # One upsert statement for all answers, not one UPDATE per question: grading
    # is on the learner's wait (bulk_update's CASE expressions cost more CPU
    # than the ten UPDATEs they replace; measured with bench/quiz.py).
    if to_update or to_create:
        _answers_upsert([*to_update, *to_create])
    if needs_manual:
        attempt.awaiting_manual_grading = True
        attempt.save(update_fields=["awaiting_manual_grading", "grading_runs"])
        return
    # graded_at is when the result is ready (what submit-to-graded latency measures).
    finished = now if clock_given else timezone.now()
    _attempt_finish(attempt=attempt, questions=questions, answers=answers, now=finished)


_ANSWERS = Answer._meta.db_table
_ANSWER_COLUMNS = [
    "attempt_id", "question_id", "response", "saved_at", "score", "feedback", "details",
    "needs_manual_grading", "graded_at", "key_version",
]  # fmt: skip


def _json_field(name: str) -> models.JSONField[Any]:
    field = Answer._meta.get_field(name)
    assert isinstance(field, models.JSONField)
    return field


def _answers_upsert(answers: list[Answer]) -> None:
    """INSERT ... ON CONFLICT (attempt, question) DO UPDATE of the graded fields, written
    out: what bulk_create(update_conflicts=True) sends, without its ~2 ms of compiling."""
    ops = connection.ops
    as_json = {name: _json_field(name) for name in ("response", "feedback", "details")}
    params: list[Any] = []
    for answer in answers:
        params += [
            answer.attempt_id,
            answer.question_id,
            as_json["response"].get_db_prep_value(answer.response, connection),
            ops.adapt_datetimefield_value(answer.saved_at),
            ops.adapt_decimalfield_value(answer.score, 7, 2),
            as_json["feedback"].get_db_prep_value(answer.feedback, connection),
            as_json["details"].get_db_prep_value(answer.details, connection),
            answer.needs_manual_grading,
            ops.adapt_datetimefield_value(answer.graded_at),
            answer.key_version,
        ]
    row = "(" + ", ".join(["%s"] * len(_ANSWER_COLUMNS)) + ")"
    updated = ", ".join(f"{name} = excluded.{name}" for name in GRADED_ANSWER_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_ANSWERS} ({', '.join(_ANSWER_COLUMNS)}) "  # noqa: S608 - names from model meta
            f"VALUES {', '.join([row] * len(answers))} "
            f"ON CONFLICT (attempt_id, question_id) DO UPDATE SET {updated}",
            params,
        )


def _attempt_finish(
    *, attempt: Attempt, questions: list[Question], answers: Mapping[int, Answer], now: datetime
) -> None:
    quiz = attempt.quiz
    raw = sum((answers[q.id].score or Decimal(0) for q in questions if q.id in answers), Decimal(0))
    max_score = sum((q.points for q in questions), Decimal(0))
    penalty = 0
    if quiz.retry_penalty:
        # Earlier counted attempts (errors are free) make the retry penalty.
        previous = (
            Attempt.objects.filter(
                learner_id=attempt.learner_id, quiz=quiz, number__lt=attempt.number
            )
            .exclude(status=Attempt.Status.ERROR)
            .count()
        )
        penalty = retry_penalty(per_retry=quiz.retry_penalty, earlier_attempts=previous)
    result = attempt_score(
        raw=raw, max_score=max_score, penalty=penalty, pass_score=quiz.pass_score,
        late_penalty=attempt.late_penalty,
    )  # fmt: skip
    attempt.raw_score = raw
    attempt.score = result.score
    attempt.max_score = result.max_score
    attempt.penalty = result.penalty
    attempt.percent = result.percent
    attempt.passed = result.passed
    attempt.status = Attempt.Status.GRADED
    # Graded before, then sent back by attempt_regrade: its grade was counted then.
    first_grade = attempt.graded_at is None
    attempt.graded_at = now
    attempt.awaiting_manual_grading = False
    attempt.error_reason = ""
    attempt.save(
        update_fields=[
            "raw_score",
            "score",
            "max_score",
            "penalty",
            "percent",
            "passed",
            "status",
            "graded_at",
            "awaiting_manual_grading",
            "error_reason",
            "grading_runs",
        ]
    )
    # The learner's completion moves with the grade, in the same transaction.
    quiz_progress_record(learner_id=attempt.learner_id, quiz=quiz)
    event_emit(event="attempt.graded", object_id=attempt.pk)  # webhooks, after commit
    if first_grade:
        # /metrics counts it in this transaction (a rollback counts nothing); last, so the
        # counter's row is locked only until the commit.
        submitted = attempt.submitted_at
        grading_count(
            kind=QUIZ_ATTEMPT,
            outcome="passed" if result.passed else "failed",
            seconds=(now - submitted).total_seconds() if submitted else None,
        )


def quiz_progress_record(*, learner_id: int, quiz: Quiz) -> None:
    """Tell progress where the learner now stands on the quiz (by its score policy)."""
    result = quiz_result_for(learner_id=learner_id, quiz=quiz)
    held = item_results_gate(item=quiz, now=timezone.now()).held
    complete = dates.counts_complete(
        passed=result.passed, graded=result.graded_attempts > 0, held=held
    )
    item_record(
        learner_id=learner_id, section_id=quiz.section_id, item=ItemRef("quiz", quiz.pk),
        complete=complete, score=result.percent,
    )  # fmt: skip


def quiz_learners_recount(quiz_id: int) -> int:
    """Recount every learner with an attempt of the quiz (progress.items.ItemKind.recount)."""
    quiz = Quiz.objects.select_related("section__part__course").filter(pk=quiz_id).first()
    if quiz is None:
        return 0
    learners = learners_with_work(quiz.attempts.all())
    for learner_id in learners:
        quiz_progress_record(learner_id=learner_id, quiz=quiz)
    return len(learners)


def attempt_mark_error(*, attempt_id: int, reason: str) -> bool:
    """Grading crashed: after MAX_GRADING_RUNS tries the attempt is `error` (and free).

    Returns True when the attempt was marked, False when it will be tried again.
    """
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().filter(pk=attempt_id).first()
        if attempt is None or attempt.status != Attempt.Status.SUBMITTED:
            return False
        attempt.grading_runs += 1
        if run_again_after_internal_error(runs=attempt.grading_runs):
            attempt.save(update_fields=["grading_runs"])
            return False
        attempt.status = Attempt.Status.ERROR
        attempt.error_reason = storable_text(reason, limit=4000)
        attempt.save(update_fields=["status", "error_reason", "grading_runs"])
        grading_count(kind=QUIZ_ATTEMPT, outcome="error", seconds=None)
        # Escaped, as stored: an exception's message may quote a learner's answer.
        logger.error("grading of attempt %s failed for good: %s", attempt_id, attempt.error_reason)
        return True


def answer_grade_manually(
    *,
    answer: Answer,
    score: Decimal,
    feedback: str,
    grader: User,
    now: datetime | None = None,
    only_if_waiting: bool = False,
) -> Attempt:
    """An instructor grades a free-text answer; the attempt is finished when none is left.
    `only_if_waiting`: refuse an answer that is graded already (another instructor was first)
    instead of changing its grade."""
    now = _now(now)
    with transaction.atomic():
        attempt = (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("quiz")
            .get(pk=answer.attempt_id)
        )
        locked = Answer.objects.select_related("question").get(pk=answer.pk)
        if only_if_waiting and not (
            locked.needs_manual_grading and attempt.status == Attempt.Status.SUBMITTED
        ):
            raise QuizRuleError("already_graded", "this answer does not wait for a grade")
        if not Decimal(0) <= score <= locked.question.points:
            raise QuizRuleError(
                "invalid_score", f"score must be between 0 and {locked.question.points}"
            )
        locked.score = score
        locked.feedback = [feedback] if feedback else []
        locked.needs_manual_grading = False
        locked.graded_by_id = grader.pk
        locked.graded_at = now
        locked.key_version = locked.question.key_version
        locked.save()
        if (
            attempt.status == Attempt.Status.SUBMITTED
            and not attempt.answers.filter(needs_manual_grading=True).exists()
        ):
            questions = list(attempt.quiz.questions.all())
            answers = {a.question_id: a for a in attempt.answers.all()}
            _attempt_finish(attempt=attempt, questions=questions, answers=answers, now=now)
        return attempt


def attempt_regrade(*, attempt: Attempt) -> Attempt:
    """Grade again (after a question was fixed, or an `error`): back to submitted, queued."""
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if locked.status == Attempt.Status.IN_PROGRESS:
            raise QuizRuleError("not_submitted", "the attempt has not been submitted")
        locked.status = Attempt.Status.SUBMITTED
        locked.awaiting_manual_grading = False
        locked.grading_runs = 0
        locked.requeues = 0
        locked.error_reason = ""
        locked.grading_queued_at = timezone.now()
        locked.save()
        transaction.on_commit(lambda: attempt_queue_grading(attempt_id=locked.pk))
    return locked


# --- sweeps (periodic) ------------------------------------------------------------


def attempts_submit_expired(*, now: datetime | None = None) -> int:
    """Submit every attempt left open past its deadline (plus grace)."""
    now = _now(now)
    expired = Attempt.objects.filter(
        status=Attempt.Status.IN_PROGRESS, deadline__lt=now - DEADLINE_GRACE
    ).only("pk", "deadline")
    count = 0
    for attempt in expired.iterator():
        attempt_submit(attempt=attempt, now=attempt.deadline, by_deadline=True)
        count += 1
    if count:
        logger.info("submitted %s attempts left open past their deadline", count)
    return count


def attempts_requeue_stuck(*, now: datetime | None = None) -> int:
    """Queue again every submitted attempt whose grading never happened (broker was down,
    a worker died). Grading runs in one transaction, so a worker that died grading leaves
    no trace but the claim its re-delivery stamps first (`attempt_grade(claim=True)`): an
    attempt taken since it was last queued and still not graded was abandoned, which counts
    towards giving up (core.grading_work); one no worker took (workers down or behind a
    backlog) is never given up."""
    now = _now(now)
    stale = now - STUCK_AFTER
    rows = (
        Attempt.objects.filter(status=Attempt.Status.SUBMITTED, awaiting_manual_grading=False)
        .filter(Q(grading_queued_at__isnull=True) | Q(grading_queued_at__lt=stale))
        # Taken within STUCK_AFTER: it is being graded now (a grading's time limit is shorter).
        .exclude(grading_claimed_at__gte=stale)
        .values_list("pk", "requeues", "grading_queued_at", "grading_claimed_at")[:1000]
    )

    def queue(work: StuckWork) -> bool:
        if not attempt_queue_grading(attempt_id=work.id, claim=True):
            return False  # the broker is still down: try again at the next sweep
        with transaction.atomic():
            Attempt.objects.filter(pk=work.id).update(
                grading_queued_at=now, requeues=F("requeues") + int(work.abandoned)
            )
            sweep_requeue_count(kind=QUIZ_ATTEMPT, requeues=int(work.abandoned))
        return True

    def abandoned(queued: datetime | None, claimed: datetime | None) -> bool:
        return claimed is not None and (queued is None or claimed >= queued)

    return stuck_work_requeue(
        stuck=[
            StuckWork(pk, abandoned(queued, claimed), requeues)
            for pk, requeues, queued, claimed in rows
        ],
        queue=queue,
        give_up=_attempt_give_up,
        max_requeues=settings.GRADING_MAX_REQUEUES,
        what="attempt",
    )


def attempts_requeue_lost(*, now: datetime | None = None) -> int:
    """Queue again, within seconds, the gradings the broker lost or never got: attempts never
    queued (the publish failed), and, while the quiz queue holds no message at all, those
    queued over LOST_AFTER ago that no worker has taken since. How many.

    Why this cannot grade twice, and what it costs: a grading claims its attempt under a row
    lock and returns early if it is graded (`attempt_grade`), so a message re-sent for work
    whose first message still exists (held by a worker that has not started it, with the
    queue empty) costs one no-op task. At most one such duplicate per attempt while it sits
    unstarted: the re-sent message waits in the queue, which is then not empty, until a
    worker takes it. Not counted towards giving up: no worker was seen taking it."""
    now = _now(now)
    submitted = Attempt.objects.filter(
        status=Attempt.Status.SUBMITTED, awaiting_manual_grading=False
    )
    never = Q(grading_queued_at__isnull=True)
    # (`grading_claimed_at` after the last queueing: a worker took that message.)
    unclaimed = Q(grading_claimed_at__isnull=True) | Q(
        grading_claimed_at__lt=F("grading_queued_at")
    )
    lost = Q(grading_queued_at__lt=now - LOST_AFTER) & unclaimed
    if not submitted.filter(never | lost).exists():
        return 0  # the common case: one indexed query, the broker not asked
    if submitted.filter(lost).exists() and queue_waiting("quizzes.tasks.grade_attempt") == 0:
        found = never | lost
    else:
        found = never
    count = 0
    for pk in submitted.filter(found).values_list("pk", flat=True)[:1000]:
        if not attempt_queue_grading(attempt_id=pk, claim=True):
            break  # the broker is down again: the next pass
        Attempt.objects.filter(pk=pk).update(grading_queued_at=now)
        count += 1
    if count:
        logger.warning("queued again %s gradings the broker lost or never got", count)
    return count


def _attempt_give_up(work: StuckWork, reason: str) -> bool:
    with transaction.atomic():
        given_up = Attempt.objects.filter(
            pk=work.id, status=Attempt.Status.SUBMITTED, awaiting_manual_grading=False
        ).update(status=Attempt.Status.ERROR, error_reason=reason)
        if given_up:
            grading_count(kind=QUIZ_ATTEMPT, outcome="error", seconds=None)
        return bool(given_up)
