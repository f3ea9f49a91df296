"""Regrade jobs and the grade changes they compute and apply (the grades' history); files an
instructor uploaded for an import, kept between its preview and its confirmation."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from courses.models import Course
from grader.models import CodingExercise, Submission
from quizzes.models import Attempt, Question, Quiz


class RegradeJob(models.Model):
    """Grade learners' work on one question, quiz or exercise again: first computed (a dry
    run: nothing of the learners' is written), then applied by an instructor."""

    class Target(models.TextChoices):
        QUESTION = "question", _("a question")
        QUIZ = "quiz", _("a quiz")
        EXERCISE = "exercise", _("an exercise")

    class Scope(models.TextChoices):
        ALL = "all", _("every graded attempt or submission")
        LATEST = "latest", _("each learner's latest")

    class Status(models.TextChoices):
        COMPUTING = "computing", _("dry run running")
        READY = "ready", _("dry run done: ready to apply")
        APPLYING = "applying", _("applying")
        APPLIED = "applied", _("applied")
        OUTDATED = "outdated", _("outdated: edited after the dry run")
        FAILED = "failed", _("failed")

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="regrade_jobs", verbose_name=_("course")
    )
    target = models.CharField(_("target"), max_length=16, choices=Target.choices)
    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("quiz")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("question")
    )
    exercise = models.ForeignKey(
        CodingExercise, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("exercise")
    )
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.ALL)
    reason = models.TextField(_("why"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.COMPUTING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("applied by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Moves with every step: the sweep queues again a job that stopped moving.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    # Progress: work in scope, computed so far (by id, past `cursor`), and the outcome.
    total = models.PositiveIntegerField(_("in scope"), default=0)
    computed = models.PositiveIntegerField(_("computed"), default=0)
    cursor = models.BigIntegerField(_("cursor"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    # Submissions the sandbox could not run (internal errors): their grades stand.
    not_run = models.JSONField(_("not run"), default=list, blank=True)
    # What the dry run graded against: {question id: key_version} or {"tests": version}.
    versions = models.JSONField(_("versions graded against"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("regrade")
        verbose_name_plural = _("regrades")

    def __str__(self) -> str:
        item = self.question or self.quiz or self.exercise
        return f"{_('regrade')} #{self.pk}: {item}"

    @property
    def percent_done(self) -> int:
        if self.status in {self.Status.COMPUTING} and self.total:
            return min(100, self.computed * 100 // self.total)
        if self.status == self.Status.APPLYING:
            changes = self.changes.count()
            done = self.changes.exclude(status=GradeChange.Status.PENDING).count()
            return done * 100 // changes if changes else 100
        return 100


class GradeChange(models.Model):
    """One attempt's or submission's grade that a regrade changes: old and new, why (the job's
    reason), who (the job's instructor) and when. Applied ones are the grade's history."""

    class Status(models.TextChoices):
        PENDING = "pending", _("would change")
        APPLIED = "applied", _("changed")
        STALE = "stale", _("left alone: graded again since the dry run")

    job = models.ForeignKey(
        RegradeJob, on_delete=models.CASCADE, related_name="changes", verbose_name=_("regrade")
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("learner"),
    )
    attempt = models.ForeignKey(
        Attempt,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grade_changes",
        verbose_name=_("attempt"),
    )
    submission = models.ForeignKey(
        Submission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="grade_changes",
        verbose_name=_("submission"),
    )
    old_score = models.DecimalField(_("old score"), max_digits=9, decimal_places=2)
    new_score = models.DecimalField(_("new score"), max_digits=9, decimal_places=2)
    old_passed = models.BooleanField(_("passed before"))
    new_passed = models.BooleanField(_("passed after"))
    detail = models.JSONField(_("details"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        ordering = ["job_id", "id"]
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        indexes = [models.Index(fields=["job", "status"], name="gradechange_job_status")]

    def __str__(self) -> str:
        return f"{self.learner}: {self.old_score} → {self.new_score}"

    @property
    def pass_flipped(self) -> bool:
        return self.old_passed != self.new_passed


class StagedUpload(models.Model):
    """A file uploaded on the teaching pages for an import: previewed (a dry run) first, then
    imported when the instructor confirms; removed then, or after a day
    (teaching.site_import). Only its uploader, in its course, may use it."""

    class Kind(models.TextChoices):
        GIFT = "gift", _("questions from a GIFT file")
        EXERCISE = "exercise", _("an exercise folder")
        COURSE = "course", _("a part README or an mdBook")

    token = models.UUIDField(_("token"), primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="+", verbose_name=_("course")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    name = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("file"))
    options = models.JSONField(_("options"), default=dict)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")

    def __str__(self) -> str:
        return self.name
