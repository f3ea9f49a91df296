"""Webhook endpoints (each user manages their own) and their delivery log, with replay."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ApiError
from api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from api.params import ChoiceFilter, IdFilter
from api.views_base import ReadViewSet
from webhooks.api.serializers import DeliverySerializer, EndpointSerializer
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from webhooks.selectors import deliveries_of, endpoints_of
from webhooks.services import (
    WebhookError,
    delivery_replay,
    endpoint_create,
    endpoint_delete,
    endpoint_update,
)


@extend_schema_view(
    list=extend_schema(tags=["webhooks"]),
    retrieve=extend_schema(tags=["webhooks"]),
    create=extend_schema(tags=["webhooks"], parameters=[IDEMPOTENCY_PARAMETER]),
    partial_update=extend_schema(tags=["webhooks"]),
    destroy=extend_schema(tags=["webhooks"], responses={204: None}),
)
class EndpointViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[WebhookEndpoint]
):
    serializer_class = EndpointSerializer
    queryset = WebhookEndpoint.objects.none()  # (for the schema; get_queryset is per owner)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return endpoints_of(self.request.user)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = EndpointSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            endpoint = endpoint_create(owner=request.user, **given.validated_data)
        except WebhookError as error:
            raise ApiError("invalid_endpoint", str(error)) from None
        return Response(EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        given = EndpointSerializer(endpoint, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        try:
            endpoint_update(endpoint=endpoint, **given.validated_data)
        except WebhookError as error:
            raise ApiError("invalid_endpoint", str(error)) from None
        return Response(EndpointSerializer(endpoint).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint_delete(endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(tags=["webhooks"]),
    retrieve=extend_schema(tags=["webhooks"]),
)
class DeliveryViewSet(ReadViewSet):
    serializer_class = DeliverySerializer
    queryset = WebhookDelivery.objects.none()  # (for the schema; get_queryset is per owner)
    filters = {
        "endpoint": IdFilter("endpoint_id", "deliveries to this endpoint"),
        "event": ChoiceFilter("event", Event.values, "deliveries of this event"),
        "status": ChoiceFilter(
            "status", WebhookDelivery.Status.values, "deliveries in this status"
        ),
    }

    def base_queryset(self) -> QuerySet[WebhookDelivery]:
        return deliveries_of(self.request.user)

    @extend_schema(
        tags=["webhooks"],
        request=None,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Send the delivery's body again as a new delivery (new X-Zachet-Delivery id)."""
        replay = delivery_replay(delivery=self.get_object())
        return Response(DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)
