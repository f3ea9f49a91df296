"""Regrade jobs and their grade changes, as the API shows them to a course's instructors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from teaching.models import GradeChange, RegradeJob
from teaching.regrade import job_summary


class RegradeRequestSerializer(serializers.Serializer[Any]):
    """Exactly one of question, quiz, exercise."""

    question = serializers.IntegerField(required=False, min_value=1)
    quiz = serializers.IntegerField(required=False, min_value=1)
    exercise = serializers.IntegerField(required=False, min_value=1)
    scope = serializers.ChoiceField(choices=RegradeJob.Scope.choices, default="all")
    reason = serializers.CharField(max_length=2000, help_text="why: kept in the grades' history")

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("question", "quiz", "exercise") if name in data]
        if len(given) != 1:
            raise serializers.ValidationError("give exactly one of question, quiz, exercise")
        return data


class RegradeSummarySerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    computed = serializers.IntegerField()
    changes = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    not_run = serializers.IntegerField(help_text="submissions the sandbox could not run")
    pass_to_fail = serializers.IntegerField()
    fail_to_pass = serializers.IntegerField()
    applied = serializers.IntegerField()
    stale = serializers.IntegerField(help_text="graded again since the dry run: left alone")
    score_delta = serializers.DecimalField(max_digits=12, decimal_places=2)


class RegradeJobSerializer(serializers.ModelSerializer[RegradeJob]):
    summary = serializers.SerializerMethodField()
    percent_done = serializers.IntegerField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    applied_by = serializers.CharField(
        source="applied_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = RegradeJob
        fields = [
            "id", "course", "target", "question", "quiz", "exercise", "scope", "reason",
            "status", "percent_done", "summary", "versions", "created_by", "created_at",
            "computed_at", "applied_by", "applied_at", "error",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(RegradeSummarySerializer)
    def get_summary(self, job: RegradeJob) -> dict[str, Any]:
        return job_summary(job)


class GradeChangeSerializer(serializers.ModelSerializer[GradeChange]):
    learner = serializers.CharField(source="learner.username", read_only=True)

    class Meta:
        model = GradeChange
        fields = [
            "id", "learner", "attempt", "submission", "old_score", "new_score", "old_passed",
            "new_passed", "status", "applied_at",
        ]  # fmt: skip
        read_only_fields = fields
