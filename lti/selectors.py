"""Reads of LTI for the instructor's pages: the score delivery log of a course."""

from __future__ import annotations

from django.db.models import Max, QuerySet
from django.http import Http404

from courses.models import Course
from lti.models import Context, Membership, Platform, RosterSync, ScoreDelivery

LOG_PAGE_SIZE = 200


def score_log(*, course: Course, status: str = "") -> list[ScoreDelivery]:
    """The newest deliveries of the course's LMS links (the caller checked that the user
    teaches it: teaching.selectors.taught_course)."""
    deliveries: QuerySet[ScoreDelivery] = ScoreDelivery.objects.filter(
        link__context__course=course
    ).select_related("identity__user", "link__quiz", "link__exercise", "link__context")
    if status in ScoreDelivery.Status.values:
        deliveries = deliveries.filter(status=status)
    return list(deliveries.order_by("-created_at", "-id")[:LOG_PAGE_SIZE])


def score_delivery_of_course(*, course: Course, delivery_id: int) -> ScoreDelivery:
    delivery = (
        ScoreDelivery.objects.filter(pk=delivery_id, link__context__course=course)
        .select_related("link", "identity")
        .first()
    )
    if delivery is None:
        raise Http404
    return delivery


def deep_linking_course(*, course_id: int) -> Course:
    return Course.objects.get(pk=course_id)


def deep_linking_platform(*, platform_id: int) -> Platform:
    return Platform.objects.get(pk=platform_id, is_active=True)


def course_contexts(*, course: Course) -> list[Context]:
    """The LMS courses tied to ours, each with its members (who left last) and its latest
    roster sync (its status)."""
    contexts = list(
        Context.objects.filter(course=course)
        .select_related("deployment__platform")
        .order_by("deployment__platform__name", "title", "id")
    )
    members: dict[int, list[Membership]] = {}
    for membership in (
        Membership.objects.filter(context__in=contexts)
        .select_related("identity__user")
        .order_by("left_at", "identity__user__last_name", "identity__user__username")
    ):
        members.setdefault(membership.context_id, []).append(membership)
    newest = (
        RosterSync.objects.filter(context__in=contexts)
        .values("context_id")
        .annotate(newest=Max("id"))
        .values_list("newest", flat=True)
    )
    latest = {sync.context_id: sync for sync in RosterSync.objects.filter(pk__in=newest)}
    for context in contexts:
        context.member_list = members.get(context.pk, [])  # type: ignore[attr-defined]
        context.latest_sync = latest.get(context.pk)  # type: ignore[attr-defined]
    return contexts


def course_context(*, course: Course, context_id: int) -> Context:
    context = (
        Context.objects.filter(pk=context_id, course=course)
        .select_related("deployment__platform", "course")
        .first()
    )
    if context is None:
        raise Http404
    return context
