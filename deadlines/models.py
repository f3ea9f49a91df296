"""The dates every kind of work carries (an abstract model) and learners' extensions."""

from __future__ import annotations

from collections.abc import Mapping
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


class ResultsPolicy(models.TextChoices):
    SHOWN = policy.RESULTS_SHOWN, _("shown once graded")
    ON_RELEASE = policy.RESULTS_ON_RELEASE, _('exam mode: "submitted" only until released')


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

    results_policy = models.CharField(
        _("scores and feedback"),
        max_length=16,
        choices=ResultsPolicy.choices,
        blank=True,
        default="",
        db_default="",
        help_text=_(
            'Exam mode: learners see "submitted" only until the release date or the '
            "instructor's release. Empty: as the section, part or course says (shown)."
        ),
    )
    results_release_at = models.DateTimeField(
        _("results released at"),
        null=True,
        blank=True,
        help_text=_(
            "In exam mode: when scores and feedback are shown. Empty: the section's, part's "
            "or course's; with none, when an instructor releases them."
        ),
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
            results_policy=self.results_policy,
            results_release_at=self.results_release_at,
        )

    def clean(self) -> None:
        schedule_check(
            opens_at=self.opens_at,
            due_at=self.due_at,
            cutoff_at=self.cutoff_at,
            late_percent=self.late_percent,
            late_cap=self.late_cap,
        )


# The columns of Scheduled (a query that reads an item's dates reads these).
SCHEDULE_FIELDS = (
    "opens_at", "due_at", "cutoff_at", "late_policy", "late_percent", "late_cap",
    "results_policy", "results_release_at",
)  # fmt: skip


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


class CourseGroup(models.Model):
    """A named group of a course's learners (a tutorial group, the learners with an
    accommodation): extensions can be granted to all of them at once."""

    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.CASCADE,
        related_name="learner_groups",
        verbose_name=_("course"),
    )
    name = models.CharField(_("name"), max_length=200)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="course_groups",
        verbose_name=_("members"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["course_id", "name", "id"]
        verbose_name = _("group of learners")
        verbose_name_plural = _("groups of learners")
        constraints = [
            models.UniqueConstraint(fields=["course", "name"], name="course_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Extension(models.Model):
    """More time (or attempts) for one learner or one group of a course's learners: on one
    quiz, one exercise, or the whole course (neither set). Every grant is kept, with who
    granted it, when and why."""

    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.CASCADE,
        related_name="extensions",
        verbose_name=_("course"),
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="extensions",
        verbose_name=_("learner"),
    )
    group = models.ForeignKey(
        CourseGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="extensions",
        verbose_name=_("group"),
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
            models.CheckConstraint(
                condition=Q(learner__isnull=True, group__isnull=False)
                | Q(learner__isnull=False, group__isnull=True),
                name="extension_learner_or_group",
            ),
        ]
        indexes = [models.Index(fields=["learner", "course"], name="extension_learner_course")]

    def __str__(self) -> str:
        return f"{self.learner or self.group} / {self.quiz or self.exercise or self.course}"

    def grant(self) -> policy.Grant:
        return policy.Grant(
            due_at=self.due_at,
            cutoff_at=self.cutoff_at,
            time_multiplier=Decimal(self.time_multiplier),
            extra_attempts=self.extra_attempts,
        )


class ResultsRelease(models.Model):
    """An instructor released the scores and feedback of a quiz or an exercise in exam mode
    (recorded: who, when). The latest release of an item counts."""

    quiz = models.ForeignKey(
        "quizzes.Quiz",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="releases",
        verbose_name=_("quiz"),
    )
    exercise = models.ForeignKey(
        "grader.CodingExercise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="releases",
        verbose_name=_("exercise"),
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), auto_now_add=True)

    class Meta:
        ordering = ["released_at", "id"]
        verbose_name = _("results release")
        verbose_name_plural = _("results releases")
        constraints = [
            models.CheckConstraint(
                condition=Q(quiz__isnull=True, exercise__isnull=False)
                | Q(quiz__isnull=False, exercise__isnull=True),
                name="results_release_one_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz or self.exercise} ({self.released_at})"


def schedule_change_check(instance: Scheduled, values: Mapping[str, Any]) -> None:
    """The errors (a ValidationError by field) of setting `values`, some of Scheduled's
    fields, on `instance`: checked together with the fields it keeps."""
    unknown = set(values) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ValueError(f"not a schedule field: {sorted(unknown)}")
    merged = {name: values.get(name, getattr(instance, name)) for name in SCHEDULE_FIELDS}
    errors: dict[str, Any] = {}
    if merged["late_policy"] not in {"", *LatePolicy.values}:
        errors["late_policy"] = _("Not a late policy.")
    if merged["results_policy"] not in {"", *ResultsPolicy.values}:
        errors["results_policy"] = _("Not a results policy.")
    try:
        schedule_check(
            opens_at=merged["opens_at"], due_at=merged["due_at"], cutoff_at=merged["cutoff_at"],
            late_percent=merged["late_percent"], late_cap=merged["late_cap"],
        )  # fmt: skip
    except ValidationError as error:
        errors |= error.message_dict
    if errors:
        raise ValidationError(errors)


class ReleaseNotice(models.Model):
    """Results of an item in exam mode became visible to its learners: by an instructor's
    release, or by its release date passing (noticed by the beat). Written once per release,
    with the `results.released` webhook event in the same transaction (its outbox)."""

    quiz = models.ForeignKey(
        "quizzes.Quiz",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="release_notices",
        verbose_name=_("quiz"),
    )
    exercise = models.ForeignKey(
        "grader.CodingExercise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="release_notices",
        verbose_name=_("exercise"),
    )
    # The instructor's release; none: the release date passed.
    release = models.OneToOneField(
        ResultsRelease,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notice",
        verbose_name=_("release"),
    )
    # The release date that passed (None: an instructor's release).
    release_at = models.DateTimeField(_("release date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("results release notice")
        verbose_name_plural = _("results release notices")
        constraints = [
            models.CheckConstraint(
                condition=Q(quiz__isnull=True, exercise__isnull=False)
                | Q(quiz__isnull=False, exercise__isnull=True),
                name="release_notice_one_item",
            ),
            models.CheckConstraint(
                condition=Q(release__isnull=True, release_at__isnull=False)
                | Q(release__isnull=False, release_at__isnull=True),
                name="release_notice_one_cause",
            ),
            # A release date is announced once per item (the beat runs every minute).
            models.UniqueConstraint(fields=["quiz", "release_at"], name="release_notice_quiz_date"),
            models.UniqueConstraint(
                fields=["exercise", "release_at"], name="release_notice_exercise_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quiz or self.exercise} ({self.release_at or self.release})"
