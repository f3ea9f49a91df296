"""LTI scores on the shared outbox (core.outbox): what the sweep does with a score whose
every try ended before its outcome was stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import timezone

from lti.grades import score_deliveries_send_due
from lti.models import ScoreDelivery
from quizzes.models import Quiz
from tests.lti.lms import LmsServer
from tests.lti.test_grades import graded, learner  # noqa: F401 (learner: a fixture)

pytestmark = pytest.mark.django_db


@override_settings(LTI_SCORE_MAX_ATTEMPTS=2)
def test_a_score_whose_outcome_is_never_stored_is_given_up_not_sent_for_ever(
    lms: LmsServer,
    quiz: Quiz,
    learner: User,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    queued: list[int] = []
    monkeypatch.setattr("lti.grades.score_queue", lambda *, delivery_id: queued.append(delivery_id))
    graded(quiz, learner, "b")
    delivery = ScoreDelivery.objects.get()
    claimed_at = timezone.now()
    later = claimed_at + timedelta(minutes=5)

    # Its worker died while sending, once: sent again.
    ScoreDelivery.objects.filter(pk=delivery.pk).update(
        status=ScoreDelivery.Status.SENDING, claimed_at=claimed_at, attempts=1
    )
    assert score_deliveries_send_due(now=later) == 1
    assert queued == [delivery.pk]
    # ... and again on its last try: given up, with LTI's reason, and not queued.
    ScoreDelivery.objects.filter(pk=delivery.pk).update(
        status=ScoreDelivery.Status.SENDING, claimed_at=claimed_at, attempts=2
    )
    assert score_deliveries_send_due(now=later) == 0
    assert queued == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.claimed_at, delivery.next_attempt_at) == (
        ScoreDelivery.Status.FAILED, None, None,
    )  # fmt: skip
    assert delivery.error == (
        "sent the allowed number of times and its outcome never stored; given up"
    )
    assert f"LTI score {delivery.pk}: sent the allowed number" in caplog.text
    assert lms.scores == []
