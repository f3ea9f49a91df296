"""/api/v1/courses/<id>/extensions/: instructors grant and list; a learner lists their own.
/api/v1/courses/<id>/groups/: the course's groups of learners (instructors).
/api/v1/courses/<id>/releases/: release exam-mode results, and every release (instructors)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import teaches
from api.views_base import require_teaches
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
from deadlines.services import extension_grant, group_save, results_release
from grader.models import CodingExercise
from quizzes.models import Quiz


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
            User.objects.filter(pk=data.get("learner")).first() if data.get("learner") else None
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
    quiz_id, exercise_id = data.get("quiz"), data.get("exercise")
    quiz = Quiz.objects.filter(pk=quiz_id).first() if quiz_id else None
    exercise = CodingExercise.objects.filter(pk=exercise_id).first() if exercise_id else None
    return quiz, exercise


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
        members = list(User.objects.filter(pk__in=given.validated_data["members"]))
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
