"""What a webhook says about an event, and who may hear it.

An endpoint hears an event when it subscribed to it, is active, and its owner
may see the object: the learner it is about, an instructor of its course, or an
admin (the same rule as the API). A learner's endpoint gets a quiz score only
when the quiz's feedback policy shows the learner that score.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from api.roles import teaches
from courses.models import Part, Section
from grader.models import Submission
from progress.models import SectionProgress
from quizzes.models import Attempt
from quizzes.selectors import attempt_visibility
from webhooks.models import Event, WebhookEndpoint


def _attempt_data(attempt: Attempt, with_result: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "attempt": attempt.pk,
        "quiz": attempt.quiz_id,
        "section": attempt.quiz.section_id,
        "course": attempt.quiz.section.part.course_id,
        "learner": attempt.learner_id,
        "number": attempt.number,
        "status": attempt.status,
        "late": attempt.late,
        "graded_at": attempt.graded_at,
    }
    if with_result:
        data |= {
            "score": attempt.score,
            "max_score": attempt.max_score,
            "percent": attempt.percent,
            "passed": attempt.passed,
        }
    return data


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
    event_id = str(uuid.uuid4())
    if event == Event.ATTEMPT_GRADED:
        attempt = Attempt.objects.select_related("quiz__section__part").filter(pk=object_id).first()
        if attempt is None or attempt.status != Attempt.Status.GRADED:
            return
        course_id = attempt.quiz.section.part.course_id
        for endpoint in _endpoints(event):
            owner = endpoint.owner
            if teaches(owner, course_id):
                yield endpoint, event, _body(event, event_id, _attempt_data(attempt, True))
            elif owner.pk == attempt.learner_id:
                visible = attempt_visibility(attempt=attempt, teaches=False).total
                yield endpoint, event, _body(event, event_id, _attempt_data(attempt, visible))
        return
    if event == Event.SUBMISSION_GRADED:
        submission = (
            Submission.objects.select_related("exercise__section__part")
            .filter(pk=object_id)
            .first()
        )
        if submission is None:
            return
        section = submission.exercise.section
        data = {
            "submission": submission.pk,
            "exercise": submission.exercise_id,
            "section": section.pk,
            "course": section.part.course_id,
            "learner": submission.learner_id,
            "status": submission.status,
            "verdict": submission.verdict,
            "score": submission.score,
            "tests_passed": submission.tests_passed,
            "tests_total": submission.tests_total,
            "graded_at": submission.graded_at,
        }
        yield from _for_audience(event, event_id, data, submission.learner_id, section.part)
        return
    if event == Event.SECTION_COMPLETED:
        progress = (
            SectionProgress.objects.select_related("section__part").filter(pk=object_id).first()
        )
        if progress is None or not progress.completed:
            return
        section = progress.section
        data = {
            "learner": progress.learner_id,
            "section": section.pk,
            "number": section.number,
            "title": section.title,
            "part": section.part_id,
            "course": section.part.course_id,
            "completed_at": progress.completed_at,
        }
        yield from _for_audience(event, event_id, data, progress.learner_id, section.part)
        # The section that completes a part completes the part too: one more event.
        if part_completed_by(learner_id=progress.learner_id, part=section.part):
            yield from part_event_payloads(learner_id=progress.learner_id, part=section.part)
        return
    raise ValueError(f"unknown event {event!r}")


def _for_audience(
    event: str, event_id: str, data: dict[str, Any], learner_id: int, part: Part
) -> Iterator[tuple[WebhookEndpoint, str, str]]:
    body = _body(event, event_id, data)
    for endpoint in _endpoints(event):
        if endpoint.owner.pk == learner_id or teaches(endpoint.owner, part.course_id):
            yield endpoint, event, body


def part_completed_by(*, learner_id: int, part: Part) -> bool:
    """Every (non-archived) section of the part is complete for the learner."""
    sections = Section.objects.filter(part=part).exclude(status=Section.Status.ARCHIVED)
    total = sections.count()
    done = SectionProgress.objects.filter(
        learner_id=learner_id, section__in=sections, completed=True
    ).count()
    return total > 0 and done == total


def part_event_payloads(
    *, learner_id: int, part: Part
) -> Iterator[tuple[WebhookEndpoint, str, str]]:
    data = {
        "learner": learner_id,
        "part": part.pk,
        "number": part.number,
        "title": part.title,
        "course": part.course_id,
    }
    yield from _for_audience(Event.PART_COMPLETED, str(uuid.uuid4()), data, learner_id, part)
