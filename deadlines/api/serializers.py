"""Extensions in the API: what a grant takes, and a grant as shown."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from api.params import MAX_ID
from deadlines.models import CourseGroup, Extension, ResultsRelease, schedule_check

DATE_FIELDS = ("opens_at", "due_at", "cutoff_at", "results_release_at")


class ScheduledSerializerMixin(serializers.ModelSerializer):
    """The dates, late policy and exam mode of a course, part, section, quiz or exercise
    (deadlines.models.Scheduled) in an authoring serializer: checked together, a partial
    update with the stored ones. Meta.fields lists deadlines.models.SCHEDULE_FIELDS."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)

        def value(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        errors: dict[str, Any] = {}
        for name in DATE_FIELDS:
            # Far-off years come out with odd historical UTC offsets (LMT "+02:30:17").
            date = attrs.get(name)
            if date is not None and not 2000 <= date.year <= 2999:
                errors[name] = [_("A date between the years 2000 and 2999.")]
        try:
            schedule_check(
                opens_at=value("opens_at"), due_at=value("due_at"),
                cutoff_at=value("cutoff_at"), late_percent=value("late_percent"),
                late_cap=value("late_cap"),
            )  # fmt: skip
        except DjangoValidationError as error:
            errors = error.message_dict | errors
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ExtensionCreateSerializer(serializers.Serializer):
    learner = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    group = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    quiz = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    exercise = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    cutoff_at = serializers.DateTimeField(required=False, allow_null=True)
    time_multiplier = serializers.DecimalField(
        max_digits=4, decimal_places=2, required=False, default=Decimal(1)
    )
    extra_attempts = serializers.IntegerField(min_value=0, max_value=100, required=False, default=0)
    reason = serializers.CharField(max_length=2000)


class ExtensionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Extension
        fields = [
            "id", "course", "learner", "group", "quiz", "exercise", "due_at", "cutoff_at",
            "time_multiplier", "extra_attempts", "reason", "granted_by", "granted_at",
        ]  # fmt: skip
        read_only_fields = fields


class CourseGroupInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    members = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=5000
    )


class CourseGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = CourseGroup
        fields = ["id", "course", "name", "members", "created_at"]
        read_only_fields = fields


class ResultsReleaseInputSerializer(serializers.Serializer):
    quiz = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    exercise = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True
    )


class ResultsReleaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResultsRelease
        fields = ["id", "quiz", "exercise", "released_by", "released_at"]
        read_only_fields = fields
