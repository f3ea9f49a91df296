"""Serializers of quizzes, questions and attempts for /api/v1/.

A learner's question carries `spec` as `quizzes.presentation.public_spec` makes
it: what to choose from, never weights, correct answers or per-answer feedback.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from api.params import MAX_ID
from deadlines.api.serializers import ScheduledSerializerMixin
from deadlines.models import SCHEDULE_FIELDS
from quizzes import grading
from quizzes.models import Attempt, Question, Quiz
from quizzes.presentation import question_text_html, quiz_title_for_learners
from quizzes.services import MAX_RESPONSE_BYTES

MAX_SPEC_BYTES = 256 * 1024
SPEC_HELP = (
    "What to choose from; never what is right. Each choice's, item's and "
    "prompt's text also rendered (`text_html`, `prompt_html`, a matching question's "
    "`options_html`); a fill-in-the-blanks question's `text_html` is its text rendered "
    'with each gap in place as an empty `<span class="gap" data-gap="ID">`.'
)
TEXT_HTML_HELP = "`text` rendered in its `text_format`, as the pages show it: sanitised HTML."
MAX_ANSWERS = 500


def json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))


class QuizSerializer(ScheduledSerializerMixin):
    title_shown = serializers.SerializerMethodField(
        help_text="The title as learners read it beside its section (quizzes.presentation."
        "quiz_title_for_learners): without the section's number, never the section's title "
        "twice."
    )
    instructions_html = serializers.SerializerMethodField(
        help_text="`instructions` (Markdown) rendered as the pages show them: sanitised HTML."
    )

    class Meta:
        model = Quiz
        fields = [
            "id", "section", "title", "title_shown", "instructions", "instructions_html",
            "pass_score", "max_attempts",
            "time_limit", "score_policy", "retry_penalty", "shuffle_questions",
            "shuffle_choices", "feedback_policy", *SCHEDULE_FIELDS, "order", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def get_title_shown(self, quiz: Quiz) -> str:
        section = quiz.section
        return quiz_title_for_learners(
            quiz.title, section_number=section.number, section_title=section.title
        )

    def get_instructions_html(self, quiz: Quiz) -> str:
        return question_text_html(quiz.instructions, "markdown")


class QuizUpdateSerializer(QuizSerializer):
    class Meta(QuizSerializer.Meta):
        read_only_fields = ["section", "created_at", "updated_at"]


class QuestionSerializer(serializers.ModelSerializer):
    """The instructor's view: the whole spec, answer keys included."""

    type = serializers.ChoiceField(choices=list(grading.QUESTION_TYPES))
    spec = serializers.JSONField()

    class Meta:
        model = Question
        fields = [
            "id", "quiz", "type", "title", "text", "text_format", "points", "order",
            "explanation", "spec", "tags", "idnumber", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def validate_tags(self, value: Any) -> Any:
        # (as Moodle keeps them: a list of short texts)
        if not isinstance(value, list) or not all(
            isinstance(tag, str) and 0 < len(tag) <= 100 for tag in value
        ):
            raise serializers.ValidationError(_("Tags are a list of texts of 1 to 100 characters."))
        return value

    def validate_spec(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("The spec is a JSON object."))
        if json_size(value) > MAX_SPEC_BYTES:
            raise serializers.ValidationError(_("The spec is larger than 256 KB."))
        return value


class QuestionUpdateSerializer(QuestionSerializer):
    class Meta(QuestionSerializer.Meta):
        read_only_fields = ["quiz", "created_at", "updated_at"]


class PublicQuestionSerializer(serializers.Serializer):
    """The learner's view of a question: `spec` without answer keys."""

    id = serializers.IntegerField()
    quiz = serializers.IntegerField()
    type = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    text_format = serializers.CharField()
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    order = serializers.IntegerField()
    spec = serializers.DictField(help_text=SPEC_HELP)
    text_html = serializers.CharField(help_text=TEXT_HTML_HELP)


class AttemptStartSerializer(serializers.Serializer):
    quiz = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class AttemptResultSerializer(serializers.Serializer):
    score = serializers.DecimalField(max_digits=9, decimal_places=2)
    max_score = serializers.DecimalField(max_digits=9, decimal_places=2)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    passed = serializers.BooleanField()
    penalty = serializers.IntegerField()
    raw_score = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    late_penalty = serializers.IntegerField()


class AttemptQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()
    text_format = serializers.CharField()
    text_html = serializers.CharField(help_text=TEXT_HTML_HELP)
    points = serializers.CharField()
    spec = serializers.DictField(help_text=SPEC_HELP)
    response = serializers.JSONField(allow_null=True)
    # Present only when the quiz's feedback policy shows it.
    score = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, required=False
    )
    feedback = serializers.ListField(child=serializers.CharField(), required=False)
    explanation = serializers.CharField(required=False)

    def to_representation(self, instance: Any) -> Any:
        """An AttemptQuestionView; feedback the policy hides stays out (not null)."""
        shown = instance.feedback
        flat = {
            "id": instance.id, "type": instance.type, "title": instance.title,
            "text": instance.text, "text_format": instance.text_format,
            "text_html": instance.text_html, "points": instance.points, "spec": instance.spec,
            "response": instance.response,
        }  # fmt: skip
        if shown is not None:
            flat |= {"score": shown.score, "feedback": shown.feedback}
            flat["explanation"] = shown.explanation
        data = super().to_representation(flat)
        return {key: value for key, value in data.items() if key in flat}


class AttemptSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True)
    quiz = serializers.IntegerField(read_only=True)
    learner = serializers.IntegerField(read_only=True)
    result = AttemptResultSerializer(allow_null=True, read_only=True)

    class Meta:
        model = Attempt
        fields = [
            "id", "url", "quiz", "learner", "number", "status", "started_at", "deadline",
            "submitted_at", "graded_at", "late", "late_seconds", "awaiting_manual_grading",
            "result",
        ]  # fmt: skip
        read_only_fields = fields


class AttemptDetailSerializer(AttemptSerializer):
    questions = AttemptQuestionSerializer(many=True, read_only=True)

    class Meta(AttemptSerializer.Meta):
        fields = [*AttemptSerializer.Meta.fields, "questions"]
        read_only_fields = fields


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        help_text="Question id -> response (docs/question-types.md); null clears an answer.",
    )

    def validate_answers(self, value: dict[str, Any]) -> dict[int, Any]:
        if len(value) > MAX_ANSWERS:
            raise serializers.ValidationError(_("Too many answers in one request."))
        parsed: dict[int, Any] = {}
        for key, response in value.items():
            if not (key.isascii() and key.isdigit()) or len(key) > 18:
                raise serializers.ValidationError(_("Keys are question ids."))
            if response is not None and not isinstance(response, dict):
                raise serializers.ValidationError(
                    _("Question %(id)s: a response is a JSON object or null.") % {"id": key}
                )
            if json_size(response) > MAX_RESPONSE_BYTES:
                raise serializers.ValidationError(
                    _("Question %(id)s: an answer is at most 64 KB.") % {"id": key}
                )
            parsed[int(key)] = response
        return parsed


class SubmittedSerializer(serializers.Serializer):
    status = serializers.CharField()
    url = serializers.CharField(help_text="Poll this until status is graded (or error).")
