"""Admin for LTI: platforms and their deployments, our keys (never their private half), the
launch records, and the score delivery log with "send again"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lti.grades import score_resend
from lti.keys import tool_key_rotate
from lti.models import (
    Context,
    Deployment,
    Identity,
    Membership,
    Platform,
    RegistrationInvite,
    RosterSync,
    ScoreDelivery,
    ToolKey,
)
from lti.registration import registration_invite_create


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 1
    fields = ("deployment_id", "is_active", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "client_id", "course", "is_active", "created_at")
    list_filter = ("is_active", "registered_dynamically")
    search_fields = ("name", "issuer", "client_id")
    inlines = [DeploymentInline]
    readonly_fields = ("registered_dynamically", "created_at")


@admin.register(ToolKey)
class ToolKeyAdmin(admin.ModelAdmin):
    list_display = ("kid", "state", "created_at", "activated_at", "retired_at")
    # The private key is not among the fields: it never appears on a page.
    fields = ("kid", "state", "public_jwk", "created_at", "activated_at", "retired_at")
    readonly_fields = fields
    actions = ["rotate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Publish a successor key (it signs after the publication delay)"))
    def rotate(self, request: HttpRequest, queryset: QuerySet[ToolKey]) -> None:
        key = tool_key_rotate()
        self.message_user(
            request, _("Successor key %(kid)s is published.") % {"kid": key.kid}, messages.SUCCESS
        )


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "platform", "sub", "created_at")
    search_fields = ("sub", "user__username")
    list_select_related = ("user", "platform")
    readonly_fields = ("platform", "sub", "user", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Context)
class ContextAdmin(admin.ModelAdmin):
    list_display = ("title", "context_id", "deployment", "course", "roster_synced_at")
    list_select_related = ("deployment__platform", "course")
    readonly_fields = (
        "deployment",
        "context_id",
        "title",
        "lineitems_url",
        "ags_scopes",
        "memberships_url",
        "roster_synced_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("identity", "context", "role", "left_at", "updated_at")
    list_filter = ("role", "left_at")
    list_select_related = ("identity__user", "identity__platform", "context")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Membership._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(RegistrationInvite)
class RegistrationInviteAdmin(admin.ModelAdmin):
    """Added with a course only: the service makes the token; the page shows the URL to paste
    into the LMS (Moodle: Site administration > Plugins > External tool > Manage tools)."""

    list_display = ("course", "created_by", "created_at", "expires_at", "used_by")
    list_select_related = ("course", "created_by", "used_by")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["course"]
        return ["course", "registration_url", "created_by", "created_at", "expires_at", "used_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description=_("registration URL"))
    def registration_url(self, obj: RegistrationInvite) -> str:
        if obj.used_by_id is not None:
            return "—"
        return reverse("lti:register", args=[obj.token])

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        invite = self.get_object(request, object_id)
        if request.method == "GET" and invite is not None and invite.used_by_id is None:
            # The whole URL, with this site's address, as the LMS needs it.
            url = request.build_absolute_uri(self.registration_url(invite))
            self.message_user(
                request, _("Registration URL for the LMS: %(url)s") % {"url": url}, messages.INFO
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(
        self, request: HttpRequest, obj: RegistrationInvite, form: Any, change: bool
    ) -> None:
        if change:
            return
        created = registration_invite_create(course=obj.course, created_by=request.user)  # type: ignore[arg-type]
        obj.pk = created.pk
        obj.token = created.token
        obj.expires_at = created.expires_at
        obj.created_at = created.created_at


@admin.register(ScoreDelivery)
class ScoreDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "uuid", "identity", "link", "score_given", "score_maximum", "status", "attempts",
        "graded_at", "delivered_at",
    )  # fmt: skip
    list_filter = ("status", "created_at")
    search_fields = ("uuid", "identity__sub", "identity__user__username")
    list_select_related = ("identity__platform", "link")
    actions = ["resend"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in ScoreDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Send the selected scores again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[ScoreDelivery]) -> None:
        count = 0
        for delivery in queryset.select_related("link", "identity"):
            score_resend(delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext("%d score queued again.", "%d scores queued again.", count) % count,
            messages.SUCCESS,
        )


@admin.register(RosterSync)
class RosterSyncAdmin(admin.ModelAdmin):
    """The roster syncs asked for on the teaching page, and how each went (read only)."""

    list_display = ("context", "status", "active", "left", "requested_by", "created_at",
                    "finished_at")  # fmt: skip
    list_filter = ("status",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
