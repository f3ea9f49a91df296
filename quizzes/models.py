"""Quizzes on sections, their questions, learners' attempts and answers."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.versions import content_version
from courses.models import Section, check_stays_in_course
from deadlines.models import Scheduled
from quizzes import grading


class Quiz(Scheduled):
    class ScorePolicy(models.TextChoices):
        BEST = "best", _("best attempt")
        LAST = "last", _("last attempt")
        AVERAGE = "average", _("average of attempts")

    class FeedbackPolicy(models.TextChoices):
        IMMEDIATELY = "immediately", _("immediately after grading")
        AFTER_DUE = "after_due", _("after the due date")
        NEVER = "never", _("never")

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="quizzes", verbose_name=_("section")
    )
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions (Markdown)"), blank=True)
    pass_score = models.PositiveSmallIntegerField(
        _("pass score, %"), default=60, validators=[MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("max attempts"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    time_limit = models.DurationField(_("time limit"), null=True, blank=True)
    score_policy = models.CharField(
        _("score policy"), max_length=16, choices=ScorePolicy.choices, default=ScorePolicy.BEST
    )
    retry_penalty = models.PositiveSmallIntegerField(
        _("retry penalty, % per retry"), default=0, validators=[MaxValueValidator(100)]
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    shuffle_choices = models.BooleanField(_("shuffle choices"), default=True)
    feedback_policy = models.CharField(
        _("feedback"),
        max_length=16,
        choices=FeedbackPolicy.choices,
        default=FeedbackPolicy.IMMEDIATELY,
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["section_id", "order", "id"]
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(due_at__isnull=True)
                | Q(due_at__gt=models.F("opens_at")),
                name="quiz_due_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section.number} {self.title}"

    def clean(self) -> None:
        super().clean()
        check_stays_in_course(self, learners_work=Attempt.objects.filter(quiz_id=self.pk))


# How the admin and the pages name each question type of the grading registry (which imports
# no Django, so the names live here): a type added there without a name here fails at import.
QUESTION_TYPE_LABELS = {
    "single_choice": _("single choice"),
    "multiple_choice": _("multiple choice"),
    "true_false": _("true or false"),
    "short_text": _("short answer"),
    "numeric": _("numeric answer"),
    "ordering": _("ordering"),
    "matching": _("matching"),
    "fill_blanks": _("fill in the blanks"),
    "essay": _("essay"),
    "description": _("description (text only, not graded)"),
}

# The fields Question.key_version covers.
VERSIONED_FIELDS = frozenset({"type", "spec", "points"})


class Question(models.Model):
    class TextFormat(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        HTML = "html", "HTML"
        MOODLE = "moodle", _("Moodle auto-format")
        PLAIN = "plain", _("plain text")

    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="questions", verbose_name=_("quiz")
    )
    type = models.CharField(
        _("type"),
        max_length=32,
        choices=[(name, QUESTION_TYPE_LABELS[name]) for name in grading.QUESTION_TYPES],
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    text_format = models.CharField(
        _("text format"), max_length=16, choices=TextFormat.choices, default=TextFormat.MARKDOWN
    )
    points = models.DecimalField(
        _("points"),
        max_digits=7,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    explanation = models.TextField(_("explanation (general feedback)"), blank=True)
    # Kept from Moodle question banks (GIFT "// [tag:…] [id:…]"), written back on export.
    tags = models.JSONField(_("tags"), default=list, blank=True, db_default=[])
    idnumber = models.CharField(
        _("id number"), max_length=100, blank=True, default="", db_default=""
    )
    # Type-specific: choices, accepted answers, ... (see docs/question-types.md).
    spec = models.JSONField(_("specification"), default=dict, blank=True)  # ({} for a description)
    # What answers are graded against (type, spec, points), as a version (core.versions):
    # each graded answer records the one it was graded with.
    key_version = models.CharField(
        _("answer key version"), max_length=12, default="", db_default="", editable=False
    )
    # What the last import wrote, a digest per group of the fields it owns (core.provenance):
    # how the next import tells an instructor's edits on the site from its own work.
    import_digests = models.JSONField(
        _("import digests"), default=dict, blank=True, editable=False, db_default={}
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["quiz_id", "order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.title or self.text[:60]

    def current_key_version(self) -> str:
        return content_version(self.type, self.spec, Decimal(self.points))

    def clean(self) -> None:
        try:
            grading.validate_spec(self.type, self.spec)
        except grading.SpecError as error:
            raise ValidationError({"spec": str(error)}) from None
        if self.type == "description" and self.points:
            # Text between questions: nothing to answer, so nothing to score.
            raise ValidationError({"points": _("A description (text only) is worth 0 points.")})


class QuestionFile(models.Model):
    """An image of a question (from a Moodle XML <file>), served by quizzes.views.

    Its text refers to it as "@@PLUGINFILE@@/<key>/<name>", the key a digest of the bytes,
    so the reference is the same wherever the same image is imported (quizzes.question_files).
    """

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="files", verbose_name=_("question")
    )
    key = models.CharField(_("key"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    content_type = models.CharField(_("content type"), max_length=32)
    data = models.BinaryField(_("data"))

    class Meta:
        verbose_name = _("question file")
        verbose_name_plural = _("question files")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "key", "name"], name="question_file_unique_per_question"
            )
        ]
        indexes = [models.Index(fields=["key", "name"], name="question_file_key_name")]

    def __str__(self) -> str:
        return self.name


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        SUBMITTED = "submitted", _("submitted")
        GRADED = "graded", _("graded")
        ERROR = "error", _("grading error")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="quiz_attempts",
        verbose_name=_("learner"),
    )
    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("quiz")
    )
    number = models.PositiveIntegerField(_("attempt number"))
    # Question and choice order derive from the seed, so a reload shows the same order.
    seed = models.BigIntegerField(_("seed"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS
    )
    started_at = models.DateTimeField(_("started at"))
    # started_at + time limit; answers after it (plus a grace) are refused.
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    # When the grading task was last handed to the broker (the sweep re-queues stale ones).
    grading_queued_at = models.DateTimeField(_("queued for grading at"), null=True, blank=True)
    grading_runs = models.PositiveIntegerField(_("grading runs"), default=0)
    # Times the periodic sweep queued its grading again (settings.GRADING_MAX_REQUEUES).
    requeues = models.PositiveIntegerField(_("requeued by the sweep"), default=0, db_default=0)
    # When a worker last took the grading the sweep queued again (the first delivery, right
    # after submit, writes nothing): taken since last queued and still not graded, it died.
    grading_claimed_at = models.DateTimeField(_("grading claimed at"), null=True, blank=True)
    awaiting_manual_grading = models.BooleanField(_("awaiting manual grading"), default=False)
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(
        _("max score"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    penalty = models.PositiveSmallIntegerField(_("retry penalty applied, %"), default=0)
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    late = models.BooleanField(_("late"), default=False)
    # Decided when the attempt was submitted, by the learner's own dates (extensions counted),
    # and kept by every regrade: the attempt was this late when it was made.
    late_seconds = models.PositiveIntegerField(_("late by, seconds"), default=0, db_default=0)
    late_penalty = models.PositiveSmallIntegerField(
        _("late penalty applied, %"), default=0, db_default=0
    )
    # The points before the retry and late penalties (None: not graded yet).
    raw_score = models.DecimalField(
        _("score before penalties"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    error_reason = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["quiz_id", "learner_id", "number"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            # Two simultaneous "start" requests compute the same next number: one of
            # them fails here, so the attempt limit holds under concurrency.
            models.UniqueConstraint(
                fields=["learner", "quiz", "number"], name="attempt_number_unique"
            ),
            models.UniqueConstraint(
                fields=["learner", "quiz"],
                condition=Q(status="in_progress"),
                name="one_attempt_in_progress",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="attempt_status_submitted"),
            models.Index(fields=["status", "deadline"], name="attempt_status_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz} #{self.number} ({self.learner})"


class Answer(models.Model):
    attempt = models.ForeignKey(
        Attempt, on_delete=models.CASCADE, related_name="answers", verbose_name=_("attempt")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("question")
    )
    response = models.JSONField(_("response"), null=True, blank=True)
    saved_at = models.DateTimeField(_("saved at"))
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    feedback = models.JSONField(_("feedback"), default=list, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    needs_manual_grading = models.BooleanField(_("needs manual grading"), default=False)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("graded by"),
    )
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    # The question's key_version this score was computed with ("" before versions existed).
    key_version = models.CharField(
        _("answer key version"), max_length=12, default="", db_default="", blank=True
    )

    class Meta:
        ordering = ["attempt_id", "question_id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="answer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt} / {self.question}"
