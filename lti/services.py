"""Writes of a launch: the user tied to (issuer, sub), the LMS course and the membership, our
enrolment or instructor role, and the resource link to the quiz or exercise it opens."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import Resolver404, resolve

from courses.models import Course
from grader.models import CodingExercise
from lti import claims
from lti.launch import ValidLaunch, refused
from lti.models import Context, Identity, Membership, Platform, ResourceLink
from progress.services import enrollment_create
from quizzes.models import Quiz


def launch_role(roles: list[str]) -> str:
    """Our role for the launch's LIS roles: an instructor or TA of the LMS course teaches
    ours; anyone else (a learner, a guest, no role) is a learner."""
    # Full URIs (LTI 1.3 launches) or the short names NRPS may use ("Instructor").
    names = {role.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for role in roles}
    if claims.ROLE_TA in roles or "TeachingAssistant" in names:
        return Membership.Role.TEACHING_ASSISTANT
    context_roles = [r for r in roles if not r.startswith(claims.ROLE_ADMIN_PREFIX)]
    if claims.ROLE_INSTRUCTOR in context_roles or "Instructor" in roles:
        return Membership.Role.INSTRUCTOR
    return Membership.Role.LEARNER


def _username(platform: Platform, sub: str) -> str:
    digest = hashlib.sha256(f"{platform.issuer}\n{sub}".encode()).hexdigest()[:20]
    return f"lti-{platform.pk}-{digest}"


def identity_user(*, platform: Platform, sub: str, body: dict[str, Any]) -> Identity:
    """The identity of (issuer, sub), and its own new account on the first launch. An account
    that exists already (same name or e-mail) is never taken over: a launch signs in only
    an account created for this platform's user."""
    identity = Identity.objects.select_related("user").filter(platform=platform, sub=sub).first()
    if identity is None:
        base = _username(platform, sub)
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        user = User(
            username=username,
            first_name=str(body.get("given_name", ""))[:150],
            last_name=str(body.get("family_name", ""))[:150],
            email=str(body.get("email", ""))[:254],
        )
        user.set_unusable_password()
        user.save()
        identity = Identity.objects.create(platform=platform, sub=sub, user=user)
    return identity


def _context(launch: ValidLaunch) -> Context:
    body = launch.claims
    claim = body.get(claims.CONTEXT) or {}
    # No context claim: one context per deployment, named after it.
    context_id = str(claim.get("id") or f"deployment:{launch.deployment.deployment_id}")
    context, _created = Context.objects.get_or_create(
        deployment=launch.deployment,
        context_id=context_id,
        defaults={"course": launch.platform.course, "title": str(claim.get("title", ""))[:255]},
    )
    ags = body.get(claims.AGS_ENDPOINT) or {}
    nrps = body.get(claims.NRPS) or {}
    changed = {
        "lineitems_url": str(ags.get("lineitems") or context.lineitems_url),
        "ags_scopes": list(ags.get("scope") or context.ags_scopes),
        "memberships_url": str(nrps.get("context_memberships_url") or context.memberships_url),
    }
    if any(getattr(context, name) != value for name, value in changed.items()):
        for name, value in changed.items():
            setattr(context, name, value)
        context.save(update_fields=list(changed))
    return context


def membership_apply(*, context: Context, identity: Identity, role: str) -> Membership:
    """The role in the LMS course, and what it gives here: a learner is enrolled in our course,
    an instructor or TA teaches it. Someone back in the course is no longer marked as left."""
    membership, created = Membership.objects.get_or_create(
        context=context, identity=identity, defaults={"role": role}
    )
    if not created and (membership.role != role or membership.left_at is not None):
        membership.role = role
        membership.left_at = None
        membership.save(update_fields=["role", "left_at", "updated_at"])
    user = identity.user
    if role == Membership.Role.LEARNER:
        enrollment_create(learner=user, course=context.course)
    else:
        context.course.instructors.add(user)
    return membership


@dataclass(frozen=True)
class Target:
    quiz: Quiz | None
    exercise: CodingExercise | None


def target_parse(*, target_link_uri: str, custom: dict[str, Any]) -> tuple[str, int] | None:
    """("quiz" | "exercise", id) from the custom parameter `target` ("quiz:12") or from the
    target link URI, when it is the page of a quiz or an exercise."""
    value = str(custom.get("target", ""))
    if ":" in value:
        kind, _colon, number = value.partition(":")
        if kind in {"quiz", "exercise"} and number.isdigit():
            return kind, int(number)
    try:
        match = resolve(urlsplit(target_link_uri).path)
    except Resolver404:
        return None
    if match.view_name == "quizzes:quiz":
        return "quiz", int(match.kwargs["quiz_id"])
    if match.view_name == "grader:exercise":
        return "exercise", int(match.kwargs["exercise_id"])
    return None


def _target(kind: str, pk: int, course: Course) -> Target:
    if kind == "quiz":
        quiz = Quiz.objects.filter(pk=pk, section__part__course=course).first()
        if quiz is not None:
            return Target(quiz, None)
    else:
        exercise = CodingExercise.objects.filter(pk=pk, section__part__course=course).first()
        if exercise is not None:
            return Target(None, exercise)
    raise refused(f"{kind} {pk} is not in course {course.slug}")


@dataclass(frozen=True)
class Launched:
    identity: Identity
    context: Context
    role: str
    link: ResourceLink | None


def launch_complete(*, launch: ValidLaunch) -> Launched:
    """Everything a valid launch writes, in one transaction."""
    body = launch.claims
    with transaction.atomic():
        identity = identity_user(platform=launch.platform, sub=str(body["sub"]), body=body)
        context = _context(launch)
        role = launch_role([str(r) for r in body.get(claims.ROLES) or []])
        membership_apply(context=context, identity=identity, role=role)
        link = None
        if launch.message_type == claims.RESOURCE_LINK_REQUEST:
            link = _resource_link(launch, context)
    return Launched(identity, context, role, link)


def _resource_link(launch: ValidLaunch, context: Context) -> ResourceLink:
    body = launch.claims
    link_id = str(body[claims.RESOURCE_LINK]["id"])
    lineitem = str((body.get(claims.AGS_ENDPOINT) or {}).get("lineitem") or "")
    link = ResourceLink.objects.filter(context=context, resource_link_id=link_id).first()
    parsed = target_parse(
        target_link_uri=str(body.get(claims.TARGET_LINK_URI, "")),
        custom=dict(body.get(claims.CUSTOM) or {}),
    )
    if link is None:
        if parsed is None:
            raise refused("the launch names no quiz or exercise of ours")
        target = _target(*parsed, context.course)
        link = ResourceLink.objects.create(
            context=context,
            resource_link_id=link_id,
            quiz=target.quiz,
            exercise=target.exercise,
            lineitem_url=lineitem,
        )
    elif lineitem and link.lineitem_url != lineitem:
        link.lineitem_url = lineitem
        link.save(update_fields=["lineitem_url"])
    return link
