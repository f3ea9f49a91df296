"""Server-rendered course pages: one selector call each, then a template."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from courses import selectors
from progress import selectors as progress_selectors


def course_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/course_list.html", {"courses": selectors.course_list()})


def course_detail_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    overview = selectors.course_get_with_parts(slug=course_slug)
    if overview is None:
        raise Http404
    enrolled = progress_selectors.is_enrolled(learner=request.user, course=overview.course)
    return render(
        request, "courses/course_detail.html", {"overview": overview, "enrolled": enrolled}
    )


def part_detail_view(request: HttpRequest, course_slug: str, part_number: int) -> HttpResponse:
    detail = selectors.part_get_with_sections(course_slug=course_slug, part_number=part_number)
    if detail is None:
        raise Http404
    sections = detail.published_sections + detail.planned_sections
    # The learner's own progress beside the authoring status: one query more.
    standing = progress_selectors.part_standing_for(
        learner=request.user, part=detail.part, sections=sections
    )
    return render(request, "courses/part_detail.html", {"detail": detail, "standing": standing})


def section_detail_view(
    request: HttpRequest, course_slug: str, part_number: int, section_number: str
) -> HttpResponse:
    detail = selectors.section_get_with_neighbours(
        course_slug=course_slug, part_number=part_number, section_number=section_number
    )
    if detail is None:
        raise Http404
    learner = request.user
    context = {
        "detail": detail,
        "items": progress_selectors.section_items_for(learner=learner, section=detail.section),
        "progress": progress_selectors.section_progress_map(
            learner=learner, section_ids=[detail.section.pk]
        ).get(detail.section.pk),
        "enrolled": progress_selectors.is_enrolled(learner=learner, course=detail.course),
    }
    return render(request, "courses/section_detail.html", context)
