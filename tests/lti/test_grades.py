"""Grades back to the test LMS (AGS): recorded with the grading, posted with a token from our
signed client assertion, retried with back-off, idempotent, ordered, re-sendable."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from deadlines.models import ResultsPolicy
from lti.grades import score_deliveries_send_due, score_resend, score_send, scores_url
from lti.keys import tool_jwks
from lti.models import Identity, Platform, ScoreDelivery
from quizzes.models import Attempt, Quiz
from quizzes.services import attempt_grade, attempt_regrade, attempt_save_answers, attempt_start
from quizzes.services import attempt_submit as submit
from teaching.deadlines import results_release
from tests.factories import UserFactory
from tests.lti.conftest import launch_as, login, quiz_url
from tests.lti.lms import LmsServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(client: Client, lms: LmsServer, platform: Platform, quiz: Quiz) -> User:
    """A learner who came to the quiz from the LMS (a real launch)."""
    launch_as(client, lms, quiz, sub="student-7")
    return Identity.objects.get(sub="student-7").user


def graded(quiz: Quiz, learner: User, choice: str) -> Attempt:
    question = quiz.questions.get()
    attempt = attempt_start(learner=learner, quiz=quiz)
    attempt_save_answers(attempt=attempt, responses={question.pk: {"choice": choice}})
    submit(attempt=attempt)
    attempt_grade(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.GRADED
    return attempt


def test_a_graded_attempt_reaches_the_lms_line_item(lms: LmsServer, quiz: Quiz, learner: User):
    graded(quiz, learner, "b")

    delivery = ScoreDelivery.objects.get()
    # The quiz's one question is worth 1 point: 100 % of it.
    assert (delivery.score_given, delivery.score_maximum) == (Decimal(1), Decimal(1))
    outcome = score_send(delivery_id=delivery.pk)

    assert outcome.status == ScoreDelivery.Status.SUCCEEDED
    (score,) = lms.scores
    assert score["lineitem"] == "/ags/course-101/lineitems/link-1"
    assert score["userId"] == "student-7"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (1.0, 1.0)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert score["timestamp"] == delivery.graded_at.isoformat(timespec="milliseconds")
    assert lms.score_headers[0]["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    delivery.refresh_from_db()
    assert (delivery.response_code, delivery.attempts) == (200, 1)
    assert delivery.delivered_at is not None

    # Sent once: a second run of the task posts nothing (idempotent).
    assert score_send(delivery_id=delivery.pk).status == ScoreDelivery.Status.SUCCEEDED
    assert len(lms.scores) == 1


def test_the_access_token_is_cached_until_it_expires(lms: LmsServer, quiz: Quiz, learner: User):
    graded(quiz, learner, "a")
    score_send(delivery_id=ScoreDelivery.objects.get().pk)
    graded(quiz, learner, "b")
    second = ScoreDelivery.objects.order_by("graded_at").last()
    assert second is not None
    score_send(delivery_id=second.pk)
    assert lms.token_requests == 1
    assert [s["scoreGiven"] for s in lms.scores] == [0.0, 1.0]


def test_a_token_the_lms_revoked_is_fetched_again(lms: LmsServer, quiz: Quiz, learner: User):
    graded(quiz, learner, "b")
    score_send(delivery_id=ScoreDelivery.objects.get().pk)
    lms.tokens.clear()  # the platform forgot every token it gave
    graded(quiz, learner, "b")
    newest = ScoreDelivery.objects.order_by("-graded_at").first()
    assert newest is not None
    assert score_send(delivery_id=newest.pk).status == ScoreDelivery.Status.SUCCEEDED
    assert lms.token_requests == 2


def test_a_failing_lms_is_retried_with_back_off(
    lms: LmsServer, quiz: Quiz, learner: User, settings
):
    settings.LTI_SCORE_RETRY_BASE_SECONDS = 30
    graded(quiz, learner, "b")
    delivery = ScoreDelivery.objects.get()
    lms.failures["scores"] = [503, 500]
    now = timezone.now()

    first = score_send(delivery_id=delivery.pk, now=now)
    assert (first.status, first.retry_in) == (ScoreDelivery.Status.RETRYING, 30.0)
    # Not due yet: nothing is sent.
    assert score_send(delivery_id=delivery.pk, now=now + timedelta(seconds=10)).retry_in == 20.0
    second = score_send(delivery_id=delivery.pk, now=now + timedelta(seconds=31))
    assert (second.status, second.retry_in) == (ScoreDelivery.Status.RETRYING, 60.0)
    delivery.refresh_from_db()
    assert delivery.response_code == 500
    assert "HTTP 500" in delivery.error
    third = score_send(delivery_id=delivery.pk, now=now + timedelta(seconds=95))
    assert third.status == ScoreDelivery.Status.SUCCEEDED
    assert len(lms.scores) == 1


def test_given_up_after_the_allowed_tries_and_sent_again_on_request(
    lms: LmsServer, quiz: Quiz, learner: User, settings
):
    settings.LTI_SCORE_MAX_ATTEMPTS = 2
    graded(quiz, learner, "b")
    delivery = ScoreDelivery.objects.get()
    lms.failures["scores"] = [500, 500]
    now = timezone.now()
    score_send(delivery_id=delivery.pk, now=now)
    last = score_send(delivery_id=delivery.pk, now=now + timedelta(hours=1))
    assert last.status == ScoreDelivery.Status.FAILED
    assert lms.scores == []

    again = score_resend(delivery=delivery)
    assert (again.resend_of, again.score_given, again.graded_at) == (
        delivery,
        delivery.score_given,
        delivery.graded_at,
    )
    assert score_send(delivery_id=again.pk).status == ScoreDelivery.Status.SUCCEEDED
    assert len(lms.scores) == 1


def test_an_older_score_never_overwrites_a_newer_one(lms: LmsServer, quiz: Quiz, learner: User):
    Quiz.objects.filter(pk=quiz.pk).update(score_policy=Quiz.ScorePolicy.LAST)
    quiz.refresh_from_db()
    graded(quiz, learner, "b")  # 100
    older = ScoreDelivery.objects.get()
    graded(quiz, learner, "a")  # 0, the last attempt's: the learner's standing now
    newer = ScoreDelivery.objects.exclude(pk=older.pk).get()
    assert newer.graded_at > older.graded_at
    assert newer.score_given == Decimal(0)

    # The newer one goes first (the older one's worker was slow): the older is superseded.
    assert score_send(delivery_id=newer.pk).status == ScoreDelivery.Status.SUCCEEDED
    assert score_send(delivery_id=older.pk).status == ScoreDelivery.Status.SUPERSEDED
    assert [s["scoreGiven"] for s in lms.scores] == [0.0]
    # A re-send of the superseded one is superseded as well.
    assert score_send(delivery_id=score_resend(delivery=older).pk).status == "superseded"


def test_a_score_waits_while_an_earlier_one_is_in_flight(lms: LmsServer, quiz: Quiz, learner: User):
    graded(quiz, learner, "a")
    graded(quiz, learner, "b")
    first, second = ScoreDelivery.objects.order_by("graded_at")
    ScoreDelivery.objects.filter(pk=first.pk).update(
        status=ScoreDelivery.Status.SENDING, claimed_at=timezone.now()
    )
    outcome = score_send(delivery_id=second.pk)
    assert outcome.status == ScoreDelivery.Status.PENDING
    assert outcome.retry_in is not None
    assert lms.scores == []


def test_the_sweep_queues_due_and_lost_deliveries(
    lms: LmsServer, quiz: Quiz, learner: User, monkeypatch: pytest.MonkeyPatch
):
    queued: list[int] = []
    monkeypatch.setattr("lti.grades.score_queue", lambda *, delivery_id: queued.append(delivery_id))
    graded(quiz, learner, "b")
    delivery = ScoreDelivery.objects.get()
    assert score_deliveries_send_due() == 0  # pending, and just made: its own task has it
    later = timezone.now() + timedelta(minutes=5)
    assert score_deliveries_send_due(now=later) == 1
    ScoreDelivery.objects.filter(pk=delivery.pk).update(
        status=ScoreDelivery.Status.SENDING, claimed_at=timezone.now()
    )
    assert score_deliveries_send_due(now=later) == 1  # its worker died while sending
    delivery.refresh_from_db()
    assert delivery.status == ScoreDelivery.Status.RETRYING
    assert queued == [delivery.pk, delivery.pk]


def test_the_grading_queues_the_delivery_once_it_commits(
    lms: LmsServer, quiz: Quiz, learner: User, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    queued: list[int] = []
    monkeypatch.setattr("lti.grades.score_queue", lambda *, delivery_id: queued.append(delivery_id))
    with django_capture_on_commit_callbacks(execute=True):
        graded(quiz, learner, "b")
    assert queued == [ScoreDelivery.objects.get().pk]


def test_learners_who_never_came_from_an_lms_make_no_delivery(
    lms: LmsServer, quiz: Quiz, learner: User
):
    graded(quiz, UserFactory.create(username="local"), "b")
    assert not ScoreDelivery.objects.exists()


def test_the_scores_url_keeps_the_line_items_query():
    assert scores_url("https://lms/ags/items/5?type=1") == "https://lms/ags/items/5/scores?type=1"
    assert scores_url("https://lms/ags/items/5/") == "https://lms/ags/items/5/scores"


def test_a_regrade_sends_the_score_again(lms: LmsServer, quiz: Quiz, learner: User):
    attempt = graded(quiz, learner, "b")
    attempt_regrade(attempt=attempt)
    attempt_grade(attempt_id=attempt.pk)
    assert ScoreDelivery.objects.count() == 2


def test_an_exercise_sends_its_best_score_out_of_its_points(
    lms: LmsServer, quiz: Quiz, learner: User
):
    from grader.models import CodingExercise, Submission
    from lti.grades import score_event_record
    from lti.models import ResourceLink
    from tests.factories import exercise_stored

    exercise = exercise_stored(
        section=quiz.section, slug="sum", title="Sum", statement="Add.", language="go",
        points=Decimal("20"), is_published=True, check_status=CodingExercise.CheckStatus.OK,
    )  # fmt: skip
    link = ResourceLink.objects.get()
    ResourceLink.objects.create(
        context=link.context, resource_link_id="link-2", exercise=exercise,
        lineitem_url=lms.url("/ags/course-101/lineitems/link-2"),
    )  # fmt: skip
    for score in ("15", "12"):
        submission = Submission.objects.create(
            learner=learner, exercise=exercise, files={"main.go": "package main"},
            status=Submission.Status.GRADED, verdict="failed", score=Decimal(score),
        )  # fmt: skip
        score_event_record("submission.graded", submission.pk)
    delivery = ScoreDelivery.objects.filter(link__exercise=exercise).order_by("graded_at").last()
    assert delivery is not None
    assert (delivery.score_given, delivery.score_maximum) == (Decimal("15"), Decimal("20"))
    assert score_send(delivery_id=delivery.pk).status == ScoreDelivery.Status.SUCCEEDED
    assert lms.scores[-1]["lineitem"] == "/ags/course-101/lineitems/link-2"


def test_instructors_see_the_delivery_log_and_send_again(
    lms: LmsServer, quiz: Quiz, learner: User, platform: Platform
):
    graded(quiz, learner, "b")
    delivery = ScoreDelivery.objects.get()
    ScoreDelivery.objects.filter(pk=delivery.pk).update(
        status=ScoreDelivery.Status.FAILED, error="HTTP 500: the LMS is down"
    )
    course = platform.course
    instructor = UserFactory.create(username="teacher")
    course.instructors.add(instructor)
    teacher = Client()
    teacher.force_login(instructor)

    page = teacher.get(f"/teach/{course.slug}/lti/scores/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-status="failed"' in body
    assert "HTTP 500: the LMS is down" in body
    resent = teacher.post(f"/teach/{course.slug}/lti/scores/{delivery.pk}/resend/")
    assert resent.status_code == 302
    assert ScoreDelivery.objects.filter(resend_of=delivery).count() == 1

    # Not for a learner, nor for an instructor of another course.
    learner_client = Client()
    learner_client.force_login(learner)
    assert learner_client.get(f"/teach/{course.slug}/lti/scores/").status_code == 404
    stranger = Client()
    stranger.force_login(UserFactory.create(username="other-teacher"))
    assert (
        stranger.post(f"/teach/{course.slug}/lti/scores/{delivery.pk}/resend/").status_code == 404
    )
    assert ScoreDelivery.objects.filter(resend_of=delivery).count() == 1


def test_a_link_without_a_line_item_gets_one_made_once(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    from lti import claims
    from lti.models import ResourceLink

    # A link added by hand in the LMS: the launch names the course's line items, no line item.
    launched = []
    for sub in ("ann", "bob"):
        browser = Client()
        started = login(browser, lms)
        ags: dict[str, Any] = {
            claims.AGS_ENDPOINT: {
                "scope": [claims.SCOPE_LINEITEM, claims.SCOPE_SCORE],
                "lineitems": lms.url("/ags/course-101/lineitems"),
            }
        }
        token = lms.id_token(nonce=started.nonce, sub=sub, target_link_uri=quiz_url(quiz), **ags)
        response = browser.post("/lti/launch/", {"id_token": token, "state": started.state})
        assert response.status_code == 302
        launched.append(Identity.objects.get(sub=sub).user)
    lms.tool_jwks = tool_jwks()
    assert ResourceLink.objects.get().lineitem_url == ""

    for user in launched:
        graded(quiz, user, "b")
    for delivery in ScoreDelivery.objects.order_by("pk"):
        assert score_send(delivery_id=delivery.pk).status == ScoreDelivery.Status.SUCCEEDED

    (item,) = lms.lineitems.values()
    assert (item["scoreMaximum"], item["resourceLinkId"]) == (1.0, "link-1")
    assert item["resourceId"] == f"quiz:{quiz.pk}"
    link = ResourceLink.objects.get()
    assert link.lineitem_url == item["id"]
    assert [s["lineitem"] for s in lms.scores] == [item["id"].removeprefix(lms.base_url)] * 2
    assert [s["userId"] for s in lms.scores] == ["ann", "bob"]


def test_a_score_of_an_exam_mode_quiz_waits_for_the_release(
    lms: LmsServer, quiz: Quiz, learner: User
):
    # Regression: the LMS's gradebook showed the learner the score of a quiz whose results
    # were held ("submitted" only on our pages) the moment it was graded.
    Quiz.objects.filter(pk=quiz.pk).update(results_policy=ResultsPolicy.ON_RELEASE)
    quiz.refresh_from_db()
    graded(quiz, learner, "b")
    delivery = ScoreDelivery.objects.get()

    assert score_send(delivery_id=delivery.pk).status == ScoreDelivery.Status.HELD
    assert score_deliveries_send_due() == 0  # still held: nothing queued
    assert lms.scores == []

    results_release(item=quiz, released_by=None)
    assert score_deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == ScoreDelivery.Status.PENDING
    assert score_send(delivery_id=delivery.pk).status == ScoreDelivery.Status.SUCCEEDED
    ((score,),) = [lms.scores]
    assert score["scoreGiven"] == 1.0


def test_a_held_score_goes_out_at_its_release_date(lms: LmsServer, quiz: Quiz, learner: User):
    release_at = timezone.now() + timedelta(hours=2)
    Quiz.objects.filter(pk=quiz.pk).update(
        results_policy=ResultsPolicy.ON_RELEASE, results_release_at=release_at
    )
    quiz.refresh_from_db()
    graded(quiz, learner, "b")
    delivery = ScoreDelivery.objects.get()
    assert score_send(delivery_id=delivery.pk).status == ScoreDelivery.Status.HELD

    assert score_deliveries_send_due(now=release_at - timedelta(minutes=1)) == 0
    assert score_deliveries_send_due(now=release_at + timedelta(minutes=1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == ScoreDelivery.Status.PENDING
