"""Instructor pages of a course (teaching.views)."""

from __future__ import annotations

from django.urls import path

from teaching import views

app_name = "teaching"

urlpatterns = [
    path("teach/<slug:course_slug>/", views.teach_home_view, name="home"),
    path("teach/<slug:course_slug>/gradebook/", views.gradebook_view, name="gradebook"),
    path(
        "teach/<slug:course_slug>/learners/<int:learner_id>/sections/<int:section_id>/",
        views.learner_section_view,
        name="learner_section",
    ),
    path(
        "teach/<slug:course_slug>/analysis/quizzes/<int:quiz_id>/",
        views.analysis_quiz_view,
        name="analysis_quiz",
    ),
    path(
        "teach/<slug:course_slug>/analysis/exercises/<int:exercise_id>/",
        views.analysis_exercise_view,
        name="analysis_exercise",
    ),
    path("teach/<slug:course_slug>/grading/", views.grading_queue_view, name="grading"),
    path("teach/<slug:course_slug>/extensions/", views.extensions_view, name="extensions"),
    path("teach/<slug:course_slug>/groups/", views.groups_view, name="groups"),
    path("teach/<slug:course_slug>/results/", views.results_view, name="results"),
    path(
        "teach/<slug:course_slug>/grading/answers/<int:answer_id>/",
        views.grading_grade_view,
        name="grading_grade",
    ),
    path("teach/<slug:course_slug>/import/", views.import_view, name="import"),
    path(
        "teach/<slug:course_slug>/import/<slug:kind>/",
        views.import_upload_view,
        name="import_upload",
    ),
    path(
        "teach/<slug:course_slug>/import/staged/<uuid:token>/",
        views.import_confirm_view,
        name="import_confirm",
    ),
    path(
        "teach/<slug:course_slug>/export/quizzes/<int:quiz_id>.gift",
        views.export_quiz_view,
        name="export_quiz",
    ),
    path(
        "teach/<slug:course_slug>/export/quizzes/<int:quiz_id>.xml",
        views.export_quiz_xml_view,
        name="export_quiz_xml",
    ),
    path(
        "teach/<slug:course_slug>/export/parts/<int:part_number>/README.md",
        views.export_part_view,
        name="export_part",
    ),
    path("teach/<slug:course_slug>/quizzes/new/", views.quiz_new_view, name="quiz_new"),
    path(
        "teach/<slug:course_slug>/quizzes/<int:quiz_id>/settings/",
        views.quiz_settings_view,
        name="quiz_settings",
    ),
    path(
        "teach/<slug:course_slug>/quizzes/<int:quiz_id>/preview/",
        views.quiz_preview_view,
        name="quiz_preview",
    ),
    path(
        "teach/<slug:course_slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/move/",
        views.question_move_view,
        name="question_move",
    ),
    path(
        "teach/<slug:course_slug>/quizzes/<int:quiz_id>/questions/",
        views.quiz_questions_view,
        name="quiz_questions",
    ),
    path(
        "teach/<slug:course_slug>/quizzes/<int:quiz_id>/questions/new/",
        views.question_new_view,
        name="question_new",
    ),
    path(
        "teach/<slug:course_slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/",
        views.question_edit_view,
        name="question_edit",
    ),
    path(
        "teach/<slug:course_slug>/quizzes/<int:quiz_id>/questions/<int:question_id>/try/",
        views.question_try_view,
        name="question_try",
    ),
    path("teach/<slug:course_slug>/exercises/new/", views.exercise_new_view, name="exercise_new"),
    path(
        "teach/<slug:course_slug>/exercises/<int:exercise_id>/edit/",
        views.exercise_edit_view,
        name="exercise_edit",
    ),
    path(
        "teach/<slug:course_slug>/exercises/<int:exercise_id>/dates/",
        views.exercise_dates_view,
        name="exercise_dates",
    ),
    path(
        "teach/<slug:course_slug>/parts/<int:part_id>/dates/",
        views.part_dates_view,
        name="part_dates",
    ),
    path("teach/<slug:course_slug>/dates/", views.course_dates_view, name="course_dates"),
    path(
        "teach/<slug:course_slug>/sections/<int:section_id>/dates/",
        views.section_dates_view,
        name="section_dates",
    ),
    path(
        "teach/<slug:course_slug>/exercises/<int:exercise_id>/check/",
        views.exercise_check_view,
        name="exercise_check",
    ),
    path("teach/<slug:course_slug>/regrades/", views.regrade_list_view, name="regrades"),
    path("teach/<slug:course_slug>/regrades/new/", views.regrade_start_view, name="regrade_start"),
    path("teach/<slug:course_slug>/regrades/<int:job_id>/", views.regrade_view, name="regrade"),
    path(
        "teach/<slug:course_slug>/similarity/exercises/<int:exercise_id>/",
        views.similarity_view,
        name="similarity",
    ),
    path(
        "teach/<slug:course_slug>/similarity/exercises/<int:exercise_id>/"
        "pairs/<int:a_id>/<int:b_id>/",
        views.similarity_pair_view,
        name="similarity_pair",
    ),
]
