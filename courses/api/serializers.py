"""Serializers of courses, parts and sections for /api/v1/."""

from __future__ import annotations

from django.contrib.auth.models import User
from rest_framework import serializers

from courses.models import Course, Part, Section
from deadlines.api.serializers import ScheduledSerializerMixin
from deadlines.models import SCHEDULE_FIELDS

MAX_MATERIAL_CHARS = 1_000_000


class CourseSerializer(ScheduledSerializerMixin):
    instructors = serializers.PrimaryKeyRelatedField(
        many=True, queryset=User.objects.all(), required=False
    )

    class Meta:
        model = Course
        fields = [
            "id", "slug", "title", "description", "language", "instructors",
            *SCHEDULE_FIELDS, "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]


class CourseUpdateSerializer(CourseSerializer):
    """What an instructor may change; the instructors themselves are set by an admin."""

    class Meta(CourseSerializer.Meta):
        read_only_fields = ["slug", "instructors", "created_at", "updated_at"]


class PartSerializer(ScheduledSerializerMixin):
    class Meta:
        model = Part
        fields = [
            "id", "course", "number", "title", "slug", "description", "study_time", "order",
            *SCHEDULE_FIELDS, "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is checked by the model's full_clean in the service.
        validators: list[object] = []


class PartUpdateSerializer(PartSerializer):
    class Meta(PartSerializer.Meta):
        read_only_fields = ["course", "created_at", "updated_at"]


class SectionSerializer(ScheduledSerializerMixin):
    material = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_MATERIAL_CHARS
    )
    topics = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, max_length=100
    )
    slug = serializers.SlugField(max_length=200, required=False)

    class Meta:
        model = Section
        fields = [
            "id", "part", "number", "title", "slug", "topics", "status", "order", "material",
            "material_html", *SCHEDULE_FIELDS, "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["material_html", "created_at", "updated_at"]
        validators: list[object] = []


class SectionUpdateSerializer(SectionSerializer):
    class Meta(SectionSerializer.Meta):
        read_only_fields = ["part", "material_html", "created_at", "updated_at"]
