"""The learner's own pages: dashboard, enrolment, marking material read, live progress."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.auth import current_learner
from courses.selectors import course_get, part_get, section_get_published
from progress import selectors, services


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    learner = current_learner(request)
    standings = selectors.dashboard_for(learner=learner)
    return render(request, "progress/dashboard.html", {"standings": standings})


@login_required
@require_POST
def enrol_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    learner = current_learner(request)
    course = course_get(slug=course_slug)
    if course is None:
        raise Http404
    services.enrollment_create(learner=learner, course=course)
    messages.success(request, _("You are enrolled in %(course)s.") % {"course": course.title})
    return redirect(course.get_absolute_url())


@login_required
@require_POST
def section_read_view(request: HttpRequest, section_id: int) -> HttpResponse:
    learner = current_learner(request)
    section = section_get_published(section_id=section_id)
    if section is None:
        raise Http404
    services.enrollment_create(learner=learner, course=section.part.course)
    services.section_mark_read(learner=learner, section=section)
    messages.success(request, _("Marked as read."))
    return redirect(section.get_absolute_url())


@login_required
def part_progress_view(request: HttpRequest, course_slug: str, part_number: int) -> HttpResponse:
    """The progress block of a part, as a fragment for pages that refresh it."""
    learner = current_learner(request)
    part = part_get(course_slug=course_slug, part_number=part_number)
    if part is None:
        raise Http404
    completion = selectors.part_progress_for(learner=learner, part=part)
    return render(
        request,
        "progress/_learner_part_progress_body.html",
        {"part": part, "completion": completion},
    )
