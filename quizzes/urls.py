"""The learner's quiz pages."""

from __future__ import annotations

from django.urls import path

from quizzes import views

app_name = "quizzes"

urlpatterns = [
    path("quizzes/<int:quiz_id>/", views.quiz_view, name="quiz"),
    path("quizzes/<int:quiz_id>/start/", views.attempt_start_view, name="start"),
    path("attempts/<int:attempt_id>/", views.attempt_view, name="attempt"),
    path("attempts/<int:attempt_id>/autosave/", views.attempt_autosave_view, name="autosave"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_confirm_view, name="confirm"),
    path("attempts/<int:attempt_id>/result/", views.attempt_result_view, name="result"),
    path(
        "quizzes/files/<str:key>/<str:name>",
        views.question_file_view,
        name="question_file",
    ),
]
