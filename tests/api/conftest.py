"""A small world for the API tests: two courses, their instructors, two learners, an admin.

Course A has a published section with a quiz (answer keys in its spec) and a
published exercise (hidden tests, reference solution); each learner has an
attempt and a submission there. Course B has its own instructor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from grader.models import CodingExercise, Submission
from quizzes.models import Attempt, Question, Quiz
from tests.factories import (
    CourseFactory,
    PartFactory,
    QuestionFactory,
    QuizFactory,
    SectionFactory,
    UserFactory,
    exercise_stored,
)

# Strings that only an answer key, a hidden test or a reference solution contains.
SECRET_MARKERS = ("HIDDEN_TEST_MARKER", "REFERENCE_MARKER")
KEY_FIELDS = {"weight", "weights", "correct", "answer", "answers", "feedback", "regex",
              "accepted", "feedback_true", "feedback_false", "grader_info"}  # fmt: skip


@dataclass
class World:
    course_a: Any
    course_b: Any
    section: Any
    quiz: Quiz
    question: Question
    exercise: CodingExercise
    learner: User
    other: User
    instructor: User
    other_instructor: User
    admin: User
    attempt: Attempt
    other_attempt: Attempt
    submission: Submission
    other_submission: Submission


@pytest.fixture(autouse=True)
def _fresh_throttles() -> Iterator[None]:
    # Throttle counters live in the cache; one test's requests must not throttle the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db: None) -> World:
    course_a = CourseFactory.create(slug="course-a")
    course_b = CourseFactory.create(slug="course-b")
    section = SectionFactory.create(part=PartFactory.create(course=course_a))
    quiz = QuizFactory.create(section=section)
    question = QuestionFactory.create(quiz=quiz)
    exercise = exercise_stored(
        section=section,
        slug="sum",
        title="Sum",
        statement="Add two numbers.",
        language="python",
        starter_files={"solution.py": "def add(a, b):\n    return 0\n"},
        test_files={"test_solution.py": "# HIDDEN_TEST_MARKER\n"},
        example_files={"test_example.py": "# visible example\n"},
        reference_files={"solution.py": "# REFERENCE_MARKER\ndef add(a, b):\n    return a + b\n"},
        is_published=True,
        check_status=CodingExercise.CheckStatus.OK,
    )
    learner = UserFactory.create(username="learner")
    other = UserFactory.create(username="other")
    instructor = UserFactory.create(username="instructor")
    other_instructor = UserFactory.create(username="instructor-b")
    admin = UserFactory.create(username="admin", is_staff=True)
    course_a.instructors.add(instructor)
    course_b.instructors.add(other_instructor)
    now = timezone.now()

    def attempt_of(user: User) -> Attempt:
        return Attempt.objects.create(
            learner=user, quiz=quiz, number=1, seed=7, started_at=now,
        )  # fmt: skip

    def submission_of(user: User) -> Submission:
        return Submission.objects.create(
            learner=user, exercise=exercise, files={"solution.py": f"# code of {user}"},
            status=Submission.Status.GRADED, verdict="failed", score=Decimal("5"),
            results={"version": 3, "status": "fail", "tests": [
                {"name": "test_add", "status": "fail", "test_code": "HIDDEN_TEST_MARKER"}]},
        )  # fmt: skip

    return World(
        course_a=course_a, course_b=course_b, section=section, quiz=quiz, question=question,
        exercise=exercise, learner=learner, other=other, instructor=instructor,
        other_instructor=other_instructor, admin=admin, attempt=attempt_of(learner),
        other_attempt=attempt_of(other), submission=submission_of(learner),
        other_submission=submission_of(other),
    )  # fmt: skip


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


ROLES = ("anonymous", "learner", "other", "instructor", "other_instructor", "admin")


def user_of(world: World, role: str) -> User | None:
    return None if role == "anonymous" else getattr(world, role)


def error_of(response: Any) -> dict[str, Any]:
    """The error body, checked to be in the one shape every API error has."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    assert isinstance(body["error"]["code"], str)
    assert body["error"]["message"]
    return body["error"]


def keys_in(value: Any) -> set[str]:
    """Every dictionary key anywhere inside a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def assert_no_secrets(body: Any) -> None:
    text = str(body)
    for marker in SECRET_MARKERS:
        assert marker not in text
    assert not {"test_files", "reference_files", "support_files", "check_report"} & keys_in(body)
