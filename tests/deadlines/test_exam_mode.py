"""Exam mode (issue 23, item 4): a learner sees "submitted" only, on every channel, until the
results are released by a date or by an instructor (recorded: who, when); instructors see
everything always; progress counts the handed-in work as done, without saying passed or not.

The walk reuses the every-channel test's enumeration: every GET operation of the API's
schema, every page of the site, and the webhooks a learner hears."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from courses.services import section_schedule_set
from deadlines.models import ResultsRelease
from deadlines.selectors import item_results_gate
from grader.models import CodingExercise, Submission
from grader.services import exercise_progress_record, exercise_schedule_set
from progress.models import ItemCompletion, SectionProgress
from progress.services import enrollment_create
from quizzes.authoring import question_write
from quizzes.models import Attempt, Quiz
from quizzes.services import quiz_progress_record
from teaching.deadlines import results_release
from tests.api.conftest import World, client_for
from tests.api.test_every_channel import api_urls, page_urls
from webhooks.models import WebhookEndpoint
from webhooks.payloads import event_payloads

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
# What only the results say: the attempt's percent (41.7), the submission's score (7.77),
# a test's message and output, the program's output, the question's explanation.
RESULT_PATTERNS = [
    r"41[.,]7\b", r"7[.,]77\b", "TEST_MESSAGE_MARKER", "TEST_OUTPUT_MARKER", "STDOUT_MARKER",
    "EXPLANATION_MARKER", "item-state--failed", "item-state--passed", 'data-testid="quiz-score"',
]  # fmt: skip
# In the API and webhooks: keys a held result has empty ("results" of a submission is an
# object; a page of a list has its "results", a list, walked inside).
RESULT_KEYS = {"score", "percent", "passed", "raw_score", "max_score", "tests_passed",
               "tests_total", "result", "stdout", "stderr"}  # fmt: skip


@pytest.fixture
def exam(world: World) -> World:
    """Course A's section in exam mode (its quiz and exercise take it from there), each
    learner's attempt graded and submission failed, their progress recorded."""
    for learner in (world.learner, world.other):
        enrollment_create(learner=learner, course=world.course_a)
    section_schedule_set(section=world.section, values={"results_policy": "on_release"})
    question = world.question
    question.explanation = "EXPLANATION_MARKER"
    question_write(question=question)
    Attempt.objects.filter(pk__in=[world.attempt.pk, world.other_attempt.pk]).update(
        status=Attempt.Status.GRADED, submitted_at=timezone.now(), graded_at=timezone.now(),
        score=Decimal("0.42"), raw_score=Decimal("0.42"), max_score=Decimal(1),
        percent=Decimal("41.70"), passed=False,
    )  # fmt: skip
    results = {"version": 3, "status": "fail", "message": "TEST_MESSAGE_MARKER", "tests": [
        {"name": "test_add", "status": "fail", "message": "TEST_MESSAGE_MARKER",
         "output": "TEST_OUTPUT_MARKER"}]}  # fmt: skip
    Submission.objects.filter(exercise=world.exercise).update(
        score=Decimal("7.77"), raw_score=Decimal("7.77"), tests_passed=1, tests_total=3,
        stdout="STDOUT_MARKER", results=results, graded_at=timezone.now(),
    )  # fmt: skip
    quiz = Quiz.objects.get(pk=world.quiz.pk)
    exercise = CodingExercise.objects.get(pk=world.exercise.pk)
    for learner in (world.learner, world.other):
        quiz_progress_record(learner_id=learner.pk, quiz=quiz)
        exercise_progress_record(learner_id=learner.pk, exercise=exercise)
    return world


def json_results(value: Any, where: str = "") -> list[str]:
    """Each RESULT_KEYS key with something in it, anywhere inside a JSON value."""
    found = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in RESULT_KEYS and inner not in (None, {}, [], ""):
                found.append(f"{where}.{key}={inner!r}")
            if (key == "verdict" and inner) or (
                key == "results" and isinstance(inner, dict) and inner
            ):
                found.append(f"{where}.{key}={inner!r}")
            found += json_results(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for number, inner in enumerate(value):
            found += json_results(inner, f"{where}[{number}]")
    return found


def text_results(text: str) -> list[str]:
    return [pattern for pattern in RESULT_PATTERNS if re.search(pattern, text)]


def api_bodies(world: World, user: Any) -> dict[str, Any]:
    client = client_for(user)
    bodies = {}
    for url in api_urls(world):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200 and response["Content-Type"].startswith("application/json"):
            bodies[url] = response.json()
    return bodies


def page_texts(world: World, user: Any) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    urls = [
        *page_urls(world),
        *(f"/attempts/{a.pk}/result/?fragment=1" for a in (world.attempt, world.other_attempt)),
        *(f"/submissions/{s.pk}/?fragment=1" for s in (world.submission, world.other_submission)),
    ]  # fmt: skip
    texts = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200:
            texts[url] = response.content.decode()
    return texts


def learner_webhook_bodies(world: World) -> list[str]:
    WebhookEndpoint.objects.create(
        owner=world.learner, url="https://hooks.example.org/x", secret="s" * 32,
        events=["attempt.graded", "submission.graded"],
    )  # fmt: skip
    return [
        body
        for event, object_id in [
            ("attempt.graded", world.attempt.pk),
            ("submission.graded", world.submission.pk),
        ]
        for endpoint, _kind, body in event_payloads(event=event, object_id=object_id)
        if endpoint.owner_id == world.learner.pk
    ]


def test_a_learner_sees_submitted_only_on_every_channel_until_the_release(exam: World):
    world = exam
    # Given exam mode on the section, not released
    assert item_results_gate(item=world.quiz, now=timezone.now()).held

    # When the learner walks every API operation, every page and their webhooks
    bodies = api_bodies(world, world.learner)
    pages = page_texts(world, world.learner)
    hooks = learner_webhook_bodies(world)

    # Then nothing of a result shows anywhere
    assert len(bodies) >= 20
    assert len(pages) >= 8
    assert len(hooks) == 2
    # (the courses' progress has a percent: of sections completed, which counts handed-in
    # work in exam mode, passed or not; it says nothing of a result)
    del bodies["/api/v1/progress/courses/"]["results"][0]["percent"]
    leaks = [f"{url}: {found}" for url, body in bodies.items() for found in json_results(body)]
    leaks += [f"{url}: {found}" for url, text in pages.items() for found in text_results(text)]
    leaks += [f"webhook: {found}" for body in hooks for found in json_results(json.loads(body))]
    assert leaks == []
    # but they do see that they handed it in, and their own code
    assert 'data-testid="results-held"' in pages[f"/attempts/{world.attempt.pk}/result/"]
    assert 'data-testid="results-held"' in pages[f"/submissions/{world.submission.pk}/"]
    assert "# code of learner" in pages[f"/submissions/{world.submission.pk}/"]
    submission = bodies[f"/api/v1/submissions/{world.submission.pk}/"]
    assert (submission["status"], submission["files"]) == (
        "submitted", {"solution.py": "# code of learner"},
    )  # fmt: skip
    section_page = next(text for url, text in pages.items() if "/sections/" in url)
    assert section_page.count("item-state--submitted") == 2


def test_instructors_see_every_result_while_it_is_held(exam: World):
    world = exam
    bodies = api_bodies(world, world.instructor)
    attempt = bodies[f"/api/v1/attempts/{world.attempt.pk}/"]
    submission = bodies[f"/api/v1/submissions/{world.submission.pk}/"]
    assert attempt["result"]["percent"] == "41.70"
    assert (submission["score"], submission["verdict"]) == ("7.77", "failed")
    gradebook = page_texts(world, world.instructor)[f"/teach/{world.course_a.slug}/gradebook/"]
    assert re.search(r"41[.,]7", gradebook)


def test_progress_counts_handed_in_work_as_done_and_passing_after_the_release(exam: World):
    world = exam
    # While held: handed in is done (the failed attempt and submission complete the section)
    row = SectionProgress.objects.get(learner=world.learner, section=world.section)
    assert row.completed
    assert ItemCompletion.objects.filter(learner=world.learner, complete=True).count() == 2

    # When the instructor releases both
    results_release(item=world.quiz, released_by=world.instructor)
    results_release(item=world.exercise, released_by=world.instructor)

    # Then passing counts again: neither passed, the section is not complete
    row.refresh_from_db()
    assert not row.completed
    assert not ItemCompletion.objects.filter(learner=world.learner, complete=True).exists()


def test_the_instructor_releases_on_the_teaching_page_and_it_is_recorded(exam: World):
    world = exam
    page = Client()
    page.force_login(world.instructor)
    url = f"/teach/{world.course_a.slug}/results/"
    listed = page.get(url).content.decode()
    assert listed.count('data-testid="exam-item"') == 2

    response = page.post(url, {"kind": "exercise", "item": world.exercise.pk})

    assert response.status_code == 302
    release = ResultsRelease.objects.get()
    assert (release.exercise, release.quiz, release.released_by) == (
        world.exercise, None, world.instructor,
    )  # fmt: skip
    assert release.released_at is not None
    # The learner sees the submission's result now; the quiz's is still held.
    mine = client_for(world.learner).get(f"/api/v1/submissions/{world.submission.pk}/").json()
    assert (mine["score"], mine["verdict"]) == ("7.77", "failed")
    attempt = client_for(world.learner).get(f"/api/v1/attempts/{world.attempt.pk}/").json()
    assert attempt["result"] is None


def test_a_learner_cannot_release(exam: World):
    world = exam
    page = Client()
    page.force_login(world.learner)
    response = page.post(
        f"/teach/{world.course_a.slug}/results/", {"kind": "quiz", "item": world.quiz.pk}
    )
    assert response.status_code in (403, 404)
    api = client_for(world.learner).post(
        f"/api/v1/courses/{world.course_a.pk}/releases/", {"quiz": world.quiz.pk}, format="json"
    )
    assert api.status_code == 403
    assert not ResultsRelease.objects.exists()


def test_the_api_releases_and_lists_releases(exam: World):
    world = exam
    client = client_for(world.instructor)
    url = f"/api/v1/courses/{world.course_a.pk}/releases/"
    response = client.post(url, {"quiz": world.quiz.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["released_by"] == world.instructor.pk
    assert [r["quiz"] for r in client.get(url).json()] == [world.quiz.pk]
    attempt = client_for(world.learner).get(f"/api/v1/attempts/{world.attempt.pk}/").json()
    assert attempt["result"]["percent"] == "41.70"
    # An item not in exam mode is refused, naming why.
    section_schedule_set(section=world.section, values={"results_policy": ""})
    refused = client.post(url, {"exercise": world.exercise.pk}, format="json")
    assert refused.status_code == 400
    other_course = client_for(world.other_instructor).post(
        f"/api/v1/courses/{world.course_b.pk}/releases/", {"quiz": world.quiz.pk}, format="json"
    )
    assert other_course.status_code == 400


def test_results_show_by_themselves_at_the_release_date(exam: World):
    world = exam
    # Given the exercise's own release date, in the past (the section sets the exam mode)
    exercise_schedule_set(
        exercise=world.exercise, values={"results_release_at": timezone.now() - DAY}
    )
    mine = client_for(world.learner).get(f"/api/v1/submissions/{world.submission.pk}/").json()
    assert mine["score"] == "7.77"
    # and a release date still to come holds them, and the page says when
    future = timezone.now() + DAY
    exercise_schedule_set(exercise=world.exercise, values={"results_release_at": future})
    page = Client()
    page.force_login(world.learner)
    text = page.get(f"/submissions/{world.submission.pk}/").content.decode()
    assert 'data-testid="results-held"' in text
    assert not text_results(text)


def test_the_learners_lists_read_the_gate_once_per_item_not_per_row(exam: World):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = exam
    client = client_for(world.learner)

    def queries(url: str) -> int:
        client.get(url)  # (a first request fills caches)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    one = {url: queries(url) for url in ("/api/v1/attempts/", "/api/v1/submissions/")}
    for number in range(2, 6):
        Attempt.objects.create(learner=world.learner, quiz=world.quiz, number=number, seed=1,
                               started_at=timezone.now(), status=Attempt.Status.GRADED,
                               percent=Decimal("41.70"))  # fmt: skip
        Submission.objects.create(learner=world.learner, exercise=world.exercise, files={},
                                  status=Submission.Status.GRADED, verdict="passed")  # fmt: skip
    assert {url: queries(url) for url in one} == one
    listed = client.get("/api/v1/submissions/").json()["results"]
    assert len(listed) == 5
    assert {row["verdict"] for row in listed} == {""}
    attempts = client.get("/api/v1/attempts/").json()["results"]
    assert len(attempts) == 5
    assert {row["result"] is None for row in attempts} == {True}


def test_the_hourly_reconciliation_keeps_exam_mode_and_recounts_after_the_release_date(
    exam: World,
):
    from progress.services import progress_reconcile

    world = exam
    # While held, the reconciliation agrees: handed-in work is done
    assert progress_reconcile().items_fixed == 0
    assert SectionProgress.objects.get(learner=world.learner, section=world.section).completed

    # When the section's release date has passed (no instructor pressed anything)
    section_schedule_set(section=world.section, values={"results_release_at": timezone.now() - DAY})
    fixed = progress_reconcile()

    # Then passing counts again: the four failed items are not complete, nor the section
    assert fixed.items_fixed == 4
    assert not ItemCompletion.objects.filter(complete=True).exists()
    assert not SectionProgress.objects.get(learner=world.learner, section=world.section).completed
