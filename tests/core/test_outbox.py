"""core.outbox: the claim, back-off, outcome and sweep that webhook deliveries and LTI score
deliveries share, tried on webhook delivery rows (LTI's own rules: tests/lti)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from core.outbox import (
    OutboxDelivery,
    SendOutcome,
    abandoned_requeue,
    claim,
    due,
    outcome_record,
    retry_delay,
)
from lti.models import ScoreDelivery
from tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create


@pytest.fixture
def endpoint(db: None) -> WebhookEndpoint:
    return endpoint_create(
        owner=UserFactory.create(), url="http://hooks.example.test/x", secret="s3cret",
        events=["attempt.graded"],
    )  # fmt: skip


def row(endpoint: WebhookEndpoint, **fields: Any) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event="attempt.graded", body="{}", **fields
    )


@pytest.mark.parametrize("model", [WebhookDelivery, ScoreDelivery])
def test_every_outbox_model_has_the_states_the_shared_code_writes(model: Any) -> None:
    # LTI declares its status again (two states more): the shared code writes the base's.
    assert set(OutboxDelivery.Status.values) <= set(model.Status.values)
    assert {value for value, _label in model._meta.get_field("status").choices} == set(
        model.Status.values
    )


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(0, 10.0), (1, 10.0), (2, 20.0), (3, 40.0), (8, 1280.0)]
)
def test_the_back_off_doubles_from_its_base(attempts: int, seconds: float) -> None:
    assert retry_delay(base_seconds=10, attempts=attempts) == seconds


@pytest.mark.parametrize(
    ("ok", "attempts", "give_up", "status", "retry_in"),
    [
        (True, 1, False, "succeeded", None),
        (True, 3, True, "succeeded", None),  # (a success is kept, whatever came after)
        (False, 1, False, "retrying", 10.0),
        (False, 2, False, "retrying", 20.0),
        (False, 3, False, "failed", None),  # its last try
        (False, 1, True, "failed", None),  # the app gives up (an endpoint switched off)
    ],
)
def test_an_outcome_is_stored_as_done_retrying_or_failed(
    endpoint: WebhookEndpoint,
    ok: bool,
    attempts: int,
    give_up: bool,
    status: str,
    retry_in: float | None,
) -> None:
    now = timezone.now()
    delivery = row(endpoint, status="sending", claimed_at=now, attempts=attempts)
    delivery.response_code = 200 if ok else 500

    outcome = outcome_record(
        delivery=delivery, now=now, ok=ok, max_attempts=3, retry_base_seconds=10,
        give_up=give_up,
    )  # fmt: skip

    assert outcome == SendOutcome(delivery.pk, status, retry_in=retry_in)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.claimed_at, delivery.response_code) == (
        status, None, 200 if ok else 500,
    )  # fmt: skip
    assert delivery.next_attempt_at == (
        now + timedelta(seconds=retry_in) if retry_in is not None else None
    )
    assert (delivery.delivered_at is not None) is ok


def test_a_delivery_is_claimed_only_when_due(endpoint: WebhookEndpoint) -> None:
    now = timezone.now()
    later = row(endpoint, status="retrying", next_attempt_at=now + timedelta(seconds=7))
    done = row(endpoint, status="succeeded")

    assert claim(model=WebhookDelivery, delivery_id=later.pk, now=now) == SendOutcome(
        later.pk, "retrying", retry_in=7.0
    )
    assert claim(model=WebhookDelivery, delivery_id=done.pk, now=now) == SendOutcome(
        done.pk, "succeeded"
    )
    assert claim(model=WebhookDelivery, delivery_id=done.pk + 100, now=now) == (
        SendOutcome(done.pk + 100, "missing")
    )
    claimed = claim(model=WebhookDelivery, delivery_id=later.pk, now=now + timedelta(seconds=7))
    assert isinstance(claimed, WebhookDelivery)
    later.refresh_from_db()
    assert (later.status, later.attempts, later.claimed_at) == (
        "sending", 1, now + timedelta(seconds=7),
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_claim_a_delivery_once(endpoint: WebhookEndpoint) -> None:
    # The claim is what makes a send safe to run twice: a second sender that asks for the row
    # while the first holds it waits (PostgreSQL: FOR UPDATE; SQLite: BEGIN IMMEDIATE), then
    # finds it `sending`. Without the lock both would claim it and post it twice.
    delivery = row(endpoint)
    holding = threading.Event()
    outcomes: dict[str, WebhookDelivery | SendOutcome] = {}

    def hold_the_row(locked: WebhookDelivery, now: datetime) -> None:
        holding.set()
        time.sleep(0.5)  # the second sender asks for the row meanwhile

    def sender(name: str, before_claim: Any) -> None:
        try:
            outcomes[name] = claim(
                model=WebhookDelivery, delivery_id=delivery.pk, now=timezone.now(),
                before_claim=before_claim,
            )  # fmt: skip
        finally:
            connection.close()

    first = threading.Thread(target=sender, args=("first", hold_the_row))
    first.start()
    assert holding.wait(timeout=30)
    second = threading.Thread(target=sender, args=("second", None))
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)

    assert isinstance(outcomes["first"], WebhookDelivery)
    assert outcomes["second"] == SendOutcome(delivery.pk, "sending")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sending", 1)


def test_the_sweep_gives_up_tries_that_never_ended_and_queues_the_lost_and_due(
    endpoint: WebhookEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    made_at = timezone.now()
    now = made_at + timedelta(minutes=5)  # every row was made five minutes ago
    worn_out = row(endpoint, status="sending", claimed_at=made_at, attempts=3)
    worker_died = row(endpoint, status="sending", claimed_at=made_at, attempts=1)
    in_flight = row(endpoint, status="sending", claimed_at=now - timedelta(seconds=5), attempts=1)
    retry_due = row(endpoint, status="retrying", next_attempt_at=now)
    retry_later = row(endpoint, status="retrying", next_attempt_at=now + timedelta(seconds=1))
    task_lost = row(endpoint)
    row(endpoint, status="succeeded")
    row(endpoint, status="failed")

    abandoned_requeue(
        model=WebhookDelivery, now=now, max_attempts=3,
        give_up_reason=lambda attempts: f"tried {attempts} times", what="test delivery",
        log=logging.getLogger("tests.outbox"),
    )  # fmt: skip
    to_queue = due(model=WebhookDelivery, now=now)

    assert sorted(to_queue) == sorted([worker_died.pk, retry_due.pk, task_lost.pk])
    worn_out.refresh_from_db()
    assert (worn_out.status, worn_out.claimed_at, worn_out.error) == (
        "failed", None, "tried 3 times",
    )  # fmt: skip
    assert f"test delivery {worn_out.pk}: tried 3 times" in caplog.text
    worker_died.refresh_from_db()
    assert (worker_died.status, worker_died.next_attempt_at, worker_died.claimed_at) == (
        "retrying", now, None,
    )  # fmt: skip
    in_flight.refresh_from_db()
    assert in_flight.status == "sending"
    retry_later.refresh_from_db()
    assert retry_later.status == "retrying"
    # A pending delivery only just made has its own task on the way: not the sweep's.
    assert task_lost.pk not in due(model=WebhookDelivery, now=made_at)
