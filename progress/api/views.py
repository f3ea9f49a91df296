"""Progress: mine, a course's learners (instructors), enrolment, the CSV gradebook."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from api.params import IdFilter
from api.views_base import LearnerWorkViewSet, require_teaches
from courses.models import Course
from courses.selectors import course_get_by_id, section_get_published
from progress.api.gradebook import gradebook_csv_lines
from progress.api.serializers import (
    CourseProgressSerializer,
    EnrollmentSerializer,
    LearnerProgressSerializer,
    SectionProgressSerializer,
)
from progress.models import Enrollment
from progress.selectors import (
    course_completions,
    enrollments_of,
    gradebook_learners,
    is_enrolled,
    section_progress_row,
    section_progress_visible_to,
    sections_completed_by,
)
from progress.services import enrollment_create, section_mark_read


@extend_schema_view(
    list=extend_schema(tags=["progress"]),
    retrieve=extend_schema(tags=["progress"]),
)
class SectionProgressViewSet(LearnerWorkViewSet):
    """Section progress rows: a learner's own; an instructor's, of all learners in their courses."""

    serializer_class = SectionProgressSerializer
    filters = {
        "course": IdFilter("section__part__course_id", "sections of this course"),
        "learner": IdFilter("learner_id", "this learner's rows (instructors)"),
    }

    visible = staticmethod(section_progress_visible_to)
    ordering = ("learner_id", "section__part__order", "section__order", "section_id")


def _course(course_id: int) -> Course:
    course = course_get_by_id(course_id=course_id)
    if course is None:
        raise Http404
    return course


class MyCoursesView(generics.ListAPIView[Enrollment]):
    """The caller's enrolled courses with "N of M sections" completed."""

    serializer_class = CourseProgressSerializer

    def get_queryset(self) -> QuerySet[Enrollment]:
        return enrollments_of(learner=self.request.user)

    @extend_schema(tags=["progress"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        completions = course_completions(
            learner_id=request.user.pk, course_ids=[e.course_id for e in page]
        )
        out = [
            {
                "course": enrollment.course_id,
                "sections_completed": completions[enrollment.course_id].done,
                "sections_total": completions[enrollment.course_id].total,
                "percent": completions[enrollment.course_id].percent,
            }
            for enrollment in page
        ]
        return self.get_paginated_response(CourseProgressSerializer(out, many=True).data)


class CourseLearnersView(generics.ListAPIView[User]):
    """Instructors: every learner of the course (enrolled or with progress), paginated."""

    serializer_class = LearnerProgressSerializer

    def get_queryset(self) -> QuerySet[User]:
        course = _course(self.kwargs["course_id"])
        require_teaches(self.request.user, course.pk)
        return gradebook_learners(course).order_by("id")

    @extend_schema(tags=["progress"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        total, done = sections_completed_by(
            course_id=self.kwargs["course_id"], learner_ids=[u.pk for u in page]
        )
        out = [
            {
                "learner": user.pk,
                "username": user.get_username(),
                "sections_completed": done.get(user.pk, 0),
                "sections_total": total,
            }
            for user in page
        ]
        return self.get_paginated_response(LearnerProgressSerializer(out, many=True).data)


class EnrollmentView(APIView):
    @extend_schema(
        tags=["progress"],
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: EnrollmentSerializer, 200: EnrollmentSerializer},
    )
    @idempotent
    def post(self, request: Request, course_id: int) -> Response:
        """Enrol the caller in the course (200 if already enrolled)."""
        course = _course(course_id)
        existed = is_enrolled(learner=request.user, course=course)
        enrollment = enrollment_create(learner=request.user, course=course)
        body = EnrollmentSerializer(
            {"course": course.pk, "learner": request.user.pk, "created_at": enrollment.created_at}
        ).data
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class SectionReadView(APIView):
    @extend_schema(
        tags=["progress"],
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: SectionProgressSerializer},
    )
    @idempotent
    def post(self, request: Request, section_id: int) -> Response:
        """Mark a published section's material read (completes a section without items)."""
        section = section_get_published(section_id=section_id)
        if section is None:
            raise Http404
        section_mark_read(learner=request.user, section=section)
        row = section_progress_row(learner=request.user, section=section)
        return Response(SectionProgressSerializer(row).data)


class GradebookView(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body is CSV whatever the Accept header; errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=["progress"],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="learners × sections, per-item scores"
            )
        },
    )
    def get(self, request: Request, course_id: int) -> StreamingHttpResponse:
        """The course's gradebook as CSV, streamed (instructors)."""
        course = _course(course_id)
        require_teaches(request.user, course.pk)
        response = StreamingHttpResponse(
            gradebook_csv_lines(course=course), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="gradebook-{course.slug}.csv"'
        return response
