"""Deep Linking 2.0: an instructor in the LMS picks quizzes and exercises of our course (one by
one, or a section or a part at once) and they go back to the LMS as resource links, each with a
line item of its maximum points; the response is a JWT signed with our key."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jwt
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from courses.models import Course
from grader.models import CodingExercise
from lti import claims
from lti.keys import tool_key_signing
from lti.launch import LaunchError
from lti.models import Platform
from quizzes.models import Question, Quiz

RESPONSE_SECONDS = 600


@dataclass(frozen=True)
class CatalogueItem:
    kind: str  # "quiz" | "exercise"
    pk: int
    title: str
    points: Decimal
    section_id: int
    part_id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"


@dataclass(frozen=True)
class CatalogueSection:
    pk: int
    number: str
    title: str
    items: list[CatalogueItem]


@dataclass(frozen=True)
class CataloguePart:
    pk: int
    number: int
    title: str
    sections: list[CatalogueSection]


def quiz_points(quiz: Quiz) -> Decimal:
    total = Question.objects.filter(quiz=quiz).aggregate(total=Sum("points"))["total"]
    return Decimal(total or 0)


def catalogue(*, course: Course) -> list[CataloguePart]:
    """The course's quizzes and exercises by part and section, as an instructor may link them
    (archived sections left out)."""
    quizzes = (
        Quiz.objects.filter(section__part__course=course)
        .exclude(section__status="archived")
        .annotate(total=Sum("questions__points"))
        .select_related("section__part")
    )
    exercises = (
        CodingExercise.objects.filter(section__part__course=course)
        .exclude(section__status="archived")
        .select_related("section__part")
    )
    items: list[tuple[Any, CatalogueItem]] = [
        (q, CatalogueItem("quiz", q.pk, q.title, Decimal(getattr(q, "total", 0) or 0),
                          q.section_id, q.section.part_id))
        for q in quizzes
    ] + [
        (e, CatalogueItem("exercise", e.pk, e.title, Decimal(e.points), e.section_id,
                          e.section.part_id))
        for e in exercises
    ]  # fmt: skip
    parts: dict[int, CataloguePart] = {}
    sections: dict[int, CatalogueSection] = {}
    for row, item in sorted(
        items,
        key=lambda pair: (
            pair[0].section.part.number, pair[0].section.order, pair[0].section_id,
            pair[0].order, pair[1].kind, pair[1].pk,
        ),
    ):  # fmt: skip
        section, part = row.section, row.section.part
        if part.pk not in parts:
            parts[part.pk] = CataloguePart(part.pk, part.number, part.title, [])
        if section.pk not in sections:
            sections[section.pk] = CatalogueSection(section.pk, section.number, section.title, [])
            parts[part.pk].sections.append(sections[section.pk])
        sections[section.pk].items.append(item)
    return list(parts.values())


def chosen_items(
    *, course: Course, keys: list[str], section_ids: list[int], part_ids: list[int]
) -> list[CatalogueItem]:
    """The items picked one by one and those of the picked sections and parts, once each, in
    the course's order."""
    chosen = []
    for part in catalogue(course=course):
        for section in part.sections:
            for item in section.items:
                if item.key in keys or section.pk in section_ids or part.pk in part_ids:
                    chosen.append(item)
    return chosen


def content_item(item: CatalogueItem, *, url: str) -> dict[str, Any]:
    return {
        "type": "ltiResourceLink",
        "title": item.title,
        "url": url,
        "custom": {"target": item.key},
        "lineItem": {
            "scoreMaximum": float(item.points) or 100.0,
            "label": item.title,
            "resourceId": item.key,
        },
        "window": {"targetName": "_self"},
    }


def deep_link_response(
    *,
    platform: Platform,
    deployment_id: str,
    settings_claim: dict[str, Any],
    items: list[dict[str, Any]],
) -> str:
    """The LtiDeepLinkingResponse JWT (Deep Linking 2.0, 4.2), signed with our current key."""
    if not items:
        raise LaunchError(_("Choose at least one quiz or exercise."))
    if len(items) > 1 and settings_claim.get("accept_multiple") is False:
        raise LaunchError(_("The LMS accepts one item here: choose only one."))
    key = tool_key_signing()
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + RESPONSE_SECONDS,
        "nonce": secrets.token_urlsafe(16),
        claims.MESSAGE_TYPE: claims.DEEP_LINKING_RESPONSE,
        claims.VERSION: "1.3.0",
        claims.DEPLOYMENT_ID: deployment_id,
        claims.DL_CONTENT_ITEMS: items,
    }
    if settings_claim.get("data") is not None:
        body[claims.DL_DATA] = settings_claim["data"]
    return jwt.encode(body, key.private_key_pem, algorithm="RS256", headers={"kid": key.kid})
