"""The attempt flow: start, autosave, submit, grade; the quiz's rules enforced on the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from counters.services import GRADED, QUIZ_ATTEMPT, SUBMIT_TO_GRADED, SWEEP_REQUEUED
from quizzes import services
from quizzes.authoring import QuizEditError, question_delete, question_save
from quizzes.models import Answer, Attempt, Quiz
from quizzes.selectors import attempt_questions, quiz_result_for
from quizzes.services import (
    QuizRuleError,
    answer_grade_manually,
    attempt_grade,
    attempt_regrade,
    attempt_save_answers,
    attempt_start,
    attempt_submit,
    attempts_requeue_stuck,
    attempts_submit_expired,
)
from tests.factories import QuestionFactory, QuizFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """Attempt ids handed to the broker (no broker in these tests)."""
    sent: list[int] = []

    def fake_queue(*, attempt_id: int) -> bool:
        sent.append(attempt_id)
        return True

    monkeypatch.setattr(services, "attempt_queue_grading", fake_queue)
    return sent


@pytest.fixture
def quiz() -> Quiz:
    quiz = QuizFactory.create(pass_score=60)
    QuestionFactory.create(quiz=quiz, points=Decimal("2"), order=1)
    QuestionFactory.create(
        quiz=quiz, type="true_false", spec={"answer": False}, order=2, text="Каналы буферизованы?"
    )
    QuestionFactory.create(
        quiz=quiz,
        type="numeric",
        order=3,
        spec={
            "answers": [
                {
                    "kind": "tolerance",
                    "value": "3.14",
                    "tolerance": "0.01",
                    "weight": 100,
                    "feedback": "",
                }
            ]
        },
    )
    return quiz


def questions_of(quiz: Quiz) -> dict[str, int]:
    return {q.type: q.id for q in quiz.questions.all()}


def take(quiz: Quiz, learner, responses_by_type: dict, queued, *, now=T0) -> Attempt:
    """Start, answer, submit and grade one attempt (the worker's part run in-process)."""
    attempt = attempt_start(learner=learner, quiz=quiz, now=now)
    ids = questions_of(quiz)
    attempt_save_answers(
        attempt=attempt, responses={ids[t]: r for t, r in responses_by_type.items()}, now=now
    )
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        attempt_submit(attempt=attempt, now=now + timedelta(seconds=30))
    assert queued[-1] == attempt.id
    attempt_grade(attempt_id=attempt.id, now=now + timedelta(seconds=31))
    attempt.refresh_from_db()
    return attempt


ALL_RIGHT = {
    "single_choice": {"choice": "b"},
    "true_false": {"value": False},
    "numeric": {"text": "3,14"},
}


def test_a_submitted_attempt_is_graded_with_per_question_results(quiz, queued):
    learner = UserFactory.create()

    attempt = take(quiz, learner, {**ALL_RIGHT, "numeric": {"text": "2.5"}}, queued)

    assert attempt.status == "graded"
    assert attempt.score == Decimal("3.00")
    assert attempt.max_score == Decimal("4.00")
    assert attempt.percent == Decimal("75.00")
    assert attempt.passed is True
    scores = {a.question.type: a.score for a in attempt.answers.select_related("question")}
    assert scores == {
        "single_choice": Decimal("2.00"),
        "true_false": Decimal("1.00"),
        "numeric": Decimal("0.00"),
    }
    assert Answer.objects.get(attempt=attempt, question__type="single_choice").feedback == ["Верно"]


def test_unanswered_questions_score_zero(quiz, queued):
    attempt = take(quiz, UserFactory.create(), {"true_false": {"value": False}}, queued)
    assert attempt.score == Decimal("1.00")
    assert attempt.answers.count() == 3
    assert attempt.passed is False


def test_grading_twice_gives_one_result(quiz, queued):
    attempt = take(quiz, UserFactory.create(), ALL_RIGHT, queued)
    graded_at = attempt.graded_at

    outcome = attempt_grade(attempt_id=attempt.id)

    assert outcome.already_done
    attempt.refresh_from_db()
    assert attempt.graded_at == graded_at
    assert attempt.grading_runs == 1


def test_a_grade_is_counted_once_with_its_wait_and_a_regrade_is_not(quiz, queued, counted):
    attempt = take(quiz, UserFactory.create(), ALL_RIGHT, queued)  # submitted, graded 1 s later
    attempt_grade(attempt_id=attempt.id)  # a second delivery

    attempt_regrade(attempt=attempt)  # "grade again": not a new outcome
    attempt_grade(attempt_id=attempt.id, now=T0 + timedelta(hours=1))

    attempt.refresh_from_db()
    assert (attempt.status, attempt.graded_at) == ("graded", T0 + timedelta(hours=1))
    assert counted(GRADED, kind=QUIZ_ATTEMPT, outcome="passed") == 1
    assert counted(SUBMIT_TO_GRADED, kind=QUIZ_ATTEMPT, le="1.0") == 1
    assert counted(SUBMIT_TO_GRADED, kind=QUIZ_ATTEMPT, le="+Inf") == 0


def test_a_rolled_back_grading_is_not_counted(quiz, queued, counted):
    attempt = submitted(quiz, UserFactory.create())

    def graded_then_rolled_back() -> None:
        with transaction.atomic():
            attempt_grade(attempt_id=attempt.id, now=T0 + timedelta(seconds=2))
            raise RuntimeError("the commit failed")

    with pytest.raises(RuntimeError):
        graded_then_rolled_back()

    attempt.refresh_from_db()
    assert attempt.status == "submitted"
    assert counted(GRADED, kind=QUIZ_ATTEMPT, outcome="failed") == 0
    assert counted(SUBMIT_TO_GRADED, kind=QUIZ_ATTEMPT, le="2.5") == 0
    attempt_grade(attempt_id=attempt.id, now=T0 + timedelta(seconds=2))
    assert counted(GRADED, kind=QUIZ_ATTEMPT, outcome="failed") == 1  # nothing answered
    assert counted(SUBMIT_TO_GRADED, kind=QUIZ_ATTEMPT, le="2.5") == 1


def test_reload_returns_the_attempt_in_progress_with_the_same_order(quiz):
    quiz.shuffle_questions = True
    quiz.save()
    learner = UserFactory.create()
    first = attempt_start(learner=learner, quiz=quiz, now=T0)
    order = [q.view for q in attempt_questions(attempt=first)]

    again = attempt_start(learner=learner, quiz=quiz, now=T0 + timedelta(minutes=5))

    assert again.id == first.id
    assert [q.view for q in attempt_questions(attempt=again)] == order


def test_learners_view_has_no_answer_keys(quiz):
    attempt = attempt_start(learner=UserFactory.create(), quiz=quiz, now=T0)
    views = [q.view for q in attempt_questions(attempt=attempt)]
    text = repr(views)
    assert "weight" not in text
    assert "3.14" not in text
    assert "Верно" not in text  # per-choice feedback
    assert "answer" not in {k for v in views for k in v}


def test_answers_are_refused_after_submit(quiz, queued):
    attempt = take(quiz, UserFactory.create(), ALL_RIGHT, queued)
    with pytest.raises(QuizRuleError, match="submitted"):
        attempt_save_answers(
            attempt=attempt, responses={questions_of(quiz)["true_false"]: {"value": True}}
        )


def test_an_invalid_response_is_refused_and_nothing_is_saved(quiz):
    attempt = attempt_start(learner=UserFactory.create(), quiz=quiz, now=T0)
    ids = questions_of(quiz)
    with pytest.raises(QuizRuleError) as error:
        attempt_save_answers(
            attempt=attempt,
            responses={ids["true_false"]: {"value": True}, ids["single_choice"]: {"choice": "zzz"}},
            now=T0,
        )
    assert error.value.code == "invalid_response"
    assert not Answer.objects.filter(attempt=attempt).exists()


def test_saving_again_replaces_those_answers_and_keeps_the_others(quiz):
    attempt = attempt_start(learner=UserFactory.create(), quiz=quiz, now=T0)
    ids = questions_of(quiz)
    attempt_save_answers(
        attempt=attempt,
        responses={ids["true_false"]: {"value": True}, ids["single_choice"]: {"choice": "a"}},
        now=T0,
    )
    later = T0 + timedelta(minutes=1)
    attempt_save_answers(attempt=attempt, responses={ids["true_false"]: None}, now=later)

    stored = {a.question_id: (a.response, a.saved_at) for a in attempt.answers.all()}
    assert stored == {ids["true_false"]: (None, later), ids["single_choice"]: ({"choice": "a"}, T0)}


# --- time limit (frozen clock: every service takes `now`) -------------------------


@pytest.fixture
def timed_quiz(quiz) -> Quiz:
    quiz.time_limit = timedelta(minutes=10)
    quiz.save()
    return quiz


def test_answers_after_the_deadline_plus_grace_are_refused(timed_quiz):
    attempt = attempt_start(learner=UserFactory.create(), quiz=timed_quiz, now=T0)
    ids = questions_of(timed_quiz)
    assert attempt.deadline == T0 + timedelta(minutes=10)

    attempt_save_answers(
        attempt=attempt,
        responses={ids["true_false"]: {"value": False}},
        now=T0 + timedelta(minutes=10, seconds=10),
    )  # within the grace
    with pytest.raises(QuizRuleError) as error:
        attempt_save_answers(
            attempt=attempt,
            responses={ids["true_false"]: {"value": True}},
            now=T0 + timedelta(minutes=11),
        )
    assert error.value.code == "time_is_up"
    assert Answer.objects.get(attempt=attempt).response == {"value": False}


def test_an_attempt_left_open_is_submitted_at_its_deadline_by_the_sweep(timed_quiz, queued):
    attempt = attempt_start(learner=UserFactory.create(), quiz=timed_quiz, now=T0)

    assert attempts_submit_expired(now=T0 + timedelta(minutes=10, seconds=5)) == 0
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        assert attempts_submit_expired(now=T0 + timedelta(minutes=12)) == 1

    attempt.refresh_from_db()
    assert attempt.status == "submitted"
    assert attempt.submitted_at == attempt.deadline
    assert queued == [attempt.id]


# --- attempts, dates, penalties, policies -------------------------------------------


def test_max_attempts_is_enforced_and_an_error_attempt_is_free(quiz, queued):
    quiz.max_attempts = 2
    quiz.save()
    learner = UserFactory.create()
    take(quiz, learner, ALL_RIGHT, queued)
    second = attempt_start(learner=learner, quiz=quiz, now=T0)
    # grading of the second attempt crashed for good: not the learner's fault
    Attempt.objects.filter(pk=second.pk).update(status="error", error_reason="boom")

    third = attempt_start(learner=learner, quiz=quiz, now=T0)
    assert third.number == 3
    Attempt.objects.filter(pk=third.pk).update(status="graded")
    with pytest.raises(QuizRuleError) as error:
        attempt_start(learner=learner, quiz=quiz, now=T0)
    assert error.value.code == "no_attempts_left"


def test_quiz_not_yet_open_and_late_attempts(quiz, queued):
    quiz.opens_at = T0
    quiz.due_at = T0 + timedelta(days=7)
    quiz.save()
    learner = UserFactory.create()
    with pytest.raises(QuizRuleError) as refused:
        attempt_start(learner=learner, quiz=quiz, now=T0 - timedelta(minutes=1))
    # (the message is the learner's language, with the date: the code is the contract)
    assert refused.value.code == "not_open"

    on_time = take(quiz, learner, ALL_RIGHT, queued, now=T0 + timedelta(days=1))
    late = take(quiz, learner, ALL_RIGHT, queued, now=T0 + timedelta(days=8))

    assert (on_time.late, late.late) == (False, True)


def test_retry_penalty_reduces_later_attempts(quiz, queued):
    quiz.retry_penalty = 10
    quiz.save()
    learner = UserFactory.create()
    first = take(quiz, learner, ALL_RIGHT, queued)
    second = take(quiz, learner, ALL_RIGHT, queued)
    third = take(quiz, learner, ALL_RIGHT, queued)
    assert [a.percent for a in (first, second, third)] == [
        Decimal("100.00"),
        Decimal("90.00"),
        Decimal("80.00"),
    ]
    assert third.penalty == 20


@pytest.mark.parametrize(
    ("policy", "percent", "passed"),
    [
        ("best", Decimal("100.00"), True),
        ("last", Decimal("25.00"), False),
        ("average", Decimal("62.50"), True),
    ],
)
def test_score_policy(quiz, queued, policy, percent, passed):
    quiz.score_policy = policy
    quiz.save()
    learner = UserFactory.create()
    take(quiz, learner, ALL_RIGHT, queued)
    take(quiz, learner, {"true_false": {"value": False}}, queued)

    result = quiz_result_for(learner_id=learner.pk, quiz=quiz)

    assert (result.percent, result.passed, result.graded_attempts) == (percent, passed, 2)


# --- free text, crashes, broker down -----------------------------------------------


def test_essay_waits_for_the_instructor_and_the_rest_is_graded(quiz, queued):
    essay = QuestionFactory.create(quiz=quiz, type="essay", spec={"min_words": 0}, points=4)
    learner, teacher = UserFactory.create(), UserFactory.create(username="teacher")
    attempt = take(quiz, learner, ALL_RIGHT, queued)
    Answer.objects.filter(attempt=attempt, question=essay).update(response={"text": "…"})

    assert attempt.status == "submitted"
    assert attempt.awaiting_manual_grading
    assert attempts_requeue_stuck(now=timezone.now() + timedelta(hours=1)) == 0

    answer = Answer.objects.get(attempt=attempt, question=essay)
    with pytest.raises(QuizRuleError):
        answer_grade_manually(answer=answer, score=Decimal(5), feedback="", grader=teacher)
    answer_grade_manually(answer=answer, score=Decimal(3), feedback="Хорошо", grader=teacher)

    attempt.refresh_from_db()
    assert attempt.status == "graded"
    assert attempt.score == Decimal("7.00")
    assert attempt.max_score == Decimal("8.00")


def test_a_crash_inside_grading_is_retried_then_marked_error(quiz, queued, monkeypatch):
    learner = UserFactory.create()
    attempt = attempt_start(learner=learner, quiz=quiz, now=T0)
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        attempt_submit(attempt=attempt, now=T0)

    def broken(*args, **kwargs):
        raise ZeroDivisionError("bad spec")

    monkeypatch.setattr("quizzes.grading.attempt.grade", broken)
    # what grade_attempt_task calls on each delivery (and runs again while it says retry)
    outcomes = [
        services.attempt_grade_or_retry(attempt_id=attempt.id)
        for _run in range(services.MAX_GRADING_RUNS)
    ]

    attempt.refresh_from_db()
    assert [o.retry for o in outcomes] == [True, True, False]
    assert outcomes[-1].status == "error"
    assert attempt.status == "error"
    assert "ZeroDivisionError" in attempt.error_reason
    # not the learner's fault: a new attempt is allowed even with one attempt max
    quiz.max_attempts = 1
    quiz.save()
    assert attempt_start(learner=learner, quiz=quiz, now=T0).number == 2


def test_a_grading_errors_reason_reaches_the_log_escaped(quiz, queued, caplog):
    # Regression (issue 14 review): the reason was logged raw; an exception's message may quote
    # a learner's answer, and its "\x1b[2J" cleared the screen of whoever read the log.
    attempt = attempt_start(learner=UserFactory.create(), quiz=quiz, now=T0)
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        attempt_submit(attempt=attempt, now=T0)
    reason = "ValueError: could not read '\x1b[2J\x00'"
    while not services.attempt_mark_error(attempt_id=attempt.id, reason=reason):
        pass
    attempt.refresh_from_db()
    assert attempt.error_reason == "ValueError: could not read '\\x1b[2J\\x00'"
    assert attempt.error_reason in caplog.text
    assert "\x1b" not in caplog.text
    assert "\x00" not in caplog.text


def test_broker_down_at_submit_still_submits_and_the_sweep_queues_later(quiz, monkeypatch):
    from quizzes import tasks

    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(tasks.grade_attempt_task, "apply_async", broker_down)
    attempt = attempt_start(learner=UserFactory.create(), quiz=quiz, now=T0)
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        submitted = attempt_submit(attempt=attempt, now=T0)
    assert submitted.status == "submitted"

    # still down at the first sweep: nothing lost, nothing queued
    assert attempts_requeue_stuck(now=timezone.now() + timedelta(minutes=2)) == 0
    sent: list[tuple[int, ...]] = []
    monkeypatch.setattr(
        tasks.grade_attempt_task, "apply_async", lambda args, **kw: sent.append(args)
    )
    assert attempts_requeue_stuck(now=timezone.now() + timedelta(minutes=2)) == 1
    assert sent == [(attempt.id, True)]  # the sweep's delivery records its claim
    # queued just now: the next sweep leaves it alone
    assert attempts_requeue_stuck(now=timezone.now() + timedelta(minutes=2, seconds=10)) == 0


def test_a_question_edited_between_gradings_is_graded_by_its_new_key(quiz, queued):
    # The worker keeps a quiz's questions between gradings: an edit must reach them.
    learner = UserFactory.create()
    first = take(quiz, learner, ALL_RIGHT, queued)
    true_false = quiz.questions.get(type="true_false")
    true_false.spec = {"answer": True}
    question_save(question=true_false)  # as the admin and the API do

    second = take(quiz, UserFactory.create(), ALL_RIGHT, queued)

    assert first.score == Decimal("4.00")
    assert second.score == Decimal("3.00")
    # a question added, then one moved to another quiz: each in the next grading
    items = [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}]
    spec = {"items": items, "scoring": "positions"}
    question_save(question=QuestionFactory.build(quiz=quiz, type="ordering", order=4, points=3,
                                                 spec=spec))  # fmt: skip
    third = take(quiz, UserFactory.create(), ALL_RIGHT, queued)
    assert (third.score, third.max_score) == (Decimal("3.00"), Decimal("7.00"))
    single = quiz.questions.get(type="single_choice")
    single.quiz = QuizFactory.create()
    question_save(question=single)
    fourth = take(quiz, UserFactory.create(), {"true_false": {"value": True}}, queued)
    assert (fourth.score, fourth.max_score) == (Decimal("1.00"), Decimal("5.00"))


def test_a_question_nobody_answered_is_deleted_and_an_answered_one_is_kept(quiz, queued):
    unanswered = question_save(question=QuestionFactory.build(quiz=quiz, order=9))
    question_delete(question=unanswered)
    assert not quiz.questions.filter(pk=unanswered.pk).exists()
    take(quiz, UserFactory.create(), ALL_RIGHT, queued)
    numeric = quiz.questions.get(type="numeric")
    with pytest.raises(QuizEditError, match="answered"):
        question_delete(question=numeric)
    assert quiz.questions.filter(pk=numeric.pk).exists()


class Clock:
    """The services' clock (django.utils.timezone.now), moved on by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class WorkerKilled(BaseException):
    """The worker process dies mid-grading (SIGKILL, the OOM killer): nothing it had not
    committed is kept, and no handler of the task runs."""


@pytest.fixture
def broker(monkeypatch) -> list[tuple[int, ...]]:
    """The grading tasks' arguments as sent to the broker, which no worker takes."""
    from quizzes import tasks

    sent: list[tuple[int, ...]] = []
    monkeypatch.setattr(
        tasks.grade_attempt_task, "apply_async", lambda args, **kw: sent.append(args)
    )
    return sent


def submitted(quiz: Quiz, learner) -> Attempt:
    attempt = attempt_start(learner=learner, quiz=quiz, now=T0)
    with mock.patch("django.db.transaction.on_commit", lambda f: f()):
        attempt_submit(attempt=attempt, now=T0)
    return attempt


def test_an_attempt_no_worker_takes_is_never_given_up(quiz, broker, monkeypatch, counted):
    # Regression (issue 14 review): every re-queue counted as a worker that died, so with the
    # quiz worker down or behind a backlog for ~8 minutes every submitted attempt ended in
    # `error`, saying its grading had been started and never finished.
    from quizzes import tasks

    clock = Clock(monkeypatch)
    attempt = submitted(quiz, UserFactory.create())
    assert broker == [(attempt.id,)]  # the first delivery: no claim to write on the hot path
    for _sweep in range(settings.GRADING_MAX_REQUEUES * 3):
        clock.advance(minutes=2)
        assert attempts_requeue_stuck() == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.requeues, attempt.error_reason) == ("submitted", 0, "")
    assert counted(SWEEP_REQUEUED, kind=QUIZ_ATTEMPT) == 0  # none was a worker lost
    assert broker[1:] == [(attempt.id, True)] * (settings.GRADING_MAX_REQUEUES * 3)

    # A worker takes it at last, 90 s after it was queued; the beat sweeps while it grades.
    clock.advance(seconds=90)
    swept_while_grading: list[int] = []
    grade_answers = services._grade_answers

    def grading_while_the_beat_sweeps(**kwargs: Any) -> None:
        clock.advance(seconds=5)
        swept_while_grading.append(attempts_requeue_stuck())
        grade_answers(**kwargs)

    monkeypatch.setattr(services, "_grade_answers", grading_while_the_beat_sweeps)
    assert tasks.grade_attempt_task(*broker[-1]) == "graded"
    assert swept_while_grading == [0]  # taken just now: left to its worker
    attempt.refresh_from_db()
    assert (attempt.status, attempt.requeues) == ("graded", 0)


def test_the_sweep_gives_up_on_an_attempt_whose_worker_dies_each_time(
    quiz, broker, monkeypatch, caplog, admin_client, counted
):
    # Regression (issue 14): an attempt whose grading kills every worker was re-queued by
    # the sweep for ever. After GRADING_MAX_REQUEUES it ends in `error`, costing no attempt.
    from quizzes import tasks

    def killed(**kwargs: Any) -> None:
        raise WorkerKilled

    clock = Clock(monkeypatch)
    quiz.max_attempts = 1
    quiz.save()
    learner = UserFactory.create()
    attempt = submitted(quiz, learner)
    monkeypatch.setattr(services, "_grade_answers", killed)
    for _claim in range(settings.GRADING_MAX_REQUEUES + 1):
        clock.advance(minutes=2)
        assert attempts_requeue_stuck() == 1
        clock.advance(seconds=1)
        with pytest.raises(WorkerKilled):
            tasks.grade_attempt_task(*broker[-1])  # the sweep's re-delivery, taken
    attempt.refresh_from_db()
    assert (attempt.status, attempt.requeues) == ("submitted", settings.GRADING_MAX_REQUEUES)
    clock.advance(minutes=2)
    assert attempts_requeue_stuck() == 0

    assert len(broker) == 1 + settings.GRADING_MAX_REQUEUES + 1
    attempt.refresh_from_db()
    assert attempt.status == "error"
    assert counted(SWEEP_REQUEUED, kind=QUIZ_ATTEMPT) == settings.GRADING_MAX_REQUEUES
    assert counted(GRADED, kind=QUIZ_ATTEMPT, outcome="error") == 1
    assert "never finished" in attempt.error_reason
    started = settings.GRADING_MAX_REQUEUES + 1
    assert f"attempt {attempt.id}: grading was started {started} times" in caplog.text
    changelist = admin_client.get(reverse("admin:quizzes_attempt_changelist")).content.decode()
    assert "never finished" in changelist
    change = reverse("admin:quizzes_attempt_change", args=[attempt.pk])
    # (the Russian admin: the field by its Russian name)
    assert "время взятия на оценку" in admin_client.get(change).content.decode().lower()
    clock.advance(hours=1)
    assert attempts_requeue_stuck() == 0  # left alone after
    assert attempt_start(learner=learner, quiz=quiz, now=T0).number == 2  # not charged
