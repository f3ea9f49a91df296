"""/api/v1/: the REST API for integrations (docs/api.md), its schema and its docs."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api.errors import api_not_found
from api.views import MeView, TokenView
from courses.api.views import CourseViewSet, PartViewSet, SectionViewSet
from grader.api.views import ExampleRunViewSet, ExerciseViewSet, SubmissionViewSet
from progress.api.views import (
    CourseLearnersView,
    EnrollmentView,
    GradebookView,
    MyCoursesView,
    SectionProgressViewSet,
    SectionReadView,
)
from quizzes.api.views import (
    AttemptViewSet,
    QuestionBankImportView,
    QuestionViewSet,
    QuizExportView,
    QuizViewSet,
)
from teaching.api.views import (
    CourseExtensionsView,
    CourseGroupsView,
    CourseReleasesView,
    RegradeViewSet,
)
from webhooks.api.views import DeliveryViewSet, EndpointViewSet

app_name = "api"

router = SimpleRouter()
router.register("courses", CourseViewSet, basename="course")
router.register("parts", PartViewSet, basename="part")
router.register("sections", SectionViewSet, basename="section")
router.register("quizzes", QuizViewSet, basename="quiz")
router.register("questions", QuestionViewSet, basename="question")
router.register("attempts", AttemptViewSet, basename="attempt")
router.register("exercises", ExerciseViewSet, basename="exercise")
router.register("submissions", SubmissionViewSet, basename="submission")
router.register("example-runs", ExampleRunViewSet, basename="example-run")
router.register("progress/sections", SectionProgressViewSet, basename="section-progress")
router.register("regrades", RegradeViewSet, basename="regrade")
router.register("webhooks/endpoints", EndpointViewSet, basename="webhook-endpoint")
router.register("webhooks/deliveries", DeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
    path("progress/courses/", MyCoursesView.as_view(), name="my-courses"),
    path("courses/<int:course_id>/learners/", CourseLearnersView.as_view(), name="learners"),
    path("courses/<int:course_id>/enrollment/", EnrollmentView.as_view(), name="enrollment"),
    path("courses/<int:course_id>/gradebook.csv", GradebookView.as_view(), name="gradebook"),
    path(
        "courses/<int:course_id>/extensions/",
        CourseExtensionsView.as_view(),
        name="course-extensions",
    ),
    path("courses/<int:course_id>/groups/", CourseGroupsView.as_view(), name="course-groups"),
    path("courses/<int:course_id>/releases/", CourseReleasesView.as_view(), name="course-releases"),
    path("sections/<int:section_id>/read/", SectionReadView.as_view(), name="section-read"),
    path(
        "sections/<int:section_id>/question-bank/",
        QuestionBankImportView.as_view(),
        name="question-bank-import",
    ),
    path("quizzes/<int:quiz_id>/export/", QuizExportView.as_view(), name="quiz-export"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include(router.urls)),
    re_path(r"^.*$", api_not_found),
]
