"""/api/v1/courses/<id>/extensions/: instructors grant and list; a learner lists their own."""

from __future__ import annotations

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
from courses.selectors import course_get_by_id
from deadlines.api.serializers import ExtensionCreateSerializer, ExtensionSerializer
from deadlines.selectors import course_extensions, learner_extensions
from deadlines.services import extension_grant
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
        learner = User.objects.filter(pk=data["learner"]).first()
        quiz = Quiz.objects.filter(pk=data.get("quiz")).first() if data.get("quiz") else None
        exercise = (
            CodingExercise.objects.filter(pk=data.get("exercise")).first()
            if data.get("exercise")
            else None
        )
        missing = {
            name: [_("No such id.")]
            for name, wanted, found in [
                ("learner", data["learner"], learner),
                ("quiz", data.get("quiz"), quiz),
                ("exercise", data.get("exercise"), exercise),
            ]
            if wanted and found is None
        }
        if missing:
            raise ValidationError(missing)
        assert learner is not None
        extension = extension_grant(
            course=course, learner=learner, granted_by=request.user, reason=data["reason"],
            quiz=quiz, exercise=exercise, due_at=data.get("due_at"),
            cutoff_at=data.get("cutoff_at"), time_multiplier=data["time_multiplier"],
            extra_attempts=data["extra_attempts"],
        )  # fmt: skip
        return Response(ExtensionSerializer(extension).data, status=status.HTTP_201_CREATED)
