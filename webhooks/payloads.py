"""What a webhook says about an event, and who may hear it.

An endpoint hears an event when it subscribed to it, is active, and its owner
may see the object: the learner it is about, an instructor of its course, or an
admin (the same rule as the API). A learner's endpoint gets a quiz score only
when the quiz's feedback policy shows the learner that score.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from accounts.roles import teaches
from webhooks.models import WebhookEndpoint


@dataclass(frozen=True)
class EventSubject:
    """What an event is about, as the app that owns the object tells it."""

    course_id: int
    learner_id: int | None  # None: about the course's learners together (teachers only)
    # What an instructor of the course hears, and what the learner hears (less, where the
    # quiz's feedback policy hides the score from them for now).
    data: dict[str, Any]
    learner_data: dict[str, Any]
    # False: for the learner's own endpoints only (one learner's part of an event whose
    # whole the teachers hear as another subject: results.released).
    to_teachers: bool = True


# event -> the owning app's reader: object id -> the events it makes (the event itself,
# and any it completes: a section that completes its part), none when the object is gone
# or not final.
EventSource = Callable[[int], Iterable[tuple[str, EventSubject]]]
_SOURCES: dict[str, EventSource] = {}


def event_source_register(event: str, source: EventSource) -> None:
    """The apps that own the objects register their events here (AppConfig.ready):
    webhooks never read their tables."""
    _SOURCES[event] = source


def _endpoints(event: str) -> list[WebhookEndpoint]:
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            is_active=True, owner__is_active=True
        ).select_related("owner")
        if event in endpoint.events
    ]


class _Encoder(JSONEncoder):
    """DRF's encoder, with decimals as strings ("87.50"), as the API itself sends them."""

    def default(self, obj: Any) -> Any:
        return str(obj) if isinstance(obj, Decimal) else super().default(obj)


def _body(event: str, event_id: str, data: dict[str, Any]) -> str:
    envelope = {"id": event_id, "event": event, "created_at": timezone.now(), "data": data}
    return json.dumps(envelope, cls=_Encoder, ensure_ascii=False, separators=(",", ":"))


def event_payloads(*, event: str, object_id: int) -> Iterator[tuple[WebhookEndpoint, str, str]]:
    source = _SOURCES.get(event)
    if source is None:
        raise ValueError(f"unknown event {event!r}")
    # Read once per event kind: an event may have a subject per learner (results.released).
    endpoints_of: dict[str, list[WebhookEndpoint]] = {}
    for kind, subject in source(object_id):
        if kind not in endpoints_of:
            endpoints_of[kind] = _endpoints(kind)
        hearing = [
            endpoint
            for endpoint in endpoints_of[kind]
            if subject.to_teachers or endpoint.owner.pk == subject.learner_id
        ]
        if not hearing:
            continue
        event_id = str(uuid.uuid4())
        teacher_body = _body(kind, event_id, subject.data)
        learner_body = (
            teacher_body
            if subject.learner_data == subject.data
            else _body(kind, event_id, subject.learner_data)
        )
        for endpoint in hearing:
            owner = endpoint.owner
            if teaches(owner, subject.course_id):
                if subject.to_teachers:
                    yield endpoint, kind, teacher_body
            elif owner.pk == subject.learner_id:
                yield endpoint, kind, learner_body
