"""What every resource view of /api/v1/ shares: role checks, filters and the write pattern.

A write validates its input with a serializer, applies its model fields to a model
instance, checks the caller teaches the instance's course, and hands the instance to a
service that validates and saves it, with the input that is no field of the model (an
exercise's `publish`) as an argument of its own: never smuggled on the instance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import is_any_instructor, teaches
from api.idempotency import idempotent
from api.params import ListFilter


def require_teaches(user: Any, course_id: int) -> None:
    if not teaches(user, course_id):
        raise exceptions.PermissionDenied(_("Only the course's instructors may do this."))


def apply(instance: Any, data: dict[str, Any]) -> Any:
    """Set validated fields on an unsaved or loaded instance (many-to-many left out)."""
    for name, value in data.items():
        setattr(instance, name, value)
    return instance


def split_input(
    model: type[Model], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validated input as (the model's fields, the rest: options of the save)."""
    names = {field.name for field in model._meta.concrete_fields}
    fields = {name: value for name, value in data.items() if name in names}
    return fields, {name: value for name, value in data.items() if name not in names}


class ReadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Any]):
    """List and detail, with the query-parameter filters the class declares."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    # The list's query parameters; the OpenAPI schema documents them from here (api.schema).
    filters: dict[str, ListFilter] = {}

    def base_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        rows = self.base_queryset()
        for name, wanted in self.filters.items():
            if (value := wanted.value(self.request, name)) is not None:
                rows = rows.filter(**{wanted.field: value})
        return rows

    def present(self, instance: Any) -> Any:
        """The instance as the caller may see it (a view may answer per role)."""
        return self.get_serializer(instance).data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([self.present(row) for row in page or []])

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.present(self.get_object()))


class InstructorWriteViewSet(ReadViewSet):
    """Create, edit and delete by the instructors of the instance's course."""

    model: type[Model]
    # The field naming the parent (its course decides who may write): "quiz", "section"...
    parent_field: str
    create_serializer_class: Any
    update_serializer_class: Any
    # 202 where the save queues more work (an exercise's check).
    created_status = status.HTTP_201_CREATED
    updated_status = status.HTTP_200_OK

    def location(self, instance: Any) -> dict[str, str]:
        """Headers of a write's response: a Location to poll, where there is one."""
        return {}

    def course_id_of(self, instance: Any) -> int:
        raise NotImplementedError

    def save_instance(self, instance: Any, options: Mapping[str, Any]) -> Any:
        """Save through the app's service; `options`: the input that is no model field (only
        what was sent: on a partial update a field left out is not there)."""
        raise NotImplementedError

    def delete_instance(self, instance: Any) -> None:
        instance.delete()

    def get_serializer_class(self) -> Any:
        if self.action == "partial_update":
            return self.update_serializer_class
        if self.action == "create":
            return self.create_serializer_class
        return self.serializer_class

    def validated_instance(self, instance: Any, *, partial: bool) -> tuple[Any, dict[str, Any]]:
        user = self.request.user
        if not is_any_instructor(user):  # before any lookup: learners learn nothing of ids
            raise exceptions.PermissionDenied(_("Only the course's instructors may do this."))
        serializer = self.update_serializer_class if partial else self.create_serializer_class
        given = serializer(instance if partial else None, data=self.request.data, partial=partial)
        given.is_valid(raise_exception=True)
        if partial:
            require_teaches(user, self.course_id_of(instance))
        fields, options = split_input(self.model, given.validated_data)
        instance = apply(instance, fields)
        if not teaches(user, self.course_id_of(instance)):
            # The parent exists but is another course's: answered as if it did not exist,
            # so that ids of other courses' (unpublished) content cannot be probed.
            value = given.validated_data.get(self.parent_field)
            key = getattr(value, "pk", value)
            message = PrimaryKeyRelatedField.default_error_messages["does_not_exist"]
            raise exceptions.ValidationError({self.parent_field: [message.format(pk_value=key)]})
        return instance, options

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.save_instance(*self.validated_instance(self.model(), partial=False))
        return Response(
            self.present(instance), status=self.created_status, headers=self.location(instance)
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.save_instance(*self.validated_instance(self.get_object(), partial=True))
        return Response(
            self.present(instance), status=self.updated_status, headers=self.location(instance)
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        require_teaches(request.user, self.course_id_of(instance))
        self.delete_instance(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LearnerWorkViewSet(ReadViewSet):
    """Learners' work (attempts, submissions, progress): what the app's `<work>_visible_to`
    selector lets the caller see (a learner's own rows, every row of the courses the caller
    teaches), the same function the pages use; filterable by learner."""

    visible: Callable[[Any], QuerySet[Any]]
    ordering: Sequence[str]

    def base_queryset(self) -> QuerySet[Any]:
        return self.visible(self.request.user).order_by(*self.ordering)
