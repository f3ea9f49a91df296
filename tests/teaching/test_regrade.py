"""Regrading: a key fixed by an instructor flips exactly the learners it should, a dry run
writes nothing of theirs, and applying writes grades, their history and progress."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from grader.models import Submission
from grader.services import exercise_write
from progress.models import SectionProgress
from quizzes.authoring import question_save
from quizzes.models import Answer, Attempt
from teaching.models import GradeChange, RegradeJob
from teaching.regrade import (
    RegradeError,
    job_summary,
    regrade_apply,
    regrade_apply_step,
    regrade_compute_step,
    regrade_start,
)
from tests.factories import QuestionFactory, QuizFactory, SectionFactory, UserFactory
from tests.grader.test_services import FakeRunner
from tests.progress.test_progress import exercise_in, pass_quiz, solve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """The refusals are matched in English (the site's default language is Russian)."""
    with translation.override("en"):
        yield


RIGHT_IS_C = {
    "choices": [
        {"id": "a", "text": "x", "weight": 0, "feedback": ""},
        {"id": "b", "text": "y", "weight": 0, "feedback": ""},
        {"id": "c", "text": "z", "weight": 100, "feedback": ""},
    ]
}


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The regrade tasks handed to the broker (run here by `run`)."""
    sent: list[str] = []

    def enqueue(task, *args, what: str) -> bool:
        sent.append(task.name)
        return True

    monkeypatch.setattr("teaching.regrade.enqueue", enqueue)
    return sent


def compute(job: RegradeJob, runner=None) -> RegradeJob:
    while regrade_compute_step(job_id=job.pk, runner=runner):
        pass
    job.refresh_from_db()
    return job


def apply(job: RegradeJob, by) -> RegradeJob:
    regrade_apply(job=job, by=by)
    while regrade_apply_step(job_id=job.pk):
        pass
    job.refresh_from_db()
    return job


@pytest.fixture
def course_quiz():
    section = SectionFactory.create()
    quiz = QuizFactory.create(section=section)
    question = QuestionFactory.create(quiz=quiz)  # right: "b"
    instructor = UserFactory.create()
    section.part.course.instructors.add(instructor)
    return quiz, question, instructor


def snapshot():
    return (
        sorted(Attempt.objects.values_list("pk", "score", "percent", "passed")),
        sorted(Answer.objects.values_list("pk", "score", "key_version")),
        sorted(SectionProgress.objects.values_list("learner_id", "items_complete", "completed")),
    )


def test_a_fixed_key_flips_the_right_learners_only_and_the_dry_run_writes_nothing(
    course_quiz, queued, django_capture_on_commit_callbacks
):
    quiz, question, instructor = course_quiz
    right, wrong, other = UserFactory.create(), UserFactory.create(), UserFactory.create()
    pass_quiz(quiz, right, choice="b")
    pass_quiz(quiz, wrong, choice="c")
    pass_quiz(quiz, other, choice="a")
    old_version = question.key_version
    question.spec = RIGHT_IS_C  # the instructor finds "c" was right all along
    question_save(question=question)
    before = snapshot()

    with django_capture_on_commit_callbacks(execute=True):
        job = regrade_start(by=instructor, quiz=quiz, reason="ключ был неверным")
    assert queued == ["teaching.tasks.regrade_compute"]
    job = compute(job)

    assert job.status == RegradeJob.Status.READY
    assert snapshot() == before  # the dry run: nothing of the learners' changed
    changes = {c.learner_id: c for c in job.changes.all()}
    assert set(changes) == {right.pk, wrong.pk}
    assert (changes[right.pk].old_passed, changes[right.pk].new_passed) == (True, False)
    assert (changes[wrong.pk].old_score, changes[wrong.pk].new_score) == (Decimal(0), Decimal(1))
    assert all(c.status == GradeChange.Status.PENDING for c in changes.values())
    summary = job_summary(job)
    assert (summary["total"], summary["changes"], summary["unchanged"]) == (3, 2, 1)
    assert (summary["pass_to_fail"], summary["fail_to_pass"]) == (1, 1)

    with django_capture_on_commit_callbacks(execute=True):
        job = apply(job, by=instructor)

    assert job.status == RegradeJob.Status.APPLIED
    assert job.applied_by == instructor
    assert job.reason == "ключ был неверным"
    passed = dict(Attempt.objects.values_list("learner_id", "passed"))
    assert passed == {right.pk: False, wrong.pk: True, other.pk: False}
    completed = dict(SectionProgress.objects.values_list("learner_id", "completed"))
    assert completed == {right.pk: False, wrong.pk: True, other.pk: False}  # both ways
    history = GradeChange.objects.filter(status=GradeChange.Status.APPLIED)
    assert {(c.learner_id, c.old_score, c.new_score) for c in history} == {
        (right.pk, Decimal(1), Decimal(0)), (wrong.pk, Decimal(0), Decimal(1)),
    }  # fmt: skip
    # every grade in scope now says it was graded against the fixed key, the unchanged too
    versions = set(Answer.objects.values_list("key_version", flat=True))
    assert versions == {question.key_version} != {old_version}


def test_an_edit_after_the_dry_run_makes_it_outdated(course_quiz, queued):
    quiz, question, instructor = course_quiz
    pass_quiz(quiz, UserFactory.create(), choice="b")
    question.spec = RIGHT_IS_C
    question_save(question=question)
    job = compute(regrade_start(by=instructor, quiz=quiz, reason="fix"))
    before = snapshot()
    question.points = Decimal(3)
    question_save(question=question)

    with pytest.raises(RegradeError, match="changed after this dry run"):
        regrade_apply(job=job, by=instructor)

    job.refresh_from_db()
    assert job.status == RegradeJob.Status.OUTDATED
    assert snapshot() == before


def test_an_attempt_graded_again_after_the_dry_run_is_left_alone(course_quiz, queued):
    quiz, question, instructor = course_quiz
    learner = UserFactory.create()
    attempt = pass_quiz(quiz, learner, choice="b")
    question.spec = RIGHT_IS_C
    question_save(question=question)
    job = compute(regrade_start(by=instructor, quiz=quiz, reason="fix"))
    Attempt.objects.filter(pk=attempt.pk).update(score=Decimal("0.50"))  # graded meanwhile

    job = apply(job, by=instructor)

    assert job.changes.get().status == GradeChange.Status.STALE
    assert Attempt.objects.get(pk=attempt.pk).score == Decimal("0.50")


def test_latest_only_and_one_question_scope(course_quiz, queued):
    quiz, question, instructor = course_quiz
    second = QuestionFactory.create(quiz=quiz)
    learner = UserFactory.create()
    first_attempt = pass_quiz(quiz, learner, choice="b")
    last_attempt = pass_quiz(quiz, learner, choice="b")
    question.spec = RIGHT_IS_C
    question_save(question=question)
    second.spec = RIGHT_IS_C
    question_save(question=second)

    job = compute(regrade_start(by=instructor, question=question, reason="q1", latest_only=True))

    change = job.changes.get()
    assert change.attempt_id == last_attempt.pk != first_attempt.pk
    assert (change.old_score, change.new_score) == (Decimal(2), Decimal(1))  # q2 kept its point
    assert job.total == 1


def test_only_the_courses_instructors_regrade(course_quiz, queued):
    quiz, _question, instructor = course_quiz
    with pytest.raises(RegradeError, match="instructors"):
        regrade_start(by=UserFactory.create(), quiz=quiz, reason="x")
    with pytest.raises(RegradeError, match="why"):
        regrade_start(by=instructor, quiz=quiz, reason="  ")
    job = regrade_start(by=instructor, quiz=quiz, reason="x")
    with pytest.raises(RegradeError, match="dry run"):
        regrade_apply(job=job, by=instructor)  # not computed yet
    job = compute(job)
    with pytest.raises(RegradeError, match="instructors"):
        regrade_apply(job=job, by=UserFactory.create())


def test_fixed_tests_regrade_code_submissions(queued, django_capture_on_commit_callbacks):
    section = SectionFactory.create()
    instructor = UserFactory.create()
    section.part.course.instructors.add(instructor)
    exercise = exercise_in(section)
    solver, almost = UserFactory.create(), UserFactory.create()
    solve(exercise, solver, code="SOLVED")
    solve(exercise, almost, code="nearly")
    assert SectionProgress.objects.get(learner=solver).completed
    # the fixed tests: with FakeRunner, code containing "nearly" is now a pass
    exercise.test_files = {"a_test.go": "package a // accepts nearly"}
    exercise_write(exercise=exercise)

    class FixedRunner(FakeRunner):
        def __call__(self, **kwargs):
            files = dict(kwargs["files"])
            if "nearly" in "".join(files.values()):
                kwargs["files"] = {name: "SOLVED" for name in files}
            return super().__call__(**kwargs)

    job = compute(regrade_start(by=instructor, exercise=exercise, reason="тест был строже условия"),
                  runner=FixedRunner())  # fmt: skip
    change = job.changes.get()
    assert (change.learner_id, change.old_passed, change.new_passed) == (almost.pk, False, True)
    assert not SectionProgress.objects.get(learner=almost).completed  # dry run

    with django_capture_on_commit_callbacks(execute=True):
        apply(job, by=instructor)

    assert Submission.objects.get(learner=almost).verdict == "passed"
    assert SectionProgress.objects.get(learner=almost).completed
    assert set(Submission.objects.values_list("tests_version", flat=True)) == {
        exercise.tests_version
    }


def test_the_admin_starts_a_dry_run_and_applies_it(
    client, course_quiz, queued, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import User

    quiz, question, _instructor = course_quiz
    learner = UserFactory.create()
    pass_quiz(quiz, learner, choice="b")
    question.spec = RIGHT_IS_C
    question_save(question=question)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-tests"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/teaching/regradejob/add/",
            {"question": question.pk, "scope": "all", "reason": "из админки"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    job = compute(RegradeJob.objects.get())
    page = client.get(f"/admin/teaching/regradejob/{job.pk}/change/").content.decode()
    assert "pass_to_fail: 1" in page
    assert learner.username in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/teaching/regradejob/", {"action": "apply", "_selected_action": [job.pk]}
        )
    while regrade_apply_step(job_id=job.pk):
        pass
    assert not Attempt.objects.get(learner=learner).passed


# --- review findings: each of these wrote a wrong grade before it was fixed --------------


def test_points_changed_with_the_same_score_still_regrade_the_percent(course_quiz, queued):
    quiz, _question, instructor = course_quiz
    second = QuestionFactory.create(quiz=quiz)
    learner = UserFactory.create()
    attempt = pass_quiz(quiz, learner, choice="b")  # both right: 2 of 2
    Answer.objects.filter(attempt=attempt, question=second).update(score=0)  # (1 of 2)
    Attempt.objects.filter(pk=attempt.pk).update(score=1, percent=50)
    second.points = Decimal(3)
    second.spec = RIGHT_IS_C  # (still wrong for "b")
    question_save(question=second)

    job = apply(compute(regrade_start(by=instructor, quiz=quiz, reason="веса")), instructor)

    attempt.refresh_from_db()
    assert (attempt.score, attempt.max_score, attempt.percent) == (1, 4, 25)
    assert job.changes.get().status == GradeChange.Status.APPLIED


def test_an_answer_graded_by_hand_after_the_dry_run_leaves_the_attempt_alone(course_quiz, queued):
    quiz, question, instructor = course_quiz
    learner = UserFactory.create()
    attempt = pass_quiz(quiz, learner, choice="b")
    question.spec = RIGHT_IS_C
    question_save(question=question)
    job = compute(regrade_start(by=instructor, quiz=quiz, reason="fix"))
    Answer.objects.filter(attempt=attempt).update(graded_by=instructor)  # by hand meanwhile

    apply(job, instructor)

    assert job.changes.get().status == GradeChange.Status.STALE
    assert Answer.objects.get(attempt=attempt).score == 1  # nothing half-written
    assert Attempt.objects.get(pk=attempt.pk).passed


def test_a_pass_score_changed_after_the_dry_run_makes_it_outdated(course_quiz, queued):
    quiz, question, instructor = course_quiz
    pass_quiz(quiz, UserFactory.create(), choice="b")
    question.spec = RIGHT_IS_C
    question_save(question=question)
    job = compute(regrade_start(by=instructor, quiz=quiz, reason="fix"))
    quiz.pass_score = 0
    quiz.save()
    with pytest.raises(RegradeError, match="changed after"):
        regrade_apply(job=job, by=instructor)


def test_an_edit_while_applying_stops_the_job_and_a_second_delivery_keeps_history(
    course_quiz, queued
):
    quiz, question, instructor = course_quiz
    for _ in range(2):
        pass_quiz(quiz, UserFactory.create(), choice="b")
    question.spec = RIGHT_IS_C
    question_save(question=question)
    job = compute(regrade_start(by=instructor, quiz=quiz, reason="fix"))
    regrade_apply(job=job, by=instructor)
    assert regrade_apply_step(job_id=job.pk)  # one batch applied
    applied = set(job.changes.filter(status="applied").values_list("pk", flat=True))
    assert len(applied) == 2
    # a second delivery of the same step finds the grades changed: history stays "applied"
    GradeChange.objects.filter(job=job).update(status="pending")
    regrade_apply_step(job_id=job.pk)
    assert set(job.changes.filter(status="stale").values_list("pk", flat=True)) == applied
    GradeChange.objects.filter(job=job).update(status="applied")
    # and an edit while applying: the job stops as outdated
    job2 = compute(regrade_start(by=instructor, quiz=quiz, reason="again"))
    RegradeJob.objects.filter(pk=job2.pk).update(status="applying")
    question.points = Decimal(5)
    question_save(question=question)
    assert not regrade_apply_step(job_id=job2.pk)
    assert RegradeJob.objects.get(pk=job2.pk).status == RegradeJob.Status.OUTDATED


def test_a_stalled_job_is_queued_again_and_a_broken_step_fails_the_job(
    course_quiz, queued, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from teaching.regrade import regrades_resume_stalled
    from teaching.tasks import regrade_compute_task

    quiz, _question, instructor = course_quiz
    job = regrade_start(by=instructor, quiz=quiz, reason="x")  # its task was never queued
    assert regrades_resume_stalled() == 0  # not stalled yet
    later = timezone.now() + timedelta(minutes=10)
    assert regrades_resume_stalled(now=later) == 1
    assert queued == ["teaching.tasks.regrade_compute"]

    def broken(**kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("teaching.tasks.regrade_compute_step", broken)
    assert regrade_compute_task.apply(args=[job.pk]).get() is False
    job.refresh_from_db()
    assert job.status == RegradeJob.Status.FAILED
    assert "ValueError: a bug" in job.error


def test_code_batches_stop_before_the_tasks_time_runs_out(queued, monkeypatch, settings):
    section = SectionFactory.create()
    instructor = UserFactory.create()
    section.part.course.instructors.add(instructor)
    exercise = exercise_in(section)
    for _ in range(3):
        solve(exercise, UserFactory.create(), code="nearly")
    exercise.wall_seconds = 10
    exercise.test_files = {"a_test.go": "package a // v2"}
    exercise_write(exercise=exercise)
    clock = iter([0, 30, 30, 30])  # the second run would end past 38 - 3 s
    monkeypatch.setattr("teaching.regrade.time.monotonic", lambda: next(clock))
    settings.TASK_SOFT_TIME_LIMIT = 38
    job = regrade_start(by=instructor, exercise=exercise, reason="x")

    assert regrade_compute_step(job_id=job.pk, runner=FakeRunner())

    job.refresh_from_db()
    assert job.computed == 1  # the rest waits for the next task


def test_the_admin_form_says_why_a_regrade_is_refused(client, course_quiz, queued):
    from django.contrib.auth.models import User

    quiz, _question, _instructor = course_quiz
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-tests"))
    response = client.post(
        "/admin/teaching/regradejob/add/", {"quiz": quiz.pk, "scope": "all", "reason": "  "}
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "Укажите причину" in response.content.decode()  # (the admin speaks Russian)
    assert not RegradeJob.objects.exists()
