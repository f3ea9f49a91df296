"""Enrolment and completion: per item (a quiz or an exercise) and per section.

Rows here are derived from grades (attempts, submissions) and kept in step by
the grading services, in the grading transaction; `progress_reconcile`
recomputes them from the grades and repairs any drift.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from courses.models import Course, Section


class Enrollment(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("learner"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="enrollments", verbose_name=_("course")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} / {self.course}"


class ItemCompletion(models.Model):
    """Whether a learner has completed one item of a section: a quiz or an exercise."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="item_completions",
        verbose_name=_("learner"),
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="+", verbose_name=_("section")
    )
    quiz = models.ForeignKey(
        "quizzes.Quiz",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quiz"),
    )
    exercise = models.ForeignKey(
        "grader.CodingExercise",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exercise"),
    )
    complete = models.BooleanField(_("complete"), default=False)
    # Percent for a quiz (by its score policy), points for an exercise (best passing).
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("item completion")
        verbose_name_plural = _("item completions")
        constraints = [
            models.CheckConstraint(
                condition=Q(quiz__isnull=False, exercise__isnull=True)
                | Q(quiz__isnull=True, exercise__isnull=False),
                name="item_is_quiz_or_exercise",
            ),
            # Not partial: NULLs never conflict, and a plain unique index can be
            # the conflict target of the one-statement upsert in item_record.
            models.UniqueConstraint(fields=["learner", "quiz"], name="item_quiz_unique"),
            models.UniqueConstraint(fields=["learner", "exercise"], name="item_exercise_unique"),
        ]
        indexes = [models.Index(fields=["learner", "section"], name="item_learner_section")]

    def __str__(self) -> str:
        return f"{self.learner} / {self.quiz_id or self.exercise_id}: {self.complete}"


class SectionProgress(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="section_progress",
        verbose_name=_("learner"),
    )
    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="progress", verbose_name=_("section")
    )
    items_complete = models.PositiveIntegerField(_("items complete"), default=0)
    items_total = models.PositiveIntegerField(_("items in total"), default=0)
    # A section without items is complete once its material is marked read.
    material_read_at = models.DateTimeField(_("material read at"), null=True, blank=True)
    completed = models.BooleanField(_("completed"), default=False)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Set when new work (an item added, published or moved here) reopened the section the
    # learner had completed: the pages say why it is no longer complete. Cleared once the
    # section is complete again.
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("section progress")
        verbose_name_plural = _("section progress")
        constraints = [
            models.UniqueConstraint(fields=["learner", "section"], name="section_progress_unique"),
        ]
        indexes = [
            models.Index(fields=["learner", "completed"], name="progress_learner_completed"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} / {self.section}: {self.items_complete}/{self.items_total}"
