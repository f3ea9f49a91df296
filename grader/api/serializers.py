"""Serializers of code exercises and submissions for /api/v1/.

A learner's exercise has the statement, the starter files and the visible
example tests, never the hidden tests, the reference solution or the check
report; a learner's submission results never carry the hidden tests' code.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.params import MAX_ID
from deadlines.api.serializers import ScheduledSerializerMixin
from deadlines.models import SCHEDULE_FIELDS
from grader.exercise_source import MAX_BYTES, MAX_FILES
from grader.models import CodingExercise, Draft, ExampleRun, Submission
from grader.runners.policy import Allowances

MAX_PATH_CHARS = 255


class FilesField(serializers.DictField):
    """{relative path: text}, at most 20 files and 256 KB in all."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.CharField(allow_blank=True, trim_whitespace=False),
                         **kwargs)  # fmt: skip

    def to_internal_value(self, data: Any) -> dict[str, str]:
        files: dict[str, str] = super().to_internal_value(data)
        if len(files) > MAX_FILES:
            raise serializers.ValidationError(_("At most %(n)s files.") % {"n": MAX_FILES})
        for path, text in files.items():
            if not path or len(path) > MAX_PATH_CHARS or path.startswith("/") or ".." in path:
                raise serializers.ValidationError(_("Bad file name: %(p)r.") % {"p": path[:80]})
            if "\x00" in text:
                raise serializers.ValidationError(_("Files are text (a NUL byte was found)."))
        size = sum(len(t.encode("utf-8", "surrogatepass")) for t in files.values())
        if size > MAX_BYTES:
            raise serializers.ValidationError(
                _("At most %(kb)s KB of files.") % {"kb": MAX_BYTES // 1024}
            )
        return files


INTEGRITY_HELP = (
    "How sure a pass is to be the learner's work (docs/grader.md): isolated (Python: learner "
    "code runs in a process of its own), checked (Go: learner code checked before it runs "
    "beside the tests), in-process (the exercise allows more: a pass could be forged)."
)


class ExerciseSerializer(serializers.ModelSerializer):
    """The learner's view."""

    integrity_level = serializers.ChoiceField(
        choices=CodingExercise.IntegrityLevel.choices, read_only=True, help_text=INTEGRITY_HELP
    )

    class Meta:
        model = CodingExercise
        fields = [
            "id", "section", "slug", "title", "statement", "language", "starter_files",
            "example_files", "scoring", "points", "cpu_seconds", "wall_seconds", "memory_mb",
            "output_kb", "order", "integrity_level", *SCHEDULE_FIELDS,
        ]  # fmt: skip
        read_only_fields = fields


class ExerciseAuthorSerializer(ScheduledSerializerMixin):
    """The instructor's view and input: tests and the reference solution included."""

    starter_files = FilesField()
    test_files = FilesField()
    example_files = FilesField(required=False)
    support_files = FilesField(required=False)
    reference_files = FilesField()
    publish = serializers.BooleanField(
        write_only=True, default=True, help_text=_("Publish once the check passes.")
    )
    allowances = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=200), max_length=50),
        required=False,
        help_text="Go only: what the tests need beyond the default policy, "
        '{"packages": [...], "functions": [...]}; any of it makes the exercise in-process.',
    )
    integrity_level = serializers.ChoiceField(
        choices=CodingExercise.IntegrityLevel.choices, read_only=True, help_text=INTEGRITY_HELP
    )

    class Meta:
        model = CodingExercise
        fields = [
            "id", "section", "slug", "title", "statement", "language", "starter_files",
            "test_files", "example_files", "support_files", "reference_files", "scoring",
            "points", "cpu_seconds", "wall_seconds", "memory_mb", "output_kb", "order",
            "publish", "is_published", "check_status", "check_report", "checked_at",
            "created_at", "updated_at", "allowances", "integrity_level", *SCHEDULE_FIELDS,
        ]  # fmt: skip
        read_only_fields = [
            "is_published", "check_status", "check_report", "checked_at", "created_at",
            "updated_at",
        ]  # fmt: skip
        validators: list[object] = []
        extra_kwargs = {
            "cpu_seconds": {"max_value": 60},
            "wall_seconds": {"max_value": 30},
            "memory_mb": {"max_value": 2048, "min_value": 16},
            "output_kb": {"max_value": 1024, "min_value": 1},
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        starter = attrs.get("starter_files", getattr(self.instance, "starter_files", {}))
        reference = attrs.get("reference_files", getattr(self.instance, "reference_files", {}))
        if set(starter) != set(reference):
            raise serializers.ValidationError(
                {"reference_files": [_("The reference must have the starter's files.")]}
            )
        allow = attrs.get("allowances", getattr(self.instance, "allowances", {}))
        language = attrs.get("language", getattr(self.instance, "language", None))
        if set(allow) - {"packages", "functions"}:
            raise serializers.ValidationError(
                {"allowances": [_('Only "packages" and "functions" can be allowed.')]}
            )
        if any(allow.values()) and language != CodingExercise.Language.GO:
            raise serializers.ValidationError(
                {"allowances": [_("Only Go exercises allow more than the default policy.")]}
            )
        allowances = Allowances.from_json(allow)
        if problems := allowances.problems():
            raise serializers.ValidationError({"allowances": problems})
        if "allowances" in attrs:
            attrs["allowances"] = allowances.to_json()
        return attrs


class ExerciseAuthorUpdateSerializer(ExerciseAuthorSerializer):
    class Meta(ExerciseAuthorSerializer.Meta):
        read_only_fields = [*ExerciseAuthorSerializer.Meta.read_only_fields, "section"]


class SubmissionCreateSerializer(serializers.Serializer):
    exercise = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    files = FilesField()


class SubmissionSerializer(serializers.ModelSerializer):
    """Serializes a grader.selectors.SubmissionView (what its viewer may see), not a row."""

    url = serializers.CharField(read_only=True)
    exercise = serializers.IntegerField(read_only=True)
    learner = serializers.IntegerField(read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id", "url", "exercise", "learner", "status", "verdict", "score", "tests_passed",
            "tests_total", "created_at", "graded_at", "raw_score", "late_seconds", "late_penalty",
        ]  # fmt: skip
        read_only_fields = fields


class SubmissionDetailSerializer(SubmissionSerializer):
    class Meta(SubmissionSerializer.Meta):
        fields = [
            *SubmissionSerializer.Meta.fields, "files", "results", "stdout", "stderr",
            "wall_seconds", "cpu_seconds",
        ]  # fmt: skip
        read_only_fields = fields


class QueuedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    url = serializers.CharField(help_text=_("Poll this for the result."))


class ExampleRunCreateSerializer(serializers.Serializer):
    exercise = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    files = FilesField()


class ExampleRunSerializer(serializers.ModelSerializer):
    """Serializes a grader.selectors.ExampleRunView (its learner's only), not a row."""

    url = serializers.CharField(read_only=True)
    exercise = serializers.IntegerField(read_only=True)
    error = serializers.CharField(
        read_only=True, help_text=_("Why it did not run (never the learner's fault).")
    )

    class Meta:
        model = ExampleRun
        fields = [
            "id", "url", "exercise", "status", "verdict", "tests_passed", "tests_total",
            "created_at", "finished_at", "error",
        ]  # fmt: skip
        read_only_fields = fields


class ExampleRunDetailSerializer(ExampleRunSerializer):
    class Meta(ExampleRunSerializer.Meta):
        fields = [*ExampleRunSerializer.Meta.fields, "files", "results", "stdout", "stderr"]
        read_only_fields = fields


class DraftWriteSerializer(serializers.Serializer):
    files = FilesField(help_text=_("The editor's files; files left out keep the starter code."))


class DraftSerializer(serializers.ModelSerializer):
    """The caller's own draft of an exercise (no one else's is ever shown)."""

    exercise = serializers.IntegerField(source="exercise_id", read_only=True)
    files = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Draft
        fields = ["exercise", "files", "updated_at"]
        read_only_fields = fields
