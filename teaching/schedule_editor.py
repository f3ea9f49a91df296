"""The dates of an exercise, a section, a part or a course on the teaching pages: opening,
due date, hard cut-off, late policy and exam mode (deadlines.models.Scheduled), as fields. A
section's, part's or course's are the defaults of the quizzes and exercises below it. Saved
through grader.services.exercise_schedule_set and courses.services.schedule_set; a refusal
names the field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Part, Section
from courses.services import schedule_set
from deadlines.models import SCHEDULE_FIELDS, LatePolicy, ResultsPolicy
from grader.models import CodingExercise
from grader.services import exercise_schedule_set

MINUTE = "%Y-%m-%dT%H:%M"
INPUT_FORMATS = [MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _date_field(label: Any, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        input_formats=INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=MINUTE),
    )


def _percent_field(label: Any, help_text: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=100, help_text=help_text
    )


class ScheduleForm(forms.Form):
    opens_at = _date_field(_("Opens at"))
    due_at = _date_field(_("Due at"))
    cutoff_at = _date_field(
        _("Hard cut-off"), _("Nothing is accepted after it. Empty: late work is accepted.")
    )
    late_policy = forms.ChoiceField(
        label=_("Late policy"),
        required=False,
        choices=[("", _("as the section, part or course says")), *LatePolicy.choices],
    )
    late_percent = _percent_field(
        _("Late penalty, %"), _("Per day, per hour or once, as the late policy says.")
    )
    late_cap = _percent_field(
        _("Late penalty cap, %"), _("The most a per-day or per-hour penalty takes off.")
    )
    results_policy = forms.ChoiceField(
        label=_("Scores and feedback"),
        required=False,
        choices=[("", _("as the section, part or course says")), *ResultsPolicy.choices],
    )
    results_release_at = _date_field(
        _("Results released at"), _("In exam mode. Empty: when you release them.")
    )

    def __init__(
        self, *args: Any, item: Course | Part | Section | CodingExercise, **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {name: getattr(item, name) for name in SCHEDULE_FIELDS})
        super().__init__(*args, **kwargs)
        self.item = item
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_errors()

    def mark_errors(self) -> None:
        """A refused field says so, and which message is its."""
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"id_{name}-error"}
                )


def schedule_from_form(*, form: ScheduleForm) -> None:
    """Save a valid form's dates on its item; a refusal goes on the form's fields."""
    values = {name: form.cleaned_data[name] for name in SCHEDULE_FIELDS}
    values["late_policy"] = values["late_policy"] or ""
    values["results_policy"] = values["results_policy"] or ""
    try:
        if isinstance(form.item, CodingExercise):
            exercise_schedule_set(exercise=form.item, values=values)
        else:
            schedule_set(row=form.item, values=values)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
        form.mark_errors()
        raise
