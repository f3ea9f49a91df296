"""The extensions page of a course: grant a learner more time (one item or the whole course),
a longer time limit or extra attempts, and see every grant (who, when, why)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courses.models import Course
from deadlines.models import Extension
from deadlines.selectors import course_extensions, course_groups
from progress.models import Enrollment
from teaching.deadlines import extension_grant
from teaching.selectors import course_items

WHOLE_COURSE = ""


class ExtensionForm(forms.Form):
    learner = forms.TypedChoiceField(
        label=_("Learner"), coerce=int, required=False, empty_value=None
    )
    group = forms.TypedChoiceField(
        label=_("or a group of learners"), coerce=int, required=False, empty_value=None
    )
    item = forms.ChoiceField(label=_("Quiz or exercise"), required=False)
    due_at = forms.DateTimeField(
        label=_("New due date"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    cutoff_at = forms.DateTimeField(
        label=_("New hard cut-off"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    time_multiplier = forms.DecimalField(
        label=_("Time-limit multiplier"),
        initial=Decimal(1),
        min_value=Decimal(1),
        max_value=Decimal(10),
        max_digits=4,
        decimal_places=2,
    )
    extra_attempts = forms.IntegerField(
        label=_("Extra attempts"), initial=0, min_value=0, max_value=100
    )
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea)

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        learners = (
            Enrollment.objects.filter(course=course)
            .select_related("learner")
            .order_by("learner__username")
        )
        self.fields["learner"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(e.learner_id, _learner_name(e.learner)) for e in learners],
        ]
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(group.pk, group.name) for group in course_groups(course_id=course.pk)],
        ]
        items = course_items(course=course)
        self.fields["item"].choices = [  # type: ignore[attr-defined]
            (WHOLE_COURSE, _("Everything in the course")),
            *[(f"quiz:{q.pk}", f"{q.section.number} {q.title}") for q in items.quizzes],
            *[(f"exercise:{e.pk}", f"{e.section.number} {e.title}") for e in items.exercises],
        ]


def _learner_name(learner: User) -> str:
    full = learner.get_full_name()
    return f"{full} ({learner.username})" if full else learner.username


@dataclass(frozen=True)
class ExtensionsPage:
    grants: list[Extension]


def extensions_page(*, course: Course) -> ExtensionsPage:
    return ExtensionsPage(grants=list(course_extensions(course_id=course.pk)))


def extension_from_form(*, course: Course, form: ExtensionForm, granted_by: User) -> Extension:
    """Grant what the form says; a refusal is put on the form's field (ValidationError)."""
    data = form.cleaned_data
    items = course_items(course=course)
    kind, _sep, item_id = data["item"].partition(":")
    quiz = next((q for q in items.quizzes if kind == "quiz" and str(q.pk) == item_id), None)
    exercise = next(
        (e for e in items.exercises if kind == "exercise" and str(e.pk) == item_id), None
    )
    learner = User.objects.get(pk=data["learner"]) if data["learner"] else None
    group = course_groups(course_id=course.pk).filter(pk=data["group"]).first()
    try:
        return extension_grant(
            course=course, learner=learner, group=group, granted_by=granted_by,
            reason=data["reason"],
            quiz=quiz, exercise=exercise, due_at=data["due_at"], cutoff_at=data["cutoff_at"],
            time_multiplier=data["time_multiplier"], extra_attempts=data["extra_attempts"],
        )  # fmt: skip
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            form.add_error("item" if field in {"quiz", "exercise"} else field, messages)
        raise
