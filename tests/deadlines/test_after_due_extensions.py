"""Feedback shown "after the due date" waits for the latest due date granted for the quiz
(issue 23, item 2): a learner with an extension never sees it before their own date, and
nobody sees it while someone may still answer on time (they would pass the answers on)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from deadlines.models import CourseGroup
from progress.services import enrollment_create
from quizzes.models import Attempt, Quiz
from quizzes.selectors import attempt_review, quiz_page_for
from teaching.deadlines import extension_grant, group_save
from tests.api.conftest import World, client_for

pytestmark = pytest.mark.django_db

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


@pytest.fixture
def after_due(world: World) -> World:
    """The quiz shows feedback after its due date, an hour ago; both learners' attempts are
    graded; the learner has a day more."""
    for learner in (world.learner, world.other):
        enrollment_create(learner=learner, course=world.course_a)
    Quiz.objects.filter(pk=world.quiz.pk).update(
        feedback_policy="after_due", due_at=timezone.now() - HOUR
    )
    Attempt.objects.filter(quiz=world.quiz).update(
        status=Attempt.Status.GRADED, submitted_at=timezone.now() - 2 * HOUR,
        graded_at=timezone.now() - 2 * HOUR, score=Decimal(1), raw_score=Decimal(1),
        max_score=Decimal(1), percent=Decimal(100), passed=True,
    )  # fmt: skip
    world.quiz.refresh_from_db()
    return world


def result_of(world: World, learner, when) -> bool:
    attempt = Attempt.objects.select_related("quiz__section__part").get(
        quiz=world.quiz, learner=learner
    )
    review = attempt_review(attempt=attempt, now=when)
    return review.show_total and review.show_details


def test_without_extensions_feedback_shows_after_the_due_date(after_due: World):
    world = after_due
    assert result_of(world, world.learner, timezone.now())
    assert result_of(world, world.other, timezone.now())


def test_an_extension_holds_everyones_feedback_until_its_date(after_due: World):
    world = after_due
    # Given the learner's extension on the quiz, a day from now
    extension_grant(
        course=world.course_a, learner=world.learner, granted_by=world.instructor,
        reason="ill", quiz=world.quiz, due_at=timezone.now() + DAY,
    )  # fmt: skip
    now = timezone.now()

    # Then neither sees feedback before it: the learner before their own date, the other
    # learner (whose date has passed) not while the learner may still answer on time
    assert not result_of(world, world.learner, now)
    assert not result_of(world, world.other, now)
    other_api = client_for(world.other).get(f"/api/v1/attempts/{world.other_attempt.pk}/")
    assert other_api.json()["result"] is None
    page = quiz_page_for(learner=world.other, quiz_id=world.quiz.pk, now=now)
    assert page.scores_hidden
    assert page.results_from is not None
    assert page.results_from > now + DAY - HOUR

    # And both see it once the latest date has passed
    later = now + 2 * DAY
    assert result_of(world, world.learner, later)
    assert result_of(world, world.other, later)


def test_a_course_wide_or_group_extension_counts_too(after_due: World):
    world = after_due
    group = group_save(course=world.course_a, name="Поток Б", members=[world.learner])
    extension_grant(
        course=world.course_a, group=group, granted_by=world.instructor, reason="exam week",
        due_at=timezone.now() + DAY,
    )  # fmt: skip
    assert CourseGroup.objects.get().members.get() == world.learner
    assert not result_of(world, world.other, timezone.now())
    client = Client()
    client.force_login(world.other)
    quiz_page = client.get(f"/quizzes/{world.quiz.pk}/").content.decode()
    assert "100%" not in quiz_page


def test_instructors_see_feedback_whatever_the_extensions(after_due: World):
    world = after_due
    extension_grant(
        course=world.course_a, learner=world.learner, granted_by=world.instructor,
        reason="ill", due_at=timezone.now() + DAY,
    )  # fmt: skip
    body = client_for(world.instructor).get(f"/api/v1/attempts/{world.attempt.pk}/").json()
    assert body["result"]["percent"] == "100.00"
