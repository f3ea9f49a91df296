"""Writes of deadlines: granting a learner an extension (recorded: who, when, why)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from deadlines.models import Extension
from deadlines.selectors import item_schedule_base

if TYPE_CHECKING:
    from courses.models import Course
    from grader.models import CodingExercise
    from quizzes.models import Quiz


def extension_grant(
    *,
    course: Course,
    learner: User,
    granted_by: User | None,
    reason: str,
    quiz: Quiz | None = None,
    exercise: CodingExercise | None = None,
    due_at: datetime | None = None,
    cutoff_at: datetime | None = None,
    time_multiplier: Decimal = Decimal(1),
    extra_attempts: int = 0,
) -> Extension:
    """Give a learner of the course more time on one quiz or exercise, or on everything in
    the course. Bad input is a ValidationError naming the field; nothing is written then."""
    from progress.models import Enrollment

    errors: dict[str, str] = {}
    if not Enrollment.objects.filter(learner=learner, course=course).exists():
        errors["learner"] = _("%(learner)s is not a learner of this course.") % {
            "learner": learner.get_username()
        }
    if quiz is not None and exercise is not None:
        errors["quiz"] = _("An extension is for one quiz, one exercise or the whole course.")
    item = quiz or exercise
    if item is not None and item.section.part.course_id != course.pk:
        errors["quiz" if quiz is not None else "exercise"] = _("This is not in the course.")
    if not reason.strip():
        errors["reason"] = _("Say why the extension is granted.")
    if not Decimal(1) <= time_multiplier <= Decimal(10):
        errors["time_multiplier"] = _("The time-limit multiplier is from 1 to 10.")
    if extra_attempts < 0:
        errors["extra_attempts"] = _("Extra attempts cannot be negative.")
    if due_at and cutoff_at and cutoff_at < due_at:
        errors["cutoff_at"] = _("The hard cut-off cannot be before the due date.")
    if item is not None and "quiz" not in errors and "exercise" not in errors:
        base = item_schedule_base(item=item)
        if due_at and base.due_at and due_at < base.due_at:
            errors["due_at"] = _("An extension cannot make the due date earlier.")
        if cutoff_at and base.cutoff_at and cutoff_at < base.cutoff_at:
            errors["cutoff_at"] = _("An extension cannot make the hard cut-off earlier.")
    if not (due_at or cutoff_at or time_multiplier > 1 or extra_attempts):
        errors["due_at"] = _("Grant a later date, a longer time limit or extra attempts.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return Extension.objects.create(
            course=course, learner=learner, quiz=quiz, exercise=exercise, due_at=due_at,
            cutoff_at=cutoff_at, time_multiplier=time_multiplier, extra_attempts=extra_attempts,
            reason=reason.strip(), granted_by=granted_by,
        )  # fmt: skip
