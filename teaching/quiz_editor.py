"""A quiz's settings on the teaching pages: a new quiz for a section of the course, or the
settings of one, as fields (never JSON); and the order of its questions.

Saving goes through quizzes.authoring (quiz_save validates the dates and the pass score;
question_move renumbers the questions in one transaction)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.models import Course, Section
from quizzes.authoring import quiz_save
from quizzes.models import Quiz

# What a browser's datetime-local input sends and shows.
MINUTE = "%Y-%m-%dT%H:%M"
# A time limit is typed in whole minutes: at most a week.
MAX_MINUTES = 7 * 24 * 60


class SectionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} {obj.title}"


class QuizSettingsForm(forms.ModelForm):
    """The quiz's own fields, labelled by the model; the section is one of the course's."""

    time_limit_minutes = forms.IntegerField(
        label=gettext_lazy("Time limit, minutes"),
        required=False,
        min_value=1,
        max_value=MAX_MINUTES,
        help_text=gettext_lazy("Empty: no time limit."),
    )

    class Meta:
        model = Quiz
        fields = (
            "section", "title", "instructions", "pass_score", "max_attempts", "score_policy",
            "retry_penalty", "shuffle_questions", "shuffle_choices", "feedback_policy",
            "opens_at", "due_at", "cutoff_at", "late_policy", "late_percent", "late_cap",
            "results_policy", "results_release_at",
        )  # fmt: skip
        field_classes = {"section": SectionChoiceField}
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 4}),
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MINUTE),
            "due_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MINUTE),
            "cutoff_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MINUTE),
            "results_release_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format=MINUTE
            ),
        }

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        section = self.fields["section"]
        assert isinstance(section, forms.ModelChoiceField)
        section.queryset = (
            Section.objects.filter(part__course=course)
            .exclude(status=Section.Status.ARCHIVED)
            .order_by("part__order", "part__number", "order", "id")
        )
        section.empty_label = None
        for name in ("opens_at", "due_at", "cutoff_at", "results_release_at"):
            field = self.fields[name]
            assert isinstance(field, forms.DateTimeField)
            field.input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        limit = self.instance.time_limit
        if limit is not None and not self.is_bound:
            self.initial["time_limit_minutes"] = int(limit.total_seconds() // 60)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, due = cleaned.get("opens_at"), cleaned.get("due_at")
        if opens and due and due <= opens:  # (said here: the constraint's words name no field)
            self.add_error("due_at", _("The due date must be after the opening date."))
        return cleaned

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:  # a refused field says so, and which message is its
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"id_{name}-error"}
                )


def quiz_from_settings(*, form: QuizSettingsForm) -> Quiz:
    """Save the quiz of a valid form; a new quiz goes last in its section."""
    quiz: Quiz = form.instance
    minutes = form.cleaned_data.get("time_limit_minutes")
    quiz.time_limit = timedelta(minutes=minutes) if minutes else None
    if quiz.pk is None:
        last = Quiz.objects.filter(section=quiz.section).aggregate(last=Max("order"))["last"]
        quiz.order = (last or 0) + 1
    return quiz_save(quiz=quiz)
