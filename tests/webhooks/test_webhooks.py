"""Webhooks against a local HTTP receiver: signatures, retries with back-off, replay, events."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import DataError
from django.test import override_settings
from django.utils import timezone

from progress.services import section_mark_read
from quizzes.services import attempt_grade, attempt_submit
from tests.api.conftest import World, client_for
from webhooks import services as webhook_services
from webhooks.models import PendingEvent, WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    HttpResult,
    address_allowed,
    deliveries_send_due,
    delivery_send,
    endpoint_cache_clear,
    endpoint_create,
    event_emit,
    event_fan_out,
    http_post,
    pending_event_fan_out,
    retry_delay,
)

pytestmark = pytest.mark.django_db
SECRET = "receiver-secret-0123456789"


class Receiver:
    """An HTTP server in a thread that answers with the codes it is given, and records requests."""

    def __init__(self) -> None:
        self.codes: list[int] = []
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(f"answer {code}".encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.thread.start()
    try:
        with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True, WEBHOOK_RETRY_BASE_SECONDS=10):
            yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


def verify(request: dict[str, Any], secret: str = SECRET) -> bool:
    """What docs/api.md tells a receiver to do."""
    headers = request["headers"]
    signed = f"{headers['X-Zachet-Timestamp']}.{request['body']}".encode()
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Zachet-Signature"])


def graded_attempt_event(world: World, receiver: Receiver, owner: Any) -> WebhookDelivery:
    endpoint_create(owner=owner, url=receiver.url, secret=SECRET, events=["attempt.graded"])
    attempt_submit(attempt=world.attempt)
    attempt_grade(attempt_id=world.attempt.pk)
    (delivery,) = event_fan_out(event="attempt.graded", object_id=world.attempt.pk)
    return delivery


def test_signed_delivery_and_no_retry_after_2xx(world: World, receiver: Receiver) -> None:
    delivery = graded_attempt_event(world, receiver, world.instructor)
    outcome = delivery_send(delivery_id=delivery.pk)
    assert outcome.status == "succeeded"
    assert outcome.retry_in is None
    (request,) = receiver.requests
    assert verify(request)
    assert not verify(request, secret="another-secret-0123456")
    headers = request["headers"]
    assert headers["X-Zachet-Event"] == "attempt.graded"
    assert headers["X-Zachet-Delivery"] == str(delivery.uuid)
    body = json.loads(request["body"])
    assert body["event"] == "attempt.graded"
    assert body["data"]["attempt"] == world.attempt.pk
    assert body["data"]["percent"] == "0.00"
    delivery.refresh_from_db()
    assert (delivery.response_code, delivery.response_body, delivery.attempts) == (
        200, "answer 200", 1,
    )  # fmt: skip
    # a second run of the task (a redelivered message) sends nothing
    assert delivery_send(delivery_id=delivery.pk).status == "succeeded"
    assert len(receiver.requests) == 1


def test_a_500_is_retried_with_exponential_back_off(world: World, receiver: Receiver) -> None:
    delivery = graded_attempt_event(world, receiver, world.instructor)
    receiver.codes = [500, 503]
    start = timezone.now()
    first = delivery_send(delivery_id=delivery.pk, now=start)
    assert (first.status, first.retry_in) == ("retrying", 10.0)
    too_early = delivery_send(delivery_id=delivery.pk, now=start + timedelta(seconds=5))
    assert too_early.status == "retrying"
    assert len(receiver.requests) == 1
    second = delivery_send(delivery_id=delivery.pk, now=start + timedelta(seconds=10))
    assert (second.status, second.retry_in) == ("retrying", 20.0)
    third = delivery_send(delivery_id=delivery.pk, now=start + timedelta(seconds=30))
    assert third.status == "succeeded"
    assert len(receiver.requests) == 3
    assert all(verify(r) for r in receiver.requests)
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]


@override_settings(WEBHOOK_MAX_ATTEMPTS=2)
def test_gives_up_after_max_attempts(world: World, receiver: Receiver) -> None:
    delivery = graded_attempt_event(world, receiver, world.instructor)
    receiver.codes = [500, 500]
    start = timezone.now()
    delivery_send(delivery_id=delivery.pk, now=start)
    assert delivery_send(delivery_id=delivery.pk, now=start + timedelta(minutes=1)).status == (
        "failed"
    )
    delivery.refresh_from_db()
    assert delivery.response_code == 500
    assert delivery.response_body == "answer 500"


def test_replay_through_the_api(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    delivery = graded_attempt_event(world, receiver, world.instructor)
    delivery_send(delivery_id=delivery.pk)
    sent: list[int] = []
    monkeypatch.setattr(
        "webhooks.services.delivery_queue",
        lambda delivery_id: sent.append(delivery_send(delivery_id=delivery_id).delivery_id),
    )
    assert (
        client_for(world.other)
        .post(f"/api/v1/webhooks/deliveries/{delivery.pk}/replay/")
        .status_code
        == 404
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(world.instructor).post(
            f"/api/v1/webhooks/deliveries/{delivery.pk}/replay/"
        )
    assert response.status_code == 202
    replay = response.json()
    assert replay["replay_of"] == delivery.pk
    assert sent == [replay["id"]]
    first, again = receiver.requests
    assert first["body"] == again["body"]
    assert first["headers"]["X-Zachet-Delivery"] != again["headers"]["X-Zachet-Delivery"]
    assert verify(again)
    log = client_for(world.instructor).get("/api/v1/webhooks/deliveries/?status=succeeded").json()
    assert {d["id"] for d in log["results"]} == {delivery.pk, replay["id"]}


def test_learners_hear_only_their_own_events(world: World, receiver: Receiver) -> None:
    endpoint_create(owner=world.other, url=receiver.url, secret=SECRET, events=["attempt.graded"])
    endpoint_create(owner=world.learner, url=receiver.url, secret=SECRET, events=["attempt.graded"])
    endpoint_create(
        owner=world.other_instructor, url=receiver.url, secret=SECRET, events=["attempt.graded"]
    )
    attempt_submit(attempt=world.attempt)
    attempt_grade(attempt_id=world.attempt.pk)
    deliveries = event_fan_out(event="attempt.graded", object_id=world.attempt.pk)
    assert [d.endpoint.owner for d in deliveries] == [world.learner]
    # A deactivated account's endpoints hear nothing more (found in review).
    world.learner.is_active = False
    world.learner.save()
    assert event_fan_out(event="attempt.graded", object_id=world.attempt.pk) == []


def test_grading_emits_after_commit_and_section_completion_emits_part_completed(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    emitted: list[tuple[str, int]] = []

    def queue(*, pending_id: int) -> bool:
        pending = PendingEvent.objects.get(pk=pending_id)
        emitted.append((pending.event, pending.object_id))
        return True

    monkeypatch.setattr("webhooks.services.event_queue", queue)
    endpoint_create(owner=world.learner, url=receiver.url, secret=SECRET,
                    events=["attempt.graded"])  # fmt: skip
    endpoint_cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=world.attempt)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_grade(attempt_id=world.attempt.pk)
    assert emitted == [("attempt.graded", world.attempt.pk)]

    part = world.course_b.parts.create(number=1, title="Only part")
    section = part.sections.create(number="1.1", title="S", slug="s", status="published")
    endpoint_create(
        owner=world.learner,
        url=receiver.url,
        secret=SECRET,
        events=["section.completed", "part.completed"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        progress = section_mark_read(learner=world.learner, section=section)
    assert emitted[-1] == ("section.completed", progress.id)
    deliveries = event_fan_out(event="section.completed", object_id=progress.id)
    assert sorted(d.event for d in deliveries) == ["part.completed", "section.completed"]


def test_no_endpoints_means_nothing_is_written_or_queued(
    world: World, django_capture_on_commit_callbacks
) -> None:
    endpoint_cache_clear()
    assert WebhookEndpoint.objects.count() == 0
    with django_capture_on_commit_callbacks() as callbacks:
        event_emit(event="attempt.graded", object_id=world.attempt.pk)
    assert callbacks == []
    assert not PendingEvent.objects.exists()


def test_an_event_survives_a_broker_outage_at_the_grading_commit(
    world: World, receiver: Receiver, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    # The event is a row of the grading's transaction (an outbox): with the broker down
    # at commit, the sweep fans it out later instead of the event being lost.
    endpoint_create(owner=world.learner, url=receiver.url, secret=SECRET,
                    events=["attempt.graded"])  # fmt: skip
    endpoint_cache_clear()

    def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("webhooks.tasks.fan_out_event_task.apply_async", broker_down)
    monkeypatch.setattr("webhooks.services.delivery_queue", lambda **kwargs: True)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_submit(attempt=world.attempt)
    with django_capture_on_commit_callbacks(execute=True):
        attempt_grade(attempt_id=world.attempt.pk)
    pending_id = PendingEvent.objects.get().pk
    assert not WebhookDelivery.objects.exists()

    deliveries_send_due(now=timezone.now() + timedelta(minutes=1))
    assert not PendingEvent.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "attempt.graded"
    assert delivery.endpoint.owner == world.learner
    # Twice is once: the row is gone, a second fan-out of it does nothing.
    assert pending_event_fan_out(pending_id=pending_id) == []
    assert WebhookDelivery.objects.count() == 1


@override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
def test_private_addresses_are_refused(world: World, receiver: Receiver) -> None:
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=False):
        delivery = graded_attempt_event(world, receiver, world.instructor)
        outcome = delivery_send(delivery_id=delivery.pk)
    assert outcome.status == "retrying"
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert "private or loopback" in delivery.error


@override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),  # cloud metadata
        ("::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("2002:7f00:1::1", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a01:203", False),  # NAT64 around 10.1.2.3
        ("fe80::1%eth0", False),
    ],
)
def test_private_addresses_in_every_disguise_are_refused(address: str, allowed: bool) -> None:
    assert address_allowed(address) is allowed


@override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
def test_the_checked_address_is_the_one_connected_to() -> None:
    # DNS rebinding: the name resolves to a public address for the check and to
    # 127.0.0.1 a moment later. The connection must go to the address that was checked.
    answers = iter(["93.184.215.14", "127.0.0.1"])

    def resolve(host: str, port: int, *args: object, **kwargs: object) -> list[tuple]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    connected: list[tuple[str, int]] = []

    def dial(address: tuple[str, int], timeout: float | None) -> socket.socket:
        connected.append(address)
        raise ConnectionRefusedError("test: no network")

    result = http_post("http://rebind.example/hook", b"{}", {}, 1.0, resolve=resolve, dial=dial)
    assert connected == [("93.184.215.14", 80)]
    assert result.code is None
    assert "ConnectionRefusedError" in result.error


def test_a_receiver_answering_nul_bytes_and_junk_is_stored_escaped(world: World) -> None:
    # Regression (issue 14): a NUL byte in another server's answer made the delivery's save
    # fail on PostgreSQL and left it `sending` for ever. Its owner may be a learner.
    endpoint_create(
        owner=world.instructor, url="http://hooks.example.test/x", secret=SECRET,
        events=["attempt.graded"],
    )  # fmt: skip
    attempt_submit(attempt=world.attempt)
    attempt_grade(attempt_id=world.attempt.pk)
    (delivery,) = event_fan_out(event="attempt.graded", object_id=world.attempt.pk)

    def hostile(url: str, body: bytes, headers: dict[str, str], timeout: float) -> HttpResult:
        junk = b"ok\x00\xff\x1b[2J".decode("utf-8", "surrogateescape")  # lone surrogates too
        return HttpResult(500, junk, "reset\x00")

    outcome = delivery_send(delivery_id=delivery.pk, sender=hostile)

    assert outcome.status == "retrying"
    delivery.refresh_from_db()
    assert delivery.response_body == "ok\\x00\ufffd\\x1b[2J"
    assert delivery.error == "reset\\x00"


@override_settings(WEBHOOK_MAX_ATTEMPTS=3)
def test_a_delivery_whose_outcome_cannot_be_stored_is_given_up_not_sent_for_ever(
    world: World, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    # Regression (issue 14 review): a delivery whose outcome the database refused for a reason
    # that is not transient was left `sending`; the sweep set it back to `retrying` and it was
    # sent again every minute, for ever. Every try counts; after the last it is `failed`.
    delivery = graded_attempt_event(world, receiver, world.instructor)
    save = WebhookDelivery.save

    def refusing_the_outcome(self: WebhookDelivery, *args: Any, **kwargs: Any) -> None:
        if "response_body" in (kwargs.get("update_fields") or ()):
            raise DataError("a value this database refuses")
        save(self, *args, **kwargs)

    monkeypatch.setattr(WebhookDelivery, "save", refusing_the_outcome)
    queued: list[int] = []

    def queue(*, delivery_id: int, countdown: float = 0) -> bool:
        queued.append(delivery_id)
        return True

    monkeypatch.setattr(webhook_services, "delivery_queue", queue)
    clock = timezone.now()
    for _try in range(3):
        with pytest.raises(DataError):
            delivery_send(delivery_id=delivery.pk, now=clock)
        clock += timedelta(minutes=2)
        deliveries_send_due(now=clock)

    assert len(receiver.requests) == 3
    assert queued.count(delivery.pk) == 2  # sent again after the first two tries only
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_at) == ("failed", 3, None)
    assert delivery.error.startswith("sent 3 times and its outcome never stored")
    assert f"webhook delivery {delivery.pk}: sent 3 times" in caplog.text
    deliveries_send_due(now=clock + timedelta(hours=1))
    assert queued.count(delivery.pk) == 2
    assert delivery_send(delivery_id=delivery.pk, now=clock).status == "failed"
    assert len(receiver.requests) == 3
