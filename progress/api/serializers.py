"""Serializers of learner progress for /api/v1/."""

from __future__ import annotations

from rest_framework import serializers

from progress.models import SectionProgress


class SectionProgressSerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="section.part.course_id", read_only=True)
    part = serializers.IntegerField(source="section.part_id", read_only=True)

    class Meta:
        model = SectionProgress
        fields = [
            "id", "learner", "course", "part", "section", "items_complete", "items_total",
            "material_read_at", "completed", "completed_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CourseProgressSerializer(serializers.Serializer):
    course = serializers.IntegerField()
    sections_completed = serializers.IntegerField()
    sections_total = serializers.IntegerField()
    percent = serializers.IntegerField()


class LearnerProgressSerializer(serializers.Serializer):
    learner = serializers.IntegerField()
    username = serializers.CharField()
    sections_completed = serializers.IntegerField()
    sections_total = serializers.IntegerField()


class EnrollmentSerializer(serializers.Serializer):
    course = serializers.IntegerField()
    learner = serializers.IntegerField()
    created_at = serializers.DateTimeField()
