"""The learner's code exercise pages."""

from __future__ import annotations

from django.urls import path

from grader import views

app_name = "grader"

urlpatterns = [
    path("exercises/<int:exercise_id>/", views.exercise_detail_view, name="exercise"),
    path("exercises/<int:exercise_id>/submit/", views.exercise_submit_view, name="submit"),
    path("exercises/<int:exercise_id>/examples/", views.exercise_examples_view, name="examples"),
    path("exercises/<int:exercise_id>/draft/", views.exercise_draft_view, name="draft"),
    path("exercises/<int:exercise_id>/reset/", views.exercise_reset_view, name="reset"),
    path("submissions/<int:submission_id>/", views.submission_detail_view, name="submission"),
    path("example-runs/<int:run_id>/", views.example_run_view, name="example_run"),
]
