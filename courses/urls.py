"""Course pages: home, course, part and section."""

from __future__ import annotations

from django.urls import path, register_converter

from courses import views


class SectionNumberConverter:
    """A section number as the course writes it: "4.2", "10.3.1"."""

    regex = r"[0-9]+(?:\.[0-9]+)*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SectionNumberConverter, "section_number")

app_name = "courses"

urlpatterns = [
    path("", views.course_list_view, name="course_list"),
    path("courses/<slug:course_slug>/", views.course_detail_view, name="course"),
    path(
        "courses/<slug:course_slug>/parts/<int:part_number>/",
        views.part_detail_view,
        name="part",
    ),
    path(
        "courses/<slug:course_slug>/parts/<int:part_number>/"
        "sections/<section_number:section_number>/",
        views.section_detail_view,
        name="section",
    ),
]
