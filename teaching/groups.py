"""The groups of a course's learners (teaching pages): create one, rename it, set its members.
Extensions granted to a group apply to each member (deadlines)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from courses.models import Course
from deadlines.models import CourseGroup
from progress.selectors import course_learners
from teaching.deadlines import group_save


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, course: Course, group: CourseGroup | None, **kwargs: Any):
        if group is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": group.name,
                "members": [member.pk for member in group.members.all()],
            }
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [  # type: ignore[attr-defined]
            (learner.pk, learner.get_full_name() or learner.username)
            for learner in course_learners(course=course)
        ]


def group_from_form(*, course: Course, form: GroupForm, group: CourseGroup | None) -> CourseGroup:
    """Save what the form says; a refusal is put on the form's field (ValidationError)."""
    data = form.cleaned_data
    members = list(User.objects.filter(pk__in=data["members"]))
    try:
        return group_save(course=course, name=data["name"], members=members, group=group)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            form.add_error(field, messages)
        raise
