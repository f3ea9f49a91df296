"""/api/v1/regrades/: start a regrade (its dry run), read its progress and changes, apply it.
A course's instructors only; everyone else sees no job (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from api.params import ChoiceFilter
from api.views_base import ReadViewSet
from teaching.api.serializers import (
    GradeChangeSerializer,
    RegradeJobSerializer,
    RegradeRequestSerializer,
)
from teaching.models import RegradeJob
from teaching.regrade import RegradeError, RegradeForbidden, regrade_apply, regrade_start
from teaching.selectors import regrade_changes, regrade_jobs_visible_to, regrade_target_any


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
