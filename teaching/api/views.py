"""/api/v1/regrades/: start a regrade (its dry run), read its progress and changes, apply it.
A course's instructors only; everyone else sees no job (404).

/api/v1/courses/<id>/extensions/: instructors grant and list; a learner lists their own.
/api/v1/courses/<id>/groups/: the course's groups of learners (instructors).
/api/v1/courses/<id>/releases/: release exam-mode results, and every release (instructors)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import teaches
from api.errors import ApiError
from api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from api.params import ChoiceFilter
from api.views_base import ReadViewSet, require_teaches
from courses.models import Course
from courses.selectors import course_get_by_id
from deadlines.api.serializers import (
    CourseGroupInputSerializer,
    CourseGroupSerializer,
    ExtensionCreateSerializer,
    ExtensionSerializer,
    ResultsReleaseInputSerializer,
    ResultsReleaseSerializer,
)
from deadlines.models import CourseGroup
from deadlines.selectors import (
    course_extensions,
    course_groups,
    course_releases,
    learner_extensions,
)
from grader.models import CodingExercise
from quizzes.models import Quiz
from teaching.api.serializers import (
    GradeChangeSerializer,
    RegradeJobSerializer,
    RegradeRequestSerializer,
)
from teaching.deadlines import extension_grant, group_save, results_release
from teaching.models import RegradeJob
from teaching.regrade import RegradeError, RegradeForbidden, regrade_apply, regrade_start
from teaching.selectors import (
    quiz_and_exercise_any,
    regrade_changes,
    regrade_jobs_visible_to,
    regrade_target_any,
    users_by_ids,
)


@extend_schema_view(
    list=extend_schema(tags=["regrades"]),
    retrieve=extend_schema(tags=["regrades"]),
)
class RegradeViewSet(ReadViewSet):
    serializer_class = RegradeJobSerializer
    queryset = RegradeJob.objects.none()  # (for the schema; get_queryset is per instructor)
    http_method_names = ["get", "post", "head", "options"]
    filters = {"status": ChoiceFilter("status", RegradeJob.Status.values, "jobs in this status")}

    def base_queryset(self) -> QuerySet[RegradeJob]:
        return regrade_jobs_visible_to(self.request.user)

    @extend_schema(
        tags=["regrades"],
        request=RegradeRequestSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: RegradeJobSerializer},
        description="Start a regrade: its dry run is queued; read the job for its progress "
        "and its changes, then apply it.",
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = RegradeRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        # (an item the caller cannot see is not found, whatever it is)
        kind = next(k for k in ("question", "quiz", "exercise") if k in data)
        target = regrade_target_any(kind=kind, pk=data[kind])
        try:
            job = regrade_start(
                by=request.user,
                reason=data["reason"],
                latest_only=data["scope"] == RegradeJob.Scope.LATEST,
                **target,
            )
        except RegradeForbidden:
            raise ApiError("not_found", _("Not found."), status_code=404) from None
        except RegradeError as error:
            raise ApiError("invalid_regrade", str(error)) from None
        return Response(
            RegradeJobSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api:regrade-detail", kwargs={"pk": job.pk})},
        )

    @extend_schema(tags=["regrades"], responses={200: GradeChangeSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def changes(self, request: Request, pk: str | None = None) -> Response:
        """Whose grade the regrade changes (or would): old and new score and pass state."""
        job = self.get_object()
        page = self.paginate_queryset(regrade_changes(job=job))
        return self.get_paginated_response(GradeChangeSerializer(page, many=True).data)

    @extend_schema(
        tags=["regrades"],
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: RegradeJobSerializer},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def apply(self, request: Request, pk: str | None = None) -> Response:
        """Write the dry run's changes: grades, their history and learners' progress."""
        job = self.get_object()
        try:
            job = regrade_apply(job=job, by=request.user)
        except RegradeError as error:
            raise ApiError("regrade_not_ready", str(error), status_code=409) from None
        return Response(RegradeJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class CourseExtensionsView(APIView):
    @extend_schema(tags=["deadlines"], responses={200: ExtensionSerializer(many=True)})
    def get(self, request: Request, course_id: int) -> Response:
        """Every grant of the course (instructors), or the caller's own (a learner)."""
        course = course_get_by_id(course_id=course_id)
        if course is None:
            raise Http404
        if teaches(request.user, course.pk):
            grants = course_extensions(course_id=course.pk)
        else:
            grants = learner_extensions(learner_id=request.user.pk, course_id=course.pk)
        return Response(ExtensionSerializer(grants, many=True).data)

    @extend_schema(
        tags=["deadlines"],
        request=ExtensionCreateSerializer,
        responses={201: ExtensionSerializer},
    )
    def post(self, request: Request, course_id: int) -> Response:
        """Grant a learner of the course an extension (instructors); recorded with who and when."""
        course = course_get_by_id(course_id=course_id)
        if course is None:
            raise Http404
        require_teaches(request.user, course.pk)
        given = ExtensionCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        learner = (
            next(iter(users_by_ids(ids=[data["learner"]])), None) if data.get("learner") else None
        )
        group = course_groups(course_id=course.pk).filter(pk=data.get("group")).first()
        quiz, exercise = _items(data)
        _refuse_missing(
            data, learner=learner, group=group if data.get("group") else True, quiz=quiz,
            exercise=exercise,
        )  # fmt: skip
        extension = extension_grant(
            course=course, learner=learner, group=group, granted_by=request.user,
            reason=data["reason"],
            quiz=quiz, exercise=exercise, due_at=data.get("due_at"),
            cutoff_at=data.get("cutoff_at"), time_multiplier=data["time_multiplier"],
            extra_attempts=data["extra_attempts"],
        )  # fmt: skip
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)


def _items(data: dict[str, Any]) -> tuple[Quiz | None, CodingExercise | None]:
    return quiz_and_exercise_any(quiz_id=data.get("quiz"), exercise_id=data.get("exercise"))


def _refuse_missing(data: dict[str, Any], **found: object) -> None:
    """A 400 naming each given id that names nothing."""
    missing = {
        name: [_("No such id.")] for name, row in found.items() if data.get(name) and row is None
    }
    if missing:
        raise ValidationError(missing)


def _taught_course(request: Request, course_id: int) -> Course:
    course = course_get_by_id(course_id=course_id)
    if course is None:
        raise Http404
    require_teaches(request.user, course.pk)
    return course


class CourseGroupsView(APIView):
    @extend_schema(tags=["deadlines"], responses={200: CourseGroupSerializer(many=True)})
    def get(self, request: Request, course_id: int) -> Response:
        """The course's groups of learners, with their members (instructors)."""
        course = _taught_course(request, course_id)
        return Response(CourseGroupSerializer(course_groups(course_id=course.pk), many=True).data)

    @extend_schema(
        tags=["deadlines"],
        request=CourseGroupInputSerializer,
        responses={201: CourseGroupSerializer},
    )
    def post(self, request: Request, course_id: int) -> Response:
        """Create a group of the course's learners (every member enrolled in the course)."""
        course = _taught_course(request, course_id)
        given = CourseGroupInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        members = users_by_ids(ids=given.validated_data["members"])
        unknown = set(given.validated_data["members"]) - {user.pk for user in members}
        if unknown:
            raise ValidationError({"members": [_("No such id.")]})
        group: CourseGroup = group_save(
            course=course, name=given.validated_data["name"], members=members
        )
        return Response(CourseGroupSerializer(group).data, status=status.HTTP_201_CREATED)


class CourseReleasesView(APIView):
    @extend_schema(tags=["deadlines"], responses={200: ResultsReleaseSerializer(many=True)})
    def get(self, request: Request, course_id: int) -> Response:
        """Every release of exam-mode results in the course: who, when (instructors)."""
        course = _taught_course(request, course_id)
        releases = course_releases(course_id=course.pk)
        return Response(ResultsReleaseSerializer(releases, many=True).data)

    @extend_schema(
        tags=["deadlines"],
        request=ResultsReleaseInputSerializer,
        responses={201: ResultsReleaseSerializer},
    )
    def post(self, request: Request, course_id: int) -> Response:
        """Release the held results of one quiz or exercise of the course now."""
        course = _taught_course(request, course_id)
        given = ResultsReleaseInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        quiz, exercise = _items(given.validated_data)
        _refuse_missing(given.validated_data, quiz=quiz, exercise=exercise)
        item = quiz or exercise
        if item is None or (quiz and exercise):
            raise ValidationError({"quiz": [_("Name one quiz or one exercise.")]})
        if item.section.part.course_id != course.pk:
            raise ValidationError(
                {"quiz" if quiz else "exercise": [_("This is not in the course.")]}
            )
        release = results_release(item=item, released_by=request.user)
        return Response(ResultsReleaseSerializer(release).data, status=status.HTTP_201_CREATED)
