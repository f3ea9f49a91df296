"""The dates every kind of work carries (an abstract model) and learners' extensions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deadlines import policy


class LatePolicy(models.TextChoices):
    NOT_ACCEPTED = policy.NOT_ACCEPTED, _("not accepted after the due date")
    PER_DAY = policy.PER_DAY, _("penalty per day late")
    PER_HOUR = policy.PER_HOUR, _("penalty per hour late")
    FIXED = policy.FIXED, _("fixed penalty")
    MARKED = policy.MARKED, _("accepted, marked late")


class Scheduled(models.Model):
    """Dates and a late policy. On a course, part or section they are the defaults of what
    it holds; an empty field takes the next level's (deadlines.policy.schedule_resolve)."""

    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    cutoff_at = models.DateTimeField(
        _("hard cut-off"),
        null=True,
        blank=True,
        help_text=_("Nothing is accepted after it. Empty: late work is accepted any time."),
    )
    late_policy = models.CharField(
        _("late policy"),
        max_length=16,
        choices=LatePolicy.choices,
        blank=True,
        default="",
        db_default="",
        help_text=_("Empty: as the section, part or course says (accepted, marked late)."),
    )
    # (None, empty, is no penalty: a form or an import that knows nothing of late work
    # leaves it out and is not refused for it)
    late_percent = models.PositiveSmallIntegerField(
        _("late penalty, %"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Per day, per hour or once, as the late policy says. Empty: none."),
    )
    late_cap = models.PositiveSmallIntegerField(
        _("late penalty cap, %"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("The most a per-day or per-hour penalty takes off. Empty: 100."),
    )

    class Meta:
        abstract = True

    def schedule_layer(self) -> policy.ScheduleLayer:
        return policy.ScheduleLayer(
            opens_at=self.opens_at,
            due_at=self.due_at,
            cutoff_at=self.cutoff_at,
            late_policy=self.late_policy,
            late_percent=self.late_percent or 0,
            late_cap=self.late_cap,
        )

    def clean(self) -> None:
        schedule_check(
            opens_at=self.opens_at,
            due_at=self.due_at,
            cutoff_at=self.cutoff_at,
            late_percent=self.late_percent,
            late_cap=self.late_cap,
        )


def schedule_check(
    *,
    opens_at: object,
    due_at: object,
    cutoff_at: object,
    late_percent: int | None = 0,
    late_cap: int | None = None,
) -> None:
    """The errors of a set of dates and penalties, by field (a ValidationError)."""
    errors: dict[str, Any] = {}
    if opens_at and due_at and due_at <= opens_at:  # type: ignore[operator]
        errors["due_at"] = _("The due date must be after the opening date.")
    if cutoff_at and due_at and cutoff_at < due_at:  # type: ignore[operator]
        errors["cutoff_at"] = _("The hard cut-off cannot be before the due date.")
    elif cutoff_at and opens_at and cutoff_at <= opens_at:  # type: ignore[operator]
        errors["cutoff_at"] = _("The hard cut-off must be after the opening date.")
    if late_percent is not None and not 0 <= late_percent <= 100:
        errors["late_percent"] = _("A late penalty is a percent from 0 to 100.")
    if late_cap is not None and not 0 <= late_cap <= 100:
        errors["late_cap"] = _("A late penalty cap is a percent from 0 to 100.")
    if errors:
        raise ValidationError(errors)


class Extension(models.Model):
    """More time (or attempts) for one learner: on one quiz, one exercise, or the whole course
    (neither set). Every grant is kept, with who granted it, when and why."""

    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.CASCADE,
        related_name="extensions",
        verbose_name=_("course"),
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="extensions",
        verbose_name=_("learner"),
    )
    quiz = models.ForeignKey(
        "quizzes.Quiz",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="extensions",
        verbose_name=_("quiz"),
    )
    exercise = models.ForeignKey(
        "grader.CodingExercise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="extensions",
        verbose_name=_("exercise"),
    )
    due_at = models.DateTimeField(_("new due date"), null=True, blank=True)
    cutoff_at = models.DateTimeField(_("new hard cut-off"), null=True, blank=True)
    time_multiplier = models.DecimalField(
        _("time-limit multiplier"),
        max_digits=4,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(10))],
    )
    extra_attempts = models.PositiveSmallIntegerField(_("extra attempts"), default=0)
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        ordering = ["course_id", "learner_id", "granted_at", "id"]
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [
            models.CheckConstraint(
                condition=Q(quiz__isnull=True) | Q(exercise__isnull=True),
                name="extension_one_item",
            ),
        ]
        indexes = [models.Index(fields=["learner", "course"], name="extension_learner_course")]

    def __str__(self) -> str:
        return f"{self.learner} / {self.quiz or self.exercise or self.course}"

    def grant(self) -> policy.Grant:
        return policy.Grant(
            due_at=self.due_at,
            cutoff_at=self.cutoff_at,
            time_multiplier=Decimal(self.time_multiplier),
            extra_attempts=self.extra_attempts,
        )
