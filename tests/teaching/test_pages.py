"""The instructor pages: reached from the course page by its instructors only (404 for
anyone else), working without JavaScript, with a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from grader.models import Submission
from grader.selectors import SubmissionView
from quizzes.authoring import question_save
from quizzes.selectors import AttemptView
from teaching.gradebook import learner_section_work
from teaching.models import GradeChange, RegradeJob
from teaching.regrade import regrade_apply_step, regrade_compute_step, regrade_start
from tests.factories import (
    QuestionFactory,
    QuizFactory,
    SectionFactory,
    UserFactory,
    exercise_stored,
)
from tests.progress.test_progress import exercise_in, pass_quiz, solve
from tests.teaching.test_regrade import RIGHT_IS_C
from tests.teaching.test_similarity import DISGUISED, INDEPENDENT, ORIGINAL, STARTER

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_world(monkeypatch):
    monkeypatch.setattr("teaching.regrade.enqueue", lambda task, *args, what: True)
    section = SectionFactory.create(number="4.2", title="Кэширование")
    course = section.part.course
    instructor = UserFactory.create(username="teacher")
    course.instructors.add(instructor)
    quiz = QuizFactory.create(section=section, title="Кэш")
    question = QuestionFactory.create(quiz=quiz, text="Что такое TTL?")
    exercise = exercise_in(section)
    learners = [UserFactory.create(username=f"learner{i}") for i in range(3)]
    for learner, choice in zip(learners, "bba", strict=True):
        pass_quiz(quiz, learner, choice=choice)
    solve(exercise, learners[0])
    return course, section, quiz, question, exercise, instructor, learners


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages(course, section, quiz, exercise, learner) -> list[str]:
    base = f"/teach/{course.slug}/"
    return [
        base, base + "gradebook/", f"{base}learners/{learner.pk}/sections/{section.pk}/",
        f"{base}analysis/quizzes/{quiz.pk}/", f"{base}analysis/exercises/{exercise.pk}/",
        base + "regrades/", f"{base}similarity/exercises/{exercise.pk}/", base + "grading/",
        base + "import/",
    ]  # fmt: skip


def test_only_the_courses_instructors_see_the_pages(course_world):
    course, section, quiz, _question, exercise, instructor, learners = course_world
    other_instructor = UserFactory.create()
    SectionFactory.create().part.course.instructors.add(other_instructor)
    urls = pages(course, section, quiz, exercise, learners[0])
    for url in urls:
        assert client_of(instructor).get(url).status_code == 200, url
        assert client_of(learners[0]).get(url).status_code == 404, url
        assert client_of(other_instructor).get(url).status_code == 404, url
        assert Client().get(url).status_code == 302, url  # to the login page
    course_page = client_of(instructor).get(course.get_absolute_url()).content.decode()
    assert f'href="/teach/{course.slug}/"' in course_page
    assert "/teach/" not in client_of(learners[0]).get(course.get_absolute_url()).content.decode()


def test_the_gradebook_filters_sorts_searches_and_links_each_cell(course_world):
    course, section, _quiz, _question, _exercise, instructor, learners = course_world
    api = client_of(instructor)

    html = api.get(f"/teach/{course.slug}/gradebook/").content.decode()
    assert all(learner.username in html for learner in learners)
    assert f"/teach/{course.slug}/learners/{learners[0].pk}/sections/{section.pk}/" in html

    found = api.get(f"/teach/{course.slug}/gradebook/?q=learner1").content.decode()
    assert "learner1" in found
    assert "learner0" not in found
    # learner0 passed the quiz and solved the exercise: the only one done with 4.2
    done = api.get(f"/teach/{course.slug}/gradebook/?section={section.pk}&completed=yes")
    assert "learner0" in done.content.decode()
    assert "learner1" not in done.content.decode()
    behind = api.get(f"/teach/{course.slug}/gradebook/?section={section.pk}&completed=no")
    assert "learner0" not in behind.content.decode()
    assert "learner1" in behind.content.decode()
    top = api.get(f"/teach/{course.slug}/gradebook/?sort=-name").content.decode()
    assert top.index("learner2") < top.index("learner0")
    work = api.get(f"/teach/{course.slug}/learners/{learners[0].pk}/sections/{section.pk}/")
    assert "Что такое TTL?" in work.content.decode()
    assert "SOLVED" in work.content.decode()  # the submitted code


def test_every_page_reads_the_same_queries_for_any_amount_of_work(course_world):
    """Every instructor page and list, read with one of each thing and with many: learners,
    their attempts and submissions, quizzes, questions, exercises, regrades and their changes.
    (A query per row would show as a count that grows.)"""
    course, section, quiz, question, exercise, instructor, learners = course_world
    api = client_of(instructor)
    question.spec = RIGHT_IS_C
    question_save(question=question)
    job = regrade_start(by=instructor, reason="тест", quiz=quiz)
    while regrade_compute_step(job_id=job.pk):
        pass
    assert GradeChange.objects.filter(job=job).count() == 2  # learner0 and learner1: b
    second = solve(exercise, learners[1], code="other")
    first = Submission.objects.filter(exercise=exercise, learner=learners[0]).get()
    base = f"/teach/{course.slug}/"
    urls = [
        *pages(course, section, quiz, exercise, learners[0]),
        f"{base}regrades/{job.pk}/",
        f"{base}similarity/exercises/{exercise.pk}/pairs/{first.pk}/{second.pk}/",
        f"{base}quizzes/{quiz.pk}/questions/",
        f"{base}quizzes/{quiz.pk}/questions/{question.pk}/",
        f"{base}quizzes/{quiz.pk}/questions/new/?type=numeric",
        f"{base}export/quizzes/{quiz.pk}.gift",
        f"{base}export/parts/{section.part.number}/README.md",
    ]

    def queries() -> dict[str, int]:
        counts = {}
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert api.get(url).status_code == 200, url
            counts[url] = len(captured)
        return counts

    queries()  # (warm: sessions, caches)
    few = queries()
    for i in range(20):
        more = UserFactory.create(username=f"more{i}")
        pass_quiz(quiz, more)
        solve(exercise, more, code="nope")
    pass_quiz(quiz, learners[0])  # more attempts and submissions of the learner shown
    solve(exercise, learners[0], code="again")
    for i in range(5):  # more items in the course, more questions in the quiz
        other = QuizFactory.create(section=section, title=f"Ещё {i}")
        QuestionFactory.create(quiz=other)
        QuestionFactory.create(quiz=quiz, title=f"Вопрос {i}")
        exercise_stored(
            section=SectionFactory.create(part=section.part, number=f"4.{i + 3}"),
            slug=f"more-{i}", title=f"Ещё {i}", language="go", test_files={"a_test.go": "x"},
        )  # fmt: skip
        regrade_start(by=instructor, reason=f"ещё {i}", quiz=other)
    question.spec = QuestionFactory.spec.function()  # (b is right again: everyone changes)
    question_save(question=question)
    bigger = regrade_start(by=instructor, reason="назад", quiz=quiz)
    while regrade_compute_step(job_id=bigger.pk):
        pass
    assert GradeChange.objects.filter(job=bigger).count() > 20
    urls[urls.index(f"{base}regrades/{job.pk}/")] = f"{base}regrades/{bigger.pk}/"
    assert list(queries().values()) == list(few.values())


def test_item_analysis_shows_the_numbers_and_charts(course_world):
    course, _section, quiz, _question, exercise, instructor, _learners = course_world
    api = client_of(instructor)
    html = api.get(f"/teach/{course.slug}/analysis/quizzes/{quiz.pk}/").content.decode()
    assert "<svg" in html
    assert 'role="img"' in html
    assert "66,7" in html  # facility: 2 of 3 right (a Russian decimal comma)
    page = api.get(f"/teach/{course.slug}/analysis/exercises/{exercise.pk}/").content.decode()
    assert "<svg" in page


def test_an_instructor_fixes_a_key_dry_runs_and_applies_from_the_pages(course_world):
    course, section, _quiz, question, _exercise, instructor, learners = course_world
    question.spec = RIGHT_IS_C
    question_save(question=question)
    api = client_of(instructor)

    started = api.post(
        f"/teach/{course.slug}/regrades/new/",
        {"target": f"question:{question.pk}", "scope": "all", "reason": "ключ"},
    )
    job = RegradeJob.objects.get()
    assert started.status_code == 302
    assert started["Location"] == f"/teach/{course.slug}/regrades/{job.pk}/"
    assert 'http-equiv="refresh"' in api.get(started["Location"]).content.decode()
    while regrade_compute_step(job_id=job.pk):
        pass
    page = api.get(started["Location"]).content.decode()
    assert "learner0" in page
    assert "learner1" in page
    assert "learner2" not in page  # chose "a": wrong under both keys

    api.post(started["Location"])
    while regrade_apply_step(job_id=job.pk):
        pass
    gradebook = api.get(f"/teach/{course.slug}/gradebook/").content.decode()
    assert "gradebook__cell--done" not in gradebook  # learner0 fails the quiz now
    work = api.get(f"/teach/{course.slug}/learners/{learners[0].pk}/sections/{section.pk}/")
    assert "ключ" in work.content.decode()  # the grade's history: why
    # ... read from the read model, which holds no rows: the template only renders it
    record = learner_section_work(course=course, learner_id=learners[0].pk, section_id=section.pk)
    (attempt,) = record.attempts
    assert isinstance(attempt.view, AttemptView)
    assert attempt.view.result is not None
    assert attempt.view.result.passed is False
    assert [(line.by, line.reason, line.old_score, line.new_score) for line in attempt.history] == [
        ("teacher", "ключ", Decimal("1.00"), Decimal("0.00"))
    ]
    (submission,) = record.submissions
    assert isinstance(submission.view, SubmissionView)
    assert submission.view.files  # the code, as its instructors see it
    assert submission.history == []
    assert record.learner == "learner0"


def test_the_learner_page_of_another_courses_section_is_not_found(course_world):
    course, section, *_rest, instructor, learners = course_world
    elsewhere = SectionFactory.create()
    url = f"/teach/{course.slug}/learners/{learners[0].pk}/sections/{elsewhere.pk}/"
    assert client_of(instructor).get(url).status_code == 404
    url = f"/teach/{course.slug}/learners/999999/sections/{section.pk}/"
    assert client_of(instructor).get(url).status_code == 404


def test_an_unknown_target_is_not_found(course_world):
    course, *_rest, instructor, _learners = course_world
    other_quiz = QuizFactory.create()
    response = client_of(instructor).post(
        f"/teach/{course.slug}/regrades/new/",
        {"target": f"quiz:{other_quiz.pk}", "scope": "all", "reason": "x"},
    )
    assert response.status_code == 404
    assert not RegradeJob.objects.exists()


def test_similar_solutions_are_listed_and_compared_side_by_side(course_world):
    course, section, _quiz, _question, _exercise, instructor, learners = course_world

    exercise = exercise_stored(
        section=section, slug="bucket", title="Бакет", statement="…", language="python",
        starter_files={"bucket.py": STARTER}, test_files={"test_bucket.py": "x"},
        reference_files={"bucket.py": ORIGINAL}, is_published=True, check_status="ok",
    )  # fmt: skip
    for learner, code in zip(learners, [ORIGINAL, DISGUISED, INDEPENDENT], strict=True):
        Submission.objects.create(
            learner=learner, exercise=exercise, status="graded", verdict="passed", score=10,
            files={"bucket.py": code},
        )  # fmt: skip
    api = client_of(instructor)

    listing = api.get(f"/teach/{course.slug}/similarity/exercises/{exercise.pk}/").content.decode()
    assert "learner0 — learner1" in listing
    assert "learner2" not in listing
    a, b = Submission.objects.filter(exercise=exercise).order_by("id")[:2]
    from django.core.cache import cache

    cache.clear()  # the pair page opened first, from a bookmark: the same score as the list
    pair = api.get(f"/teach/{course.slug}/similarity/exercises/{exercise.pk}/pairs/{a.pk}/{b.pk}/")
    assert pair.status_code == 200
    assert "100%" in pair.content.decode()
    assert pair.content.decode().count("<mark>") >= 2
    assert "self.left -= 1" in pair.content.decode()
