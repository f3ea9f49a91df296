"""Server-rendered course pages: one selector call each, then a template.

The learner's progress beside the content comes from progress' template tags
(progress_tags), so courses depends on nothing above it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from courses import selectors


def course_list_view(request: HttpRequest) -> HttpResponse:
    return render(request, "courses/course_list.html", {"courses": selectors.course_list()})


def course_detail_view(request: HttpRequest, course_slug: str) -> HttpResponse:
    overview = selectors.course_get_with_parts(slug=course_slug)
    if overview is None:
        raise Http404
    return render(request, "courses/course_detail.html", {"overview": overview})


def part_detail_view(request: HttpRequest, course_slug: str, part_number: int) -> HttpResponse:
    detail = selectors.part_get_with_sections(course_slug=course_slug, part_number=part_number)
    if detail is None:
        raise Http404
    sections = detail.published_sections + detail.planned_sections
    # (the learner's own progress beside the authoring status: the template, one query more)
    return render(request, "courses/part_detail.html", {"detail": detail, "sections": sections})


def section_detail_view(
    request: HttpRequest, course_slug: str, part_number: int, section_number: str
) -> HttpResponse:
    detail = selectors.section_get_with_neighbours(
        course_slug=course_slug, part_number=part_number, section_number=section_number
    )
    if detail is None:
        raise Http404
    return render(request, "courses/section_detail.html", {"detail": detail})
