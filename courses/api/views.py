"""Courses, parts and sections: everyone reads published content; instructors write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.roles import is_admin
from api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from api.params import ChoiceFilter, IdFilter
from api.roles import ReadOnlyOrAuthenticated
from api.views_base import InstructorWriteViewSet, ReadViewSet, apply, require_teaches
from courses.api.serializers import (
    CourseSerializer,
    CourseUpdateSerializer,
    PartSerializer,
    PartUpdateSerializer,
    SectionSerializer,
    SectionUpdateSerializer,
)
from courses.models import Course, Part, Section
from courses.selectors import courses_listed, parts_listed, sections_visible_to
from courses.services import (
    PartNotEmpty,
    course_save,
    part_delete,
    part_save,
    section_archive,
    section_save,
    section_slug_for,
)


def _schema(tag: str, *, deletes: str = "") -> Any:
    """The OpenAPI operations of a content view set (tag, idempotent create)."""
    return extend_schema_view(
        list=extend_schema(tags=[tag]),
        retrieve=extend_schema(tags=[tag]),
        create=extend_schema(tags=[tag], parameters=[IDEMPOTENCY_PARAMETER]),
        partial_update=extend_schema(tags=[tag]),
        destroy=extend_schema(tags=[tag], responses={204: None}, description=deletes),
    )


@_schema("courses")
class CourseViewSet(ReadViewSet):
    """Every course is public. Admins create and delete; instructors edit theirs."""

    permission_classes = [ReadOnlyOrAuthenticated]
    serializer_class = CourseSerializer

    def base_queryset(self) -> QuerySet[Course]:
        return courses_listed()

    def get_serializer_class(self) -> Any:
        if self.action == "partial_update" and not is_admin(self.request.user):
            return CourseUpdateSerializer
        return CourseSerializer

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not is_admin(request.user):
            raise exceptions.PermissionDenied(_("Only admins create courses."))
        given = CourseSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        instructors = data.pop("instructors", [])
        course = course_save(course=apply(Course(), data))
        course.instructors.set(instructors)
        return Response(CourseSerializer(course).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self.get_object()
        require_teaches(request.user, course.pk)
        given = self.get_serializer(course, data=request.data, partial=True)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        instructors = data.pop("instructors", None)
        course_save(course=apply(course, data))
        if instructors is not None:
            course.instructors.set(instructors)
        return Response(CourseSerializer(course).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self.get_object()
        if not is_admin(request.user):
            raise exceptions.PermissionDenied(_("Only admins delete courses."))
        course.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


@_schema("courses")
class PartViewSet(InstructorWriteViewSet):
    permission_classes = [ReadOnlyOrAuthenticated]
    model = Part
    parent_field = "course"
    serializer_class = create_serializer_class = PartSerializer
    update_serializer_class = PartUpdateSerializer
    filters = {"course": IdFilter("course_id", "this course's parts")}

    def base_queryset(self) -> QuerySet[Part]:
        return parts_listed()

    def course_id_of(self, instance: Part) -> int:
        return instance.course_id

    def save_instance(self, instance: Part, options: Mapping[str, Any]) -> Part:
        return part_save(part=instance)

    def delete_instance(self, instance: Part) -> None:
        try:
            part_delete(part=instance)
        except PartNotEmpty:
            raise exceptions.ValidationError(
                {"sections": [_("Archive or move the part's sections first.")]}
            ) from None


@_schema(
    "courses",
    deletes="Archives the section (learner progress hangs off it).",
)
class SectionViewSet(InstructorWriteViewSet):
    """Planned and published sections are listed; archived ones only to their instructors."""

    permission_classes = [ReadOnlyOrAuthenticated]
    model = Section
    parent_field = "part"
    serializer_class = create_serializer_class = SectionSerializer
    update_serializer_class = SectionUpdateSerializer
    filters = {
        "course": IdFilter("part__course_id", "sections of this course"),
        "part": IdFilter("part_id", "sections of this part"),
        "status": ChoiceFilter("status", Section.Status.values, "sections in this status"),
    }

    def base_queryset(self) -> QuerySet[Section]:
        return sections_visible_to(self.request.user)

    def course_id_of(self, instance: Section) -> int:
        return instance.part.course_id

    def save_instance(self, instance: Section, options: Mapping[str, Any]) -> Section:
        if not instance.slug:
            instance.slug = section_slug_for(title=instance.title, source_path="")
        return section_save(section=instance)

    def delete_instance(self, instance: Section) -> None:
        section_archive(section=instance)
