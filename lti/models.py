"""LTI 1.3: the platforms (LMSs) we trust, our own signing keys, who launched us, and the log
of scores sent back to a platform's gradebook."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.outbox import OutboxDelivery


class ToolKey(models.Model):
    """One of our RSA key pairs. Published in our JWKS from its creation; it signs (our
    client assertions and deep linking responses) only once it is `current`, so platforms
    that cache our JWKS already know it; a retired key stays published for a while after
    its successor took over, so what it signed still verifies."""

    class State(models.TextChoices):
        NEXT = "next", _("published, not signing yet")
        CURRENT = "current", _("signing")
        RETIRED = "retired", _("retired, still published")

    kid = models.CharField(_("key id"), max_length=64, unique=True)
    # Never shown in the admin or logged: the only copy of our private key.
    private_key_pem = models.TextField(_("private key"))
    public_jwk = models.JSONField(_("public key (JWK)"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("signing since"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tool key")
        verbose_name_plural = _("tool keys")
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=Q(state="current"), name="lti_one_current_key"
            ),
            models.UniqueConstraint(
                fields=["state"], condition=Q(state="next"), name="lti_one_next_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.state})"


class Platform(models.Model):
    """An LMS registered with us: its issuer and our client id there, and its endpoints."""

    name = models.CharField(_("name"), max_length=200)
    issuer = models.CharField(_("issuer"), max_length=255)
    client_id = models.CharField(_("client id"), max_length=255)
    auth_login_url = models.URLField(_("OIDC authentication URL"), max_length=500)
    auth_token_url = models.URLField(_("access token URL"), max_length=500)
    jwks_url = models.URLField(_("JWKS URL"), max_length=500)
    # The `aud` of our client assertion at the token URL, when the platform wants another
    # one than the token URL itself (Moodle, Canvas: empty).
    token_audience = models.CharField(_("token audience"), max_length=500, blank=True)
    # The course learners of this platform are enrolled in when a launch names no other.
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.PROTECT,
        related_name="lti_platforms",
        verbose_name=_("course"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    registered_dynamically = models.BooleanField(_("registered dynamically"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("LTI platform")
        verbose_name_plural = _("LTI platforms")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer})"


class Deployment(models.Model):
    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="deployments", verbose_name=_("platform")
    )
    deployment_id = models.CharField(_("deployment id"), max_length=255)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("LTI deployment")
        verbose_name_plural = _("LTI deployments")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "deployment_id"], name="lti_deployment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform.name}: {self.deployment_id}"


class RegistrationInvite(models.Model):
    """A one-time URL an administrator gives to an LMS for LTI Dynamic Registration."""

    token = models.CharField(_("token"), max_length=64, unique=True)
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="+", verbose_name=_("course")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_by = models.ForeignKey(
        Platform,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered platform"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dynamic registration invitation")
        verbose_name_plural = _("dynamic registration invitations")

    def __str__(self) -> str:
        return f"{self.course} ({self.created_at:%Y-%m-%d})"


class LoginState(models.Model):
    """The state and nonce of one OIDC login, until its launch comes back (single use: the
    row is deleted by the launch that matches it)."""

    state = models.CharField(max_length=64, unique=True)
    nonce = models.CharField(max_length=64, unique=True)
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    # The login's own parameters: a page can start it again in a new window when the
    # browser refused our cookie inside the LMS's frame.
    login_params = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"login {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class Identity(models.Model):
    """The local account a platform's user (issuer, sub) signs in as; created by a launch.
    A launch signs in only an account that has such a row for its own platform."""

    platform = models.ForeignKey(
        Platform, on_delete=models.PROTECT, related_name="identities", verbose_name=_("platform")
    )
    sub = models.CharField(_("subject"), max_length=255)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="lti_identity",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("LTI identity")
        verbose_name_plural = _("LTI identities")
        constraints = [
            models.UniqueConstraint(fields=["platform", "sub"], name="lti_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.platform.issuer} / {self.sub}"


class Context(models.Model):
    """A course of the LMS (the launch's context claim), tied to one of our courses."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.CASCADE, related_name="contexts", verbose_name=_("deployment")
    )
    context_id = models.CharField(_("context id"), max_length=255)
    title = models.CharField(_("title"), max_length=255, blank=True)
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.PROTECT,
        related_name="lti_contexts",
        verbose_name=_("course"),
    )
    lineitems_url = models.URLField(_("line items URL"), max_length=500, blank=True)
    ags_scopes = models.JSONField(_("AGS scopes"), default=list)
    memberships_url = models.URLField(_("memberships URL"), max_length=500, blank=True)
    roster_synced_at = models.DateTimeField(_("roster synced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("LTI context")
        verbose_name_plural = _("LTI contexts")
        constraints = [
            models.UniqueConstraint(fields=["deployment", "context_id"], name="lti_context_unique"),
        ]

    def __str__(self) -> str:
        return self.title or self.context_id


class ResourceLink(models.Model):
    """A link placed in the LMS to one quiz or exercise, with the line item its scores go to."""

    context = models.ForeignKey(
        Context, on_delete=models.CASCADE, related_name="links", verbose_name=_("context")
    )
    resource_link_id = models.CharField(_("resource link id"), max_length=255)
    quiz = models.ForeignKey(
        "quizzes.Quiz",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quiz"),
    )
    exercise = models.ForeignKey(
        "grader.CodingExercise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exercise"),
    )
    lineitem_url = models.URLField(_("line item URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("LTI resource link")
        verbose_name_plural = _("LTI resource links")
        constraints = [
            models.UniqueConstraint(
                fields=["context", "resource_link_id"], name="lti_resource_link_unique"
            ),
            models.CheckConstraint(
                condition=Q(quiz__isnull=False, exercise__isnull=True)
                | Q(quiz__isnull=True, exercise__isnull=False),
                name="lti_resource_link_one_target",
            ),
        ]

    def __str__(self) -> str:
        return self.resource_link_id


class Membership(models.Model):
    """A user's role in an LMS course, from launches and roster syncs. Someone who left the
    course is marked (`left_at`), never deleted: their work stays."""

    class Role(models.TextChoices):
        LEARNER = "learner", _("learner")
        INSTRUCTOR = "instructor", _("instructor")
        TEACHING_ASSISTANT = "ta", _("teaching assistant")

    context = models.ForeignKey(
        Context, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("context")
    )
    identity = models.ForeignKey(
        Identity, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("identity")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("LTI membership")
        verbose_name_plural = _("LTI memberships")
        constraints = [
            models.UniqueConstraint(fields=["context", "identity"], name="lti_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.identity} in {self.context} ({self.role})"


class RosterSync(models.Model):
    """One sync of an LMS course's members (NRPS), asked for by an instructor and run by a
    task (lti.roster.roster_sync_run): what the roster page shows while it runs and after.
    At most one per LMS course is queued or running at a time."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    context = models.ForeignKey(
        Context, on_delete=models.CASCADE, related_name="roster_syncs", verbose_name=_("context")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    # Members listed as active in the LMS, and members marked as left by this sync.
    active = models.PositiveIntegerField(_("active members"), null=True, blank=True)
    left = models.PositiveIntegerField(_("marked as left"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("roster sync")
        verbose_name_plural = _("roster syncs")
        constraints = [
            # Pressed twice (or by two instructors): one sync in flight, not two.
            models.UniqueConstraint(
                fields=["context"],
                condition=Q(status__in=["queued", "running"]),
                name="lti_roster_sync_one_in_flight",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.context} ({self.status})"


class ScoreDelivery(OutboxDelivery):
    """One score of one learner for one resource link, to be posted to the platform's line
    item (AGS): an outbox row (core.outbox). Ordered by `graded_at`: an older score is never
    sent over a newer one."""

    # The outbox's states again (Django's choices cannot be extended; tests/core/test_outbox.py
    # checks they stay the same) and LTI's own two.
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        RETRYING = "retrying", _("waiting to retry")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        SUPERSEDED = "superseded", _("superseded by a newer score")
        # The item is in exam mode and its results are not released: the LMS's gradebook
        # would show the score to the learner. Sent once they are (score_deliveries_send_due).
        HELD = "held", _("held until the results are released")

    link = models.ForeignKey(
        ResourceLink,
        on_delete=models.CASCADE,
        related_name="score_deliveries",
        verbose_name=_("resource link"),
    )
    identity = models.ForeignKey(
        Identity, on_delete=models.CASCADE, related_name="+", verbose_name=_("identity")
    )
    score_given = models.DecimalField(_("score"), max_digits=9, decimal_places=2)
    score_maximum = models.DecimalField(_("maximum"), max_digits=9, decimal_places=2)
    # When the score was decided here (the AGS `timestamp`): orders the deliveries.
    graded_at = models.DateTimeField(_("graded at"))
    # (Declared again for LTI's states: the outbox's own has five.)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    resend_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent again from"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("LTI score delivery")
        verbose_name_plural = _("LTI score deliveries")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="lti_score_status_next"),
            models.Index(fields=["link", "identity", "graded_at"], name="lti_score_order"),
        ]

    def __str__(self) -> str:
        return f"{self.identity} {self.score_given}/{self.score_maximum} ({self.status})"
