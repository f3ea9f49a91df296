"""Coding exercises on sections and learners' submissions to them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.versions import content_version
from courses.models import Section, check_stays_in_course
from deadlines.models import Scheduled

# The fields tests_version covers.
VERSIONED_FIELDS = frozenset({
    "language", "test_files", "example_files", "support_files", "scoring", "points",
    "cpu_seconds", "wall_seconds", "memory_mb", "output_kb", "allowances",
})  # fmt: skip


class CodingExercise(Scheduled):
    class Language(models.TextChoices):
        GO = "go", "Go"
        PYTHON = "python", "Python"

    class Scoring(models.TextChoices):
        ALL_OR_NOTHING = "all_or_nothing", _("all or nothing")
        PER_TEST = "per_test", _("per test")
        PER_TASK = "per_task", _("per task")

    class IntegrityLevel(models.TextChoices):
        """How sure a pass is to be the learner's work (docs/grader.md, "Integrity")."""

        ISOLATED = "isolated", _("isolated: learner code runs in a process of its own")
        CHECKED = "checked", _("checked: learner code checked before it runs beside the tests")
        IN_PROCESS = "in-process", _("in process: a learner could forge a pass")

    class CheckStatus(models.TextChoices):
        UNCHECKED = "unchecked", _("not checked")
        OK = "ok", _("reference passes, starter fails")
        FAILED = "failed", _("check failed")

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="exercises", verbose_name=_("section")
    )
    slug = models.SlugField(_("slug"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    statement = models.TextField(_("statement (Markdown)"))
    language = models.CharField(_("language"), max_length=16, choices=Language.choices)
    # {relative path: content}
    starter_files = models.JSONField(_("starter files"), default=dict)
    test_files = models.JSONField(_("hidden test files"), default=dict)
    example_files = models.JSONField(_("visible example tests"), default=dict, blank=True)
    support_files = models.JSONField(_("support files (go.mod ...)"), default=dict, blank=True)
    reference_files = models.JSONField(_("reference solution"), default=dict)
    # What Go learner code may use beyond the default policy (exercise.toml's [integrity]:
    # {"packages": [...], "functions": [...]}; {} is the default). Anything here lets learner
    # code forge a pass from inside the test binary (grader.runners.policy).
    allowances = models.JSONField(
        _("allowed beyond the Go policy"), default=dict, blank=True, db_default={}
    )
    cpu_seconds = models.FloatField(
        _("CPU seconds"), default=5, validators=[MinValueValidator(0.1)]
    )
    wall_seconds = models.FloatField(
        _("wall seconds"), default=10, validators=[MinValueValidator(0.1)]
    )
    memory_mb = models.PositiveIntegerField(_("memory, MB"), default=256)
    output_kb = models.PositiveIntegerField(_("output, KB"), default=64)
    scoring = models.CharField(
        _("scoring"), max_length=16, choices=Scoring.choices, default=Scoring.PER_TEST
    )
    points = models.DecimalField(
        _("points"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    source_path = models.CharField(_("source path"), max_length=500, blank=True)
    # Set only by the check service: published exercises passed their check.
    is_published = models.BooleanField(_("published"), default=False)
    check_status = models.CharField(
        _("check"), max_length=16, choices=CheckStatus.choices, default=CheckStatus.UNCHECKED
    )
    check_report = models.TextField(_("check report"), blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    # A check handed to a worker and not done yet (None: none waits), and whether it is to
    # publish the exercise: a check lost with the broker is queued again by the sweep.
    check_queued_at = models.DateTimeField(
        _("check queued at"), null=True, blank=True, editable=False
    )
    publish_when_checked = models.BooleanField(
        _("publish when the check passes"), default=False, db_default=False, editable=False
    )
    # What submissions are graded against (the tests, support files, scoring and limits), as
    # a version (core.versions): each graded submission records the one it ran with.
    tests_version = models.CharField(
        _("tests version"), max_length=12, default="", db_default="", editable=False
    )
    # What the last import wrote, a digest per group of the fields it owns (core.provenance):
    # how the next import tells an instructor's edits on the site from its own work.
    import_digests = models.JSONField(
        _("import digests"), default=dict, blank=True, editable=False, db_default={}
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["section_id", "order", "id"]
        verbose_name = _("coding exercise")
        verbose_name_plural = _("coding exercises")
        constraints = [
            models.UniqueConstraint(fields=["section", "slug"], name="exercise_slug_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.section.number} {self.title}"

    def clean(self) -> None:
        super().clean()
        check_stays_in_course(self, learners_work=Submission.objects.filter(exercise_id=self.pk))

    def current_tests_version(self) -> str:
        # (allowances only when there are any: the versions stored before them stay valid)
        return content_version(
            self.language, self.test_files, self.example_files, self.support_files,
            self.scoring, Decimal(self.points), float(self.cpu_seconds),
            float(self.wall_seconds), self.memory_mb, self.output_kb,
            *([self.allowances] if self.allowances else []),
        )  # fmt: skip

    def get_integrity_level_display(self) -> str:
        return str(self.IntegrityLevel(self.integrity_level).label)

    @property
    def integrity_level(self) -> str:
        """Python: isolated (two processes); Go: checked by the default policy, or in-process
        when the exercise allows more (docs/grader.md)."""
        if self.language == self.Language.PYTHON:
            return self.IntegrityLevel.ISOLATED
        if self.allowances:
            return self.IntegrityLevel.IN_PROCESS
        return self.IntegrityLevel.CHECKED


class Verdict(models.TextChoices):
    PASSED = "passed", _("all tests passed")
    FAILED = "failed", _("some tests failed")
    COMPILE_ERROR = "compile_error", _("compile error")
    RUNTIME_ERROR = "runtime_error", _("runtime error")
    TIME_LIMIT = "time_limit", _("time limit exceeded")
    MEMORY_LIMIT = "memory_limit", _("memory limit exceeded")
    OUTPUT_LIMIT = "output_limit", _("output limit exceeded")
    INTERNAL_ERROR = "internal_error", _("internal error (not your fault)")


class RunOutcome(models.Model):
    """What a run of learner code against tests gave (a submission's, an examples run's)."""

    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices, blank=True)
    tests_passed = models.PositiveIntegerField(_("tests passed"), null=True, blank=True)
    tests_total = models.PositiveIntegerField(_("tests in total"), null=True, blank=True)
    # Exercism test-runner results.json (version 3).
    results = models.JSONField(_("results"), default=dict, blank=True)
    stdout = models.TextField(_("standard output"), blank=True)
    stderr = models.TextField(_("standard error"), blank=True)
    wall_seconds = models.FloatField(_("wall seconds"), null=True, blank=True)
    cpu_seconds = models.FloatField(_("CPU seconds"), null=True, blank=True)

    class Meta:
        abstract = True


class Submission(RunOutcome):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        GRADED = "graded", _("graded")
        ERROR = "error", _("error")

    Verdict = Verdict

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="submissions",
        verbose_name=_("learner"),
    )
    exercise = models.ForeignKey(
        CodingExercise,
        on_delete=models.CASCADE,
        related_name="submissions",
        verbose_name=_("exercise"),
    )
    files = models.JSONField(_("files"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    # The tests' points before the late penalty; score is after it.
    raw_score = models.DecimalField(
        _("score before the late penalty"), max_digits=7, decimal_places=2, null=True, blank=True
    )
    # Decided when it was submitted, by the learner's own dates (extensions counted), and
    # kept by every regrade: the submission was this late when it was made.
    late_seconds = models.PositiveIntegerField(_("late by, seconds"), default=0, db_default=0)
    late_penalty = models.PositiveSmallIntegerField(
        _("late penalty applied, %"), default=0, db_default=0
    )
    runner_version = models.CharField(_("runner version"), max_length=100, blank=True)
    # The exercise's tests_version this grade was computed with ("" before versions existed).
    tests_version = models.CharField(
        _("tests version"), max_length=12, default="", db_default="", blank=True
    )
    error_reason = models.TextField(_("error"), blank=True)
    # The run that claimed it (queued -> running): only that run may write its grade.
    claim = models.CharField(
        _("claim"), max_length=32, blank=True, editable=False, default="", db_default=""
    )
    # The claim's lease (core.grading_work.lease_kept): renewed by the running process until
    # its run ends; past it the claim is a dead worker's and the sweep queues it again. And
    # which process holds it (core.grading_work.process_identity).
    lease_until = models.DateTimeField(_("claim held until"), null=True, blank=True, editable=False)
    claim_holder = models.CharField(
        _("claimed by"), max_length=100, blank=True, editable=False, default="", db_default=""
    )
    # Internal-error runs so far (retried automatically; never the learner's fault).
    runs = models.PositiveIntegerField(_("internal-error runs"), default=0)
    # Times the sweep re-queued it after a worker claimed it and never finished.
    requeues = models.PositiveIntegerField(_("requeued by the sweep"), default=0, db_default=0)
    # Times a grading from the queue stored this submission's grade (regrades not counted), in
    # the transaction that stored it: more than 1 would be a grading that ran to completion
    # twice, which the run's claim rules out (bench/chaos.py checks it under faults).
    gradings = models.PositiveIntegerField(
        _("gradings stored"), default=0, db_default=0, editable=False
    )
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [
            models.Index(fields=["status", "queued_at"], name="submission_status_queued"),
            models.Index(fields=["learner", "exercise"], name="submission_learner_exercise"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} / {self.learner} / {self.created_at:%Y-%m-%d %H:%M}"


class ExampleRun(RunOutcome):
    """A learner's code run against the exercise's visible example tests only: not graded,
    not an attempt, never shown to instructors, kept a while for its result page."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        ERROR = "error", _("error")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="example_runs",
        verbose_name=_("learner"),
    )
    exercise = models.ForeignKey(
        CodingExercise,
        on_delete=models.CASCADE,
        related_name="example_runs",
        verbose_name=_("exercise"),
    )
    files = models.JSONField(_("files"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    error_reason = models.TextField(_("error"), blank=True)
    claim = models.CharField(_("claim"), max_length=32, blank=True, editable=False, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("examples run")
        verbose_name_plural = _("examples runs")
        indexes = [
            models.Index(fields=["learner", "created_at"], name="example_run_learner_created"),
            models.Index(fields=["status", "queued_at"], name="example_run_status_queued"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} / {self.learner} / {self.created_at:%Y-%m-%d %H:%M} (examples)"


class Draft(models.Model):
    """What a learner last typed in an exercise's editor, saved as they type (one per learner
    and exercise), so it comes back on any device. Only its learner ever sees it."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="code_drafts",
        verbose_name=_("learner"),
    )
    exercise = models.ForeignKey(
        CodingExercise,
        on_delete=models.CASCADE,
        related_name="drafts",
        verbose_name=_("exercise"),
    )
    files = models.JSONField(_("files"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("code draft")
        verbose_name_plural = _("code drafts")
        constraints = [
            models.UniqueConstraint(fields=["learner", "exercise"], name="draft_one_per_learner"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} / {self.learner} (draft)"
