"""Code exercises and submissions.

Instructors write exercises (the check runs in the `code` worker: 202); learners
read published ones without hidden tests or reference, submit code (202, poll)
and read only their own submissions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import teaches
from api.errors import ApiError
from api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from api.params import ChoiceFilter, IdFilter
from api.views_base import InstructorWriteViewSet, LearnerWorkViewSet
from grader.api.serializers import (
    DraftSerializer,
    DraftWriteSerializer,
    ExampleRunCreateSerializer,
    ExampleRunDetailSerializer,
    ExampleRunSerializer,
    ExerciseAuthorSerializer,
    ExerciseAuthorUpdateSerializer,
    ExerciseSerializer,
    QueuedSerializer,
    SubmissionCreateSerializer,
    SubmissionDetailSerializer,
    SubmissionSerializer,
)
from grader.models import CodingExercise, ExampleRun, Submission
from grader.selectors import (
    draft_get_for,
    example_run_view,
    example_runs_visible_to,
    exercise_visible_get,
    exercises_visible_to,
    submission_url,
    submission_view_for,
    submissions_gates,
    submissions_visible_to,
)
from grader.services import (
    DraftRefused,
    ExampleRunRefused,
    ExerciseError,
    GradingQueueFull,
    draft_save,
    example_run_create,
    exercise_api_save,
    exercise_deletable,
    exercise_delete,
    submission_create,
)


@extend_schema_view(
    list=extend_schema(
        tags=["exercises"],
        description="Instructors of the course get ExerciseAuthor (tests, reference); "
        "learners get Exercise.",
    ),
    retrieve=extend_schema(tags=["exercises"]),
    create=extend_schema(
        tags=["exercises"],
        request=ExerciseAuthorSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: ExerciseAuthorSerializer},
        description="Saved unpublished; the check (reference passes, starter fails) runs "
        "in the background and publishes it if `publish` and it passes. Poll check_status.",
    ),
    partial_update=extend_schema(
        tags=["exercises"],
        request=ExerciseAuthorUpdateSerializer,
        responses={202: ExerciseAuthorSerializer},
        description="Saved unpublished and checked again in the background (see create).",
    ),
    destroy=extend_schema(tags=["exercises"], responses={204: None}),
)
class ExerciseViewSet(InstructorWriteViewSet):
    model = CodingExercise
    parent_field = "section"
    serializer_class = ExerciseSerializer
    create_serializer_class = ExerciseAuthorSerializer
    update_serializer_class = ExerciseAuthorUpdateSerializer
    filters = {
        "section": IdFilter("section_id", "exercises of this section"),
        "course": IdFilter("section__part__course_id", "exercises of this course"),
    }
    # Saved, the check queued: 202 with the exercise to poll (check_status).
    created_status = updated_status = status.HTTP_202_ACCEPTED

    def base_queryset(self) -> QuerySet[CodingExercise]:
        return exercises_visible_to(self.request.user).order_by("section_id", "order", "id")

    def course_id_of(self, instance: CodingExercise) -> int:
        return instance.section.part.course_id

    def present(self, instance: CodingExercise) -> Any:
        if teaches(self.request.user, self.course_id_of(instance)):
            return ExerciseAuthorSerializer(instance).data
        return ExerciseSerializer(instance).data

    def save_instance(self, instance: CodingExercise, options: Mapping[str, Any]) -> CodingExercise:
        # `publish` is no model field: the check publishes the exercise if it passes. An edit
        # that does not say keeps the exercise as published as it was.
        publish = options.get("publish", instance.is_published)
        return exercise_api_save(exercise=instance, publish=publish)

    def delete_instance(self, instance: CodingExercise) -> None:
        if not exercise_deletable(instance):
            raise ApiError(
                "in_use",
                _("Learners have submitted code to this exercise; unpublish it instead."),
                status_code=409,
            )
        exercise_delete(exercise=instance)

    def location(self, instance: CodingExercise) -> dict[str, str]:
        return {"Location": reverse("api:exercise-detail", kwargs={"pk": instance.pk})}

    @extend_schema(
        methods=["GET"],
        tags=["exercises"],
        responses=DraftSerializer,
        description="The caller's own draft of the exercise (what they last typed in its "
        "editor); 404 when they have none.",
    )
    @extend_schema(
        methods=["PUT"],
        tags=["exercises"],
        request=DraftWriteSerializer,
        responses=DraftSerializer,
        description="Save the caller's draft (the same file rules as a submission). At most "
        "GRADER_DRAFT_SAVES_PER_MINUTE a minute: 429 with Retry-After.",
    )
    @action(detail=True, methods=["get", "put"], url_path="draft")
    def draft(self, request: Request, pk: str | None = None) -> Response:
        exercise = self.get_object()
        if request.method == "PUT":
            given = DraftWriteSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            try:
                saved = draft_save(
                    learner=request.user, exercise=exercise, files=given.validated_data["files"]
                )
            except DraftRefused as error:
                raise exceptions.Throttled(wait=error.retry_after, detail=str(error)) from None
            except ExerciseError as error:
                raise ApiError("invalid_draft", str(error)) from None
            return Response(DraftSerializer(saved).data)
        found = draft_get_for(learner=request.user, exercise=exercise)
        if found is None:
            raise ApiError("not_found", _("You have no draft of this exercise."), status_code=404)
        return Response(DraftSerializer(found).data)


@extend_schema_view(
    list=extend_schema(tags=["submissions"]),
    retrieve=extend_schema(tags=["submissions"], responses=SubmissionDetailSerializer),
)
class SubmissionViewSet(LearnerWorkViewSet):
    serializer_class = SubmissionSerializer
    filters = {
        "exercise": IdFilter("exercise_id", "submissions to this exercise"),
        "learner": IdFilter("learner_id", "submissions of this learner"),
        "status": ChoiceFilter("status", Submission.Status.values, "submissions in this status"),
    }

    visible = staticmethod(submissions_visible_to)
    ordering = ("-created_at", "-id")

    gates: dict[int, Any] | None = None  # (a list's, set by list())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = list(self.paginate_queryset(self.get_queryset()) or [])
        # Each item's results gate (exam mode, dates) once for the page, not once per row.
        self.gates = submissions_gates(submissions=page)
        return self.get_paginated_response([self.present(row) for row in page])

    def present(self, instance: Submission) -> Any:
        detail = self.action != "list"
        view = submission_view_for(
            submission=instance, user=self.request.user, with_detail=detail, gates=self.gates
        )
        return (SubmissionDetailSerializer if detail else SubmissionSerializer)(view).data

    @extend_schema(
        tags=["submissions"],
        request=SubmissionCreateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: QueuedSerializer},
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = SubmissionCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        exercise = _exercise_for(request, given.validated_data["exercise"])
        try:
            submission = submission_create(
                learner=request.user,
                exercise=exercise,
                files=given.validated_data["files"],
            )
        except GradingQueueFull as error:
            raise ApiError(
                "queue_full", str(error), status_code=503, retry_after=error.retry_after
            ) from None
        except ExerciseError as error:
            raise ApiError("invalid_submission", str(error)) from None
        url = submission_url(submission.pk)
        return Response(
            QueuedSerializer({"id": submission.pk, "status": submission.status, "url": url}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": url},
        )


def _exercise_for(request: Request, exercise_id: int) -> CodingExercise:
    exercise = exercise_visible_get(user=request.user, exercise_id=exercise_id)
    if exercise is None:
        raise ApiError(
            "not_found",
            _("No such exercise."),
            status_code=404,
            fields={"exercise": [_("Unknown.")]},
        )
    return exercise


@extend_schema_view(
    list=extend_schema(
        tags=["example runs"], description="The caller's own runs of exercises' examples."
    ),
    retrieve=extend_schema(tags=["example runs"], responses=ExampleRunDetailSerializer),
)
class ExampleRunViewSet(LearnerWorkViewSet):
    """Runs of an exercise's visible example tests: not graded, not submissions, seen only by
    the learner who ran them (never by instructors)."""

    serializer_class = ExampleRunSerializer
    filters = {
        "exercise": IdFilter("exercise_id", "runs of this exercise's examples"),
        "status": ChoiceFilter("status", ExampleRun.Status.values, "runs in this status"),
    }
    visible = staticmethod(example_runs_visible_to)
    ordering = ("-created_at", "-id")

    def present(self, instance: ExampleRun) -> Any:
        view = example_run_view(run=instance)
        detail = self.action != "list"
        return (ExampleRunDetailSerializer if detail else ExampleRunSerializer)(view).data

    @extend_schema(
        tags=["example runs"],
        request=ExampleRunCreateSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: QueuedSerializer},
        description="Runs the files on the exercise's visible example tests in the sandbox "
        "(not graded, not a submission); poll `url`. At most "
        "GRADER_EXAMPLE_RUNS_PER_MINUTE a minute and one at a time: 429 with Retry-After.",
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ExampleRunCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        exercise = _exercise_for(request, given.validated_data["exercise"])
        try:
            run = example_run_create(
                learner=request.user, exercise=exercise, files=given.validated_data["files"]
            )
        except ExampleRunRefused as error:
            raise exceptions.Throttled(wait=error.retry_after, detail=str(error)) from None
        except GradingQueueFull as error:
            raise ApiError(
                "queue_full", str(error), status_code=503, retry_after=error.retry_after
            ) from None
        except ExerciseError as error:
            raise ApiError("invalid_example_run", str(error)) from None
        view = example_run_view(run=run)
        return Response(
            QueuedSerializer({"id": run.pk, "status": run.status, "url": view.url}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": view.url},
        )
