"""Writes for webhooks: endpoints, emitting events, sending, retrying and replaying deliveries.

Grading services call `event_emit` inside their transaction: it writes one
small row (an outbox, only when some endpoint is active), so the event commits
or rolls back with the grade and survives a broker outage; then a task is
queued: building the payloads and the HTTP calls happen in the `webhooks`
worker, never on the grading path. A delivery is POSTed as JSON signed with HMAC-SHA256 over
"{timestamp}.{body}" (docs/api.md says how to verify it), retried with
exponential back-off while the receiver fails, and kept with its last response. The claim,
back-off, outcome, sweep and replay are the outbox LTI scores use too (core.outbox).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from core import outbox
from core.queueing import enqueue
from core.storable import storable_text
from webhooks.models import Event, PendingEvent, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

RESPONSE_EXCERPT_BYTES = 2048
USER_AGENT = "Zachet-Webhooks/1"


class WebhookError(Exception):
    """Refused: a bad endpoint URL or event name."""


# --- endpoints ----------------------------------------------------------------------


def _check_events(events: Iterable[str]) -> list[str]:
    events = list(events)
    unknown = sorted(set(events) - set(Event.values))
    if unknown or not events:
        raise WebhookError(
            f"events must be a non-empty list of {', '.join(Event.values)}; unknown: {unknown}"
        )
    return sorted(set(events))


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookError("the URL must be http:// or https:// with a host")
    return url


def endpoint_create(
    *,
    owner: User,
    url: str,
    secret: str,
    events: Iterable[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        owner=owner,
        url=_check_url(url),
        secret=secret,
        events=_check_events(events),
        description=description,
        is_active=is_active,
    )


def endpoint_update(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    if "url" in changes:
        changes["url"] = _check_url(changes["url"])
    if "events" in changes:
        changes["events"] = _check_events(changes["events"])
    for name, value in changes.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


# --- emitting -----------------------------------------------------------------------

# Whether any endpoint is active, cached for a few seconds: the emit hook runs
# after every grading, and with no webhooks registered it must cost nothing.
_ACTIVE_CACHE_SECONDS = 5.0
_active_cache: dict[str, float | bool] = {"at": -1e9, "value": False}


def _any_active_endpoint() -> bool:
    now = time.monotonic()
    if now - float(_active_cache["at"]) > _ACTIVE_CACHE_SECONDS:
        _active_cache["value"] = WebhookEndpoint.objects.filter(is_active=True).exists()
        _active_cache["at"] = now
    return bool(_active_cache["value"])


def endpoint_cache_clear() -> None:
    _active_cache["at"] = -1e9


# Other apps that act on the same events, in the grading transaction (LTI posts scores back
# to an LMS): registered in their AppConfig.ready, so the grading apps never import them.
EventListener = Callable[[str, int], None]
_listeners: list[EventListener] = []


def event_listener_register(listener: EventListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def event_emit(*, event: str, object_id: int) -> None:
    """Called inside a grading transaction: the event becomes a row of it (an outbox), and
    its fan-out is queued once it commits. With no active endpoint: nothing at all."""
    for listener in _listeners:
        try:
            # A savepoint: a listener that fails never fails the grading it listens to.
            with transaction.atomic():
                listener(event, object_id)
        except Exception:
            logger.exception("listener %s of %s %s failed", listener, event, object_id)
    if not _any_active_endpoint():
        return
    pending = PendingEvent.objects.create(event=event, object_id=object_id)
    pending_id = pending.pk
    transaction.on_commit(lambda: event_queue(pending_id=pending_id))


def event_queue(*, pending_id: int) -> bool:
    """Hand the event to the webhooks worker; False (logged) if the broker cannot take it:
    the sweep fans it out later."""
    from webhooks.tasks import fan_out_event_task

    return enqueue(fan_out_event_task, pending_id, what=f"webhook event {pending_id}")


def pending_event_fan_out(*, pending_id: int) -> list[WebhookDelivery]:
    """Fan a pending event out and remove it, in one transaction: safe to run twice."""
    with transaction.atomic():
        pending = PendingEvent.objects.select_for_update().filter(pk=pending_id).first()
        if pending is None:
            return []  # fanned out already
        deliveries = event_fan_out(event=pending.event, object_id=pending.object_id)
        pending.delete()
    return deliveries


def event_fan_out(*, event: str, object_id: int) -> list[WebhookDelivery]:
    """One delivery per active endpoint that subscribed to the event and may see the object."""
    from webhooks.payloads import event_payloads

    deliveries = []
    with transaction.atomic():
        for endpoint, kind, body in event_payloads(event=event, object_id=object_id):
            deliveries.append(
                WebhookDelivery.objects.create(endpoint=endpoint, event=kind, body=body)
            )
        outbox.queue_on_commit(ids=[d.pk for d in deliveries], queue=delivery_queue)
    return deliveries


# --- sending ------------------------------------------------------------------------


def signature(*, secret: str, timestamp: int, body: str) -> str:
    """The X-Zachet-Signature value: HMAC-SHA256 of "{timestamp}.{body}", hex."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def delivery_queue(*, delivery_id: int, countdown: float = 0) -> bool:
    from webhooks.tasks import deliver_webhook_task

    return enqueue(
        deliver_webhook_task, delivery_id, what=f"webhook delivery {delivery_id}",
        countdown=countdown,
    )  # fmt: skip


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed tries: BASE, 2 BASE, 4 BASE ..."""
    return outbox.retry_delay(base_seconds=settings.WEBHOOK_RETRY_BASE_SECONDS, attempts=attempts)


def address_allowed(address: str) -> bool:
    """Receivers on private, loopback or link-local addresses are refused (SSRF into the
    site's own network), unless WEBHOOK_ALLOW_PRIVATE_TARGETS (development)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # 6to4 and NAT64 addresses wrap IPv4 ones that may be private.
    wrapped = ip in ipaddress.ip_network("2002::/16") or ip in ipaddress.ip_network("64:ff9b::/96")
    return ip.is_global and not wrapped


# How a name is resolved and a TCP connection opened: socket's own functions, replaceable
# in tests (patching the socket module would reach every thread of the test process).
Resolve = Callable[..., list[tuple[Any, ...]]]
Dial = Callable[[tuple[str, int], float | None], socket.socket]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to next
    (a DNS answer that changes between the check and the connection: rebinding)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float, dial: Dial) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._dial = dial

    def connect(self) -> None:
        self.sock = self._dial((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float, dial: Dial) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address
        self._dial = dial

    def connect(self) -> None:
        sock = self._dial((self._address, self.port), self.timeout)
        # The certificate is checked against the host name (SNI too), not the address.
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class HttpResult:
    code: int | None
    body: str
    error: str


Sender = Callable[[str, bytes, dict[str, str], float], HttpResult]


def http_post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    *,
    resolve: Resolve = socket.getaddrinfo,
    dial: Dial = socket.create_connection,
) -> HttpResult:
    """POST once: no proxy, no redirect followed (a redirect is an answer, logged), and only
    to the address that passed the check."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    try:
        port = parts.port or (443 if secure else 80)
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        return HttpResult(None, "", f"could not resolve {host}: {error}"[:1000])
    address = str(infos[0][4][0])
    if not address_allowed(address):
        return HttpResult(None, "", f"refused: {host} is a private or loopback address")
    connection_class = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
    connection = connection_class(host, port, address=address, timeout=timeout, dial=dial)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_BYTES)
        return HttpResult(response.status, excerpt.decode("utf-8", "replace"), "")
    except (OSError, ValueError, http.client.HTTPException) as error:  # refused, timed out
        return HttpResult(None, "", f"{type(error).__name__}: {error}"[:1000])
    finally:
        connection.close()


def delivery_send(
    *, delivery_id: int, now: datetime | None = None, sender: Sender | None = None
) -> outbox.SendOutcome:
    """Send one delivery if it is due; safe to run twice (the row is claimed first)."""
    now = now or timezone.now()
    claimed = outbox.claim(
        model=WebhookDelivery, delivery_id=delivery_id, now=now, related=["endpoint"]
    )
    if isinstance(claimed, outbox.SendOutcome):
        return claimed
    delivery = claimed
    endpoint = delivery.endpoint
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Zachet-Event": delivery.event,
        "X-Zachet-Delivery": str(delivery.uuid),
        "X-Zachet-Timestamp": str(timestamp),
        "X-Zachet-Signature": signature(
            secret=endpoint.secret, timestamp=timestamp, body=delivery.body
        ),
    }
    result = (sender or http_post)(
        endpoint.url, delivery.body.encode(), headers, float(settings.WEBHOOK_TIMEOUT_SECONDS)
    )
    delivery.response_code = result.code
    # Another server's words: whatever it answered is stored (NUL bytes and all, escaped).
    delivery.response_body = storable_text(result.body, limit=RESPONSE_EXCERPT_BYTES)
    delivery.error = storable_text(result.error, limit=1000)
    return outbox.outcome_record(
        delivery=delivery,
        now=now,
        ok=result.code is not None and 200 <= result.code < 300,
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        retry_base_seconds=settings.WEBHOOK_RETRY_BASE_SECONDS,
        # A receiver switched off meanwhile is not tried again.
        give_up=not endpoint.is_active,
        fields=["response_body"],
    )


def delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event body again, as a new delivery (new X-Zachet-Delivery id)."""
    return outbox.send_again(
        create=lambda: WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            event=delivery.event,
            body=delivery.body,
            replay_of=delivery,
        ),
        queue=delivery_queue,
    )


def deliveries_send_due(*, now: datetime | None = None) -> int:
    """The sweep: queue deliveries whose retry is due, and those a dead worker or broker lost."""
    now = now or timezone.now()
    outbox.abandoned_requeue(
        model=WebhookDelivery,
        now=now,
        max_attempts=settings.WEBHOOK_MAX_ATTEMPTS,
        give_up_reason=lambda attempts: (
            f"sent {attempts} times and its outcome never stored (the worker died or the "
            "result could not be saved each time); given up"
        ),
        what="webhook delivery",
        log=logger,
    )
    due = outbox.due(model=WebhookDelivery, now=now)
    # Events whose fan-out was never queued (the broker was down at the grading's commit).
    for pending_id in PendingEvent.objects.filter(
        created_at__lt=now - outbox.PENDING_STALE_AFTER
    ).values_list("pk", flat=True)[: outbox.SWEEP_BATCH]:
        pending_event_fan_out(pending_id=pending_id)
    queued = 0
    for delivery_id in due:
        if not delivery_queue(delivery_id=delivery_id):
            break
        queued += 1
    return queued
