"""The learner's dashboard and progress actions."""

from __future__ import annotations

from django.urls import path

from progress import views

app_name = "progress"

urlpatterns = [
    path("dashboard/", views.dashboard_view, name="dashboard"),
    path("courses/<slug:course_slug>/enrol/", views.enrol_view, name="enrol"),
    path("sections/<int:section_id>/read/", views.section_read_view, name="section_read"),
    path(
        "progress/<slug:course_slug>/parts/<int:part_number>/",
        views.part_progress_view,
        name="part_progress",
    ),
]
