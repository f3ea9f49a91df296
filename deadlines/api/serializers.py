"""Extensions in the API: what a grant takes, and a grant as shown."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from api.params import MAX_ID
from deadlines.models import Extension


class ExtensionCreateSerializer(serializers.Serializer):
    learner = serializers.IntegerField(min_value=1, max_value=MAX_ID)
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
            "id", "course", "learner", "quiz", "exercise", "due_at", "cutoff_at",
            "time_multiplier", "extra_attempts", "reason", "granted_by", "granted_at",
        ]  # fmt: skip
        read_only_fields = fields
