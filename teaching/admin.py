"""Regrades in the admin: start one (its dry run is queued), read its changes, apply it.
Groups of learners (deadlines.CourseGroup), saved through teaching.deadlines.group_save:
members must be the course's learners."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from deadlines.models import CourseGroup
from teaching.deadlines import group_save
from teaching.models import GradeChange, RegradeJob
from teaching.regrade import (
    RegradeError,
    job_summary,
    regrade_apply,
    regrade_check,
    regrade_start,
)


class GradeChangeInline(admin.TabularInline):
    model = GradeChange
    fields = ("learner", "attempt", "submission", "old_score", "new_score", "old_passed",
              "new_passed", "status", "applied_at")  # fmt: skip
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RegradeForm(forms.ModelForm):
    class Meta:
        model = RegradeJob
        fields = ["question", "quiz", "exercise", "scope", "reason"]

    user: Any = None  # the admin's request user (RegradeJobAdmin.get_form sets it)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk is None:
            question = data.get("question")
            try:
                regrade_check(
                    by=self.user, reason=data.get("reason") or "", question=question,
                    quiz=None if question else data.get("quiz"), exercise=data.get("exercise"),
                )  # fmt: skip
            except RegradeError as error:
                raise forms.ValidationError(str(error)) from None
        return data


@admin.register(RegradeJob)
class RegradeJobAdmin(admin.ModelAdmin):
    list_display = ("__str__", "course", "scope", "status", "done", "created_by",
                    "created_at", "applied_at")  # fmt: skip
    list_filter = ("status", "target", "course")
    list_select_related = ("course", "created_by", "question", "quiz", "exercise")
    inlines = [GradeChangeInline]
    actions = ["apply"]
    form = RegradeForm

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.inlines

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["question", "quiz", "exercise", "scope", "reason"]
        return [
            "target", "question", "quiz", "exercise", "scope", "reason", "status", "summary",
            "created_by", "applied_by", "computed_at", "applied_at", "error",
        ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description=_("done, %"))
    def done(self, obj: RegradeJob) -> int:
        return obj.percent_done

    @admin.display(description=_("summary"))
    def summary(self, obj: RegradeJob) -> str:
        return ", ".join(f"{key}: {value}" for key, value in job_summary(obj).items())

    def save_model(self, request: HttpRequest, obj: RegradeJob, form: Any, change: bool) -> None:
        if change:
            return
        try:  # (checked by the form; a refusal here is a race with a role change)
            job = regrade_start(
                by=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
                question=form.cleaned_data.get("question"),
                quiz=None if form.cleaned_data.get("question") else form.cleaned_data.get("quiz"),
                exercise=form.cleaned_data.get("exercise"),
                latest_only=form.cleaned_data["scope"] == RegradeJob.Scope.LATEST,
            )
        except RegradeError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        obj.pk = job.pk
        self.message_user(request, _("Dry run queued: the changes appear here when it is done."))

    @admin.action(description=_("Apply the selected dry runs"))
    def apply(self, request: HttpRequest, queryset: QuerySet[RegradeJob]) -> None:
        for job in queryset:
            try:
                regrade_apply(job=job, by=request.user)  # type: ignore[arg-type]
                self.message_user(request, _("%(job)s: applying") % {"job": job})
            except RegradeError as error:
                self.message_user(request, f"{job}: {error}", messages.WARNING)


class CourseGroupForm(forms.ModelForm):
    class Meta:
        model = CourseGroup
        fields = ["course", "name", "members"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        course, name = cleaned.get("course"), cleaned.get("name")
        if course is not None and name:
            # The service's own checks, on the form's fields, before anything is written.
            self.group_input = (course, name, list(cleaned.get("members") or []))
            try:
                _check_only(*self.group_input, group=self.instance if self.instance.pk else None)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return cleaned


def _check_only(course: Any, name: str, members: list[Any], *, group: Any) -> None:
    # group_save in a transaction that is rolled back: its checks, nothing kept.
    with transaction.atomic():
        group_save(course=course, name=name, members=members, group=group)
        transaction.set_rollback(True)


@admin.register(CourseGroup)
class CourseGroupAdmin(admin.ModelAdmin):
    form = CourseGroupForm
    list_display = ["name", "course", "created_at"]
    list_filter = ["course"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        course, name, members = form.group_input
        saved = group_save(course=course, name=name, members=members, group=obj if obj.pk else None)
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The members were set by group_save."""
