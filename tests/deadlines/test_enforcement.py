"""Dates enforced by the services, by the server's clock: quiz attempts and code submissions
refused after the cut-off, late work penalised when graded and still penalised on a regrade,
a learner's own extension and time limit (x1.5) used, bad input named by field."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from deadlines.models import Extension
from deadlines.selectors import item_schedule
from grader import services as grader_services
from grader.models import CodingExercise, Submission
from grader.regrading import submission_regrade, submission_regrade_apply
from grader.services import ExerciseError, exercise_check, exercise_publish, submission_grade
from progress.services import enrollment_create
from quizzes import services as quiz_services
from quizzes.models import Attempt, Quiz
from quizzes.services import (
    QuizRuleError,
    attempt_grade,
    attempt_regrade,
    attempt_save_answers,
    attempt_start,
    attempt_submit,
    attempts_submit_expired,
)
from teaching.deadlines import extension_grant
from tests.factories import (
    QuestionFactory,
    QuizFactory,
    SectionFactory,
    UserFactory,
    exercise_stored,
)
from tests.grader.test_services import FakeRunner

pytestmark = pytest.mark.django_db

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _in_english() -> Any:
    with translation.override("en"):  # (the site's default language is Russian)
        yield


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    # Grading is called directly below; nothing is handed to a broker.
    monkeypatch.setattr(quiz_services, "attempt_queue_grading", lambda **kw: True)
    monkeypatch.setattr(grader_services, "submission_queue", lambda **kw: True)


def learner_of(course: Any) -> Any:
    learner = UserFactory.create()
    enrollment_create(learner=learner, course=course)
    return learner


def quiz_with_question(**dates: Any) -> Quiz:
    quiz = QuizFactory.create(**dates)
    QuestionFactory.create(quiz=quiz, points=Decimal(10))
    return quiz


def answer_right_and_submit(quiz: Quiz, learner: Any, *, now: Any = None) -> Attempt:
    attempt = attempt_start(learner=learner, quiz=quiz, now=now)
    question = quiz.questions.get()
    attempt_save_answers(attempt=attempt, responses={question.pk: {"choice": "b"}}, now=now)
    return attempt_submit(attempt=attempt, now=now)


# --- quizzes -----------------------------------------------------------------------


def test_a_late_quiz_attempt_is_penalised_per_day_and_keeps_it_on_a_regrade():
    now = timezone.now()
    quiz = quiz_with_question(due_at=now - DAY - HOUR, late_policy="per_day", late_percent=10)
    learner = learner_of(quiz.section.part.course)

    attempt = answer_right_and_submit(quiz, learner)
    attempt_grade(attempt_id=attempt.pk)

    attempt.refresh_from_db()
    assert (attempt.late, attempt.late_penalty) == (True, 20)  # two days begun
    assert attempt.late_seconds >= (DAY + HOUR).total_seconds()
    assert (attempt.raw_score, attempt.score, attempt.percent) == (10, Decimal("8.00"), 80)

    # An extension granted afterwards does not make the attempt on time: it was late when
    # made; the regrade grades the answers again and keeps the penalty.
    extension_grant(course=quiz.section.part.course, learner=learner, granted_by=None,
                    reason="ill", quiz=quiz, due_at=now + DAY)  # fmt: skip
    attempt_regrade(attempt=attempt)
    attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert (attempt.late_penalty, attempt.score) == (20, Decimal("8.00"))


def test_a_quiz_is_refused_after_its_cutoff_unless_the_learner_has_an_extension():
    now = timezone.now()
    quiz = quiz_with_question(due_at=now - 2 * DAY, cutoff_at=now - DAY)
    course = quiz.section.part.course
    learner, other = learner_of(course), learner_of(course)

    with pytest.raises(QuizRuleError) as refused:
        attempt_start(learner=learner, quiz=quiz)
    assert refused.value.code == "past_cutoff"
    assert "cut-off" in str(refused.value)

    extension_grant(
        course=course, learner=learner, granted_by=None, reason="exam clash", due_at=now + DAY
    )  # fmt: skip (the whole course)
    attempt = answer_right_and_submit(quiz, learner)
    assert (attempt.status, attempt.late) == (Attempt.Status.SUBMITTED, False)
    with pytest.raises(QuizRuleError):
        attempt_start(learner=other, quiz=quiz)  # someone else's extension is not theirs


def test_late_not_accepted_closes_an_open_attempt_at_the_due_date():
    now = timezone.now()
    quiz = quiz_with_question(due_at=now + HOUR, late_policy="not_accepted")
    learner = learner_of(quiz.section.part.course)
    attempt = attempt_start(learner=learner, quiz=quiz, now=now)
    assert attempt.deadline == now + HOUR

    with pytest.raises(QuizRuleError) as refused:
        attempt_start(learner=UserFactory.create(), quiz=quiz, now=now + 2 * HOUR)
    assert refused.value.code == "late_not_accepted"
    # The sweep submits the open attempt as of the due date: nothing later counts.
    assert attempts_submit_expired(now=now + 2 * HOUR) == 1
    attempt.refresh_from_db()
    assert (attempt.status, attempt.submitted_at, attempt.late) == ("submitted", now + HOUR, False)


def test_a_timed_quiz_with_a_x1_5_learner_is_submitted_at_their_own_deadline():
    now = timezone.now()
    quiz = quiz_with_question(time_limit=timedelta(minutes=20))
    course = quiz.section.part.course
    usual, accommodated = learner_of(course), learner_of(course)
    extension_grant(course=course, learner=accommodated, granted_by=None, quiz=quiz,
                    reason="accommodation", time_multiplier=Decimal("1.5"))  # fmt: skip
    first = attempt_start(learner=usual, quiz=quiz, now=now)
    second = attempt_start(learner=accommodated, quiz=quiz, now=now)
    assert (first.deadline, second.deadline) == (now + 20 * MINUTE, now + 30 * MINUTE)

    assert attempts_submit_expired(now=now + 21 * MINUTE) == 1
    second.refresh_from_db()
    assert second.status == Attempt.Status.IN_PROGRESS  # still their time
    assert attempts_submit_expired(now=now + 31 * MINUTE) == 1
    second.refresh_from_db()
    assert (second.status, second.submitted_at) == ("submitted", now + 30 * MINUTE)


def test_extra_attempts_from_an_extension():
    quiz = quiz_with_question(max_attempts=1)
    course = quiz.section.part.course
    learner = learner_of(course)
    answer_right_and_submit(quiz, learner)
    with pytest.raises(QuizRuleError):
        attempt_start(learner=learner, quiz=quiz)
    extension_grant(course=course, learner=learner, granted_by=None, quiz=quiz,
                    reason="network failed", extra_attempts=1)  # fmt: skip
    answer_right_and_submit(quiz, learner)
    with pytest.raises(QuizRuleError) as refused:
        attempt_start(learner=learner, quiz=quiz)
    assert refused.value.code == "no_attempts_left"


def test_the_section_part_and_course_give_defaults():
    now = timezone.now()
    quiz = quiz_with_question()
    section = quiz.section
    section.due_at = now + DAY
    section.save()
    course = section.part.course
    course.cutoff_at, course.late_policy, course.late_percent = now + 9 * DAY, "fixed", 30
    course.save()
    schedule = item_schedule(item=Quiz.objects.get(pk=quiz.pk), learner_id=None).schedule
    assert (schedule.due_at, schedule.cutoff_at) == (now + DAY, now + 9 * DAY)
    assert (schedule.late.kind, schedule.late.percent) == ("fixed", 30)


# --- coding exercises ------------------------------------------------------------------


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


def published_exercise(runner: FakeRunner, **dates: Any) -> CodingExercise:
    exercise = exercise_stored(
        section=SectionFactory.create(), slug="ttl", title="Кэш", statement="Сделайте кэш.",
        language="go", starter_files={"cache.go": "package cache // TODO"},
        reference_files={"cache.go": "package cache // SOLVED"},
        test_files={"cache_test.go": "package cache"}, support_files={"go.mod": "module x"},
        points=Decimal(10), **dates,
    )  # fmt: skip
    assert exercise_check(exercise=exercise, runner=runner).ok
    return exercise_publish(exercise=exercise)


SOLVED = {"cache.go": "package cache // SOLVED"}


def test_a_late_submission_is_graded_with_its_penalty_and_a_regrade_keeps_it(runner):
    now = timezone.now()
    exercise = published_exercise(
        runner, due_at=now - 3 * HOUR, late_policy="per_hour", late_percent=5, late_cap=12
    )
    learner = learner_of(exercise.section.part.course)
    submission = grader_services.submission_create(learner=learner, exercise=exercise, files=SOLVED)
    assert submission_grade(submission_id=submission.pk, runner=runner).status == "graded"

    submission.refresh_from_db()
    assert submission.late_penalty == 12  # 4 hours begun x 5%, capped at 12%
    assert (submission.raw_score, submission.score) == (Decimal(10), Decimal("8.80"))

    # The tests change (now worth 20 points): the regrade applies the same penalty.
    exercise.points = Decimal(20)
    grader_services.exercise_write(exercise=exercise)
    regrade = submission_regrade(submission=submission, exercise=exercise, runner=runner)
    assert regrade is not None
    assert regrade.new_score == Decimal("17.60")
    assert submission_regrade_apply(
        submission_id=submission.pk, old_score=regrade.old_score, old_passed=regrade.old_passed,
        detail=regrade.detail(),
    )  # fmt: skip
    submission.refresh_from_db()
    assert (submission.raw_score, submission.score, submission.late_penalty) == (
        Decimal(20),
        Decimal("17.60"),
        12,
    )


def test_a_submission_after_the_cutoff_is_refused_and_nothing_is_stored(runner):
    now = timezone.now()
    exercise = published_exercise(runner, due_at=now - 2 * DAY, cutoff_at=now - DAY)
    learner = learner_of(exercise.section.part.course)
    with pytest.raises(ExerciseError, match="cut-off"):
        grader_services.submission_create(learner=learner, exercise=exercise, files=SOLVED)
    assert not Submission.objects.exists()

    extension_grant(course=exercise.section.part.course, learner=learner, granted_by=None,
                    exercise=exercise, reason="ill", cutoff_at=now + DAY)  # fmt: skip
    submission = grader_services.submission_create(learner=learner, exercise=exercise, files=SOLVED)
    assert submission.late_seconds > 0
    assert submission.late_penalty == 0


def test_an_exercise_not_open_yet_is_refused(runner):
    exercise = published_exercise(runner, opens_at=timezone.now() + DAY)
    with pytest.raises(ExerciseError, match="not open yet"):
        grader_services.submission_create(
            learner=UserFactory.create(), exercise=exercise, files=SOLVED
        )


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"opens_at": timedelta(0), "due_at": -HOUR}, "due_at"),
        ({"due_at": timedelta(0), "cutoff_at": -MINUTE}, "cutoff_at"),
        ({"late_percent": -10}, "late_percent"),
        ({"late_percent": 150}, "late_percent"),
        ({"late_cap": 101}, "late_cap"),
    ],
)
def test_bad_dates_and_penalties_are_named_by_field(values, field):
    now = timezone.now()
    quiz = QuizFactory.create()
    for name, value in values.items():
        setattr(quiz, name, now + value if isinstance(value, timedelta) else value)
    with pytest.raises(ValidationError) as refused:
        quiz.full_clean()
    assert field in refused.value.message_dict


def test_an_extension_for_someone_not_in_the_course_is_refused():
    quiz = QuizFactory.create()
    stranger = UserFactory.create()
    with pytest.raises(ValidationError) as refused:
        extension_grant(course=quiz.section.part.course, learner=stranger, granted_by=None,
                        quiz=quiz, reason="?", due_at=timezone.now() + DAY)  # fmt: skip
    assert "not a learner of this course" in refused.value.message_dict["learner"][0]
    assert not Extension.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"due_at": -DAY}, "due_at"),  # earlier than the quiz's own due date
        ({"due_at": 2 * DAY, "cutoff_at": DAY}, "cutoff_at"),
        ({"reason": " "}, "reason"),
        ({"time_multiplier": Decimal("0.5")}, "time_multiplier"),
        ({}, "due_at"),  # grants nothing
    ],
)
def test_bad_extensions_are_named_by_field(values, field):
    now = timezone.now()
    quiz = QuizFactory.create(due_at=now)
    learner = learner_of(quiz.section.part.course)
    given = {"reason": "ill", **values}
    for name in ("due_at", "cutoff_at"):
        if name in given:
            given[name] = now + given[name]
    with pytest.raises(ValidationError) as refused:
        extension_grant(course=quiz.section.part.course, learner=learner, granted_by=None,
                        quiz=quiz, **given)  # fmt: skip
    assert field in refused.value.message_dict
    assert not Extension.objects.exists()


def test_a_groups_x1_5_is_the_sweeps_deadline_for_its_members_and_their_late_work_too():
    # (issue 23, item 5, with groups: the sweep and lateness use the member's own dates)
    from teaching.deadlines import group_save

    now = timezone.now()
    quiz = quiz_with_question(time_limit=timedelta(minutes=20), due_at=now + 10 * MINUTE)
    course = quiz.section.part.course
    member, outsider = learner_of(course), learner_of(course)
    group = group_save(course=course, name="ПОВЗ", members=[member])
    extension_grant(course=course, group=group, granted_by=None, reason="accommodation",
                    time_multiplier=Decimal("1.5"), due_at=now + DAY)  # fmt: skip
    mine = attempt_start(learner=member, quiz=quiz, now=now)
    theirs = attempt_start(learner=outsider, quiz=quiz, now=now)
    assert mine.deadline == now + 30 * MINUTE
    assert theirs.deadline == now + 20 * MINUTE

    assert attempts_submit_expired(now=now + 31 * MINUTE) == 2
    mine.refresh_from_db()
    theirs.refresh_from_db()
    # The member's due date is a day later: on time; the outsider's passed at +10 minutes.
    assert (mine.submitted_at, mine.late) == (now + 30 * MINUTE, False)
    assert (theirs.submitted_at, theirs.late) == (now + 20 * MINUTE, True)
