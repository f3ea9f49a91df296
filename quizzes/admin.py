"""Admin for quizzes: authoring questions, watching attempts, grading free-text answers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core.admin_search import SearchIgnoresCase
from core.admin_writes import DeletesThroughService
from quizzes.authoring import (
    question_deletable,
    question_delete,
    question_save,
    question_write,
    quiz_deletable,
    quiz_delete,
    quiz_save,
    quizzes_touch,
)
from quizzes.editor_forms import SpecFields, spec_summary
from quizzes.models import QUESTION_TYPE_LABELS, Answer, Attempt, Question, Quiz
from quizzes.services import QuizRuleError, answer_grade_manually, attempt_regrade


class QuestionFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.deleted_forms:
            question = form.instance
            if question.pk is not None and not question_deletable(question):
                raise forms.ValidationError(
                    _("%(question)s: learners have answered it; it cannot be deleted")
                    % {"question": question}
                )


class QuestionInline(admin.TabularInline):
    """The quiz's questions as a readable list: each one's type, points and answers in a
    line, and a link to its own page, where the per-type editor is (never a JSON box).
    The order can be changed here; questions are added from the quiz's "add" link."""

    model = Question
    formset = QuestionFormSet
    fields = ("order", "summary", "type", "points", "answers", "edit")
    readonly_fields = ("summary", "type", "points", "answers", "edit")
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("question"))
    def summary(self, question: Question) -> str:
        return str(question)

    @admin.display(description=_("answers"))
    def answers(self, question: Question) -> str:
        return spec_summary(question.type, question.spec)

    @admin.display(description=_("edit"))
    def edit(self, question: Question) -> SafeString:
        url = reverse("admin:quizzes_question_change", args=[question.pk])
        return format_html('<a href="{}">{}</a>', url, _("Edit the question"))


@admin.register(Quiz)
class QuizAdmin(SearchIgnoresCase, DeletesThroughService):
    list_display = ("title", "section", "pass_score", "max_attempts", "score_policy", "due_at")
    list_filter = ("section__part__course", "score_policy", "feedback_policy")
    search_fields = ("title", "section__title")
    list_select_related = ("section",)
    inlines = [QuestionInline]
    readonly_fields = ("add_question",)

    @admin.display(description=_("new question"))
    def add_question(self, quiz: Quiz) -> SafeString | str:
        if quiz.pk is None:
            return _("Save the quiz first, then add its questions.")
        url = reverse("admin:quizzes_question_add")
        return format_html('<a href="{}?quiz={}">{}</a>', url, quiz.pk, _("Add a question"))

    # Writes go through quizzes.authoring, as from the API: the worker's cache of a quiz's
    # questions and learners' section progress follow them.
    def save_model(self, request: HttpRequest, obj: Quiz, form: Any, change: bool) -> None:
        quiz_save(quiz=obj)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # the inline questions
        quizzes_touch({form.instance.pk})

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The inline questions are written by quizzes.authoring too (their key versions)."""
        if formset.model is not Question:
            super().save_formset(request, form, formset, change)
            return
        questions = formset.save(commit=False)
        for question in formset.deleted_objects:  # (the formset refused answered ones)
            question_delete(question=question)
        for question in questions:
            question_write(question=question)

    # A quiz learners attempted stays: their attempts and grades hang on it.
    def deletable(self, obj: Quiz) -> bool:
        return quiz_deletable(obj)

    def delete(self, obj: Quiz) -> None:
        quiz_delete(quiz=obj)


class SpecFieldsWidget(forms.Widget):
    """The question editor's per-type fields (quizzes/_spec_fields.html) inside the admin."""

    spec_fields: SpecFields

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        html = render_to_string("quizzes/_spec_fields.html", {"spec_fields": self.spec_fields})
        return mark_safe(html)  # noqa: S308 - a template's output, escaped by the template

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return None  # the fields are read by SpecFields, from the whole post


class QuestionEditorForm(forms.ModelForm):
    """A question's form: its answers through the same per-type fields as the teaching
    pages' editor, not a JSON box. Its type is fixed here (the fields depend on it): a new
    question's comes from the add page's type chooser (`question_type`)."""

    question_type = ""  # set on the class made for a new question of one type
    answers = forms.Field(label=_("Answers"), required=False, widget=SpecFieldsWidget)

    class Meta:
        model = Question
        fields = ("quiz", "order", "title", "text", "text_format", "points", "explanation")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.instance.type = self.question_type
        question_type = self.instance.type
        if self.is_bound:
            action = self.data.get("action", "")
            self.spec_fields = SpecFields(
                question_type,
                data=self.data,
                add_rows=action.removeprefix("add-") if action.startswith("add-") else "",
                move=action.removeprefix("move-") if action.startswith("move-") else "",
            )
        else:
            self.spec_fields = SpecFields(question_type, spec=self.instance.spec)
        widget = self.fields["answers"].widget
        assert isinstance(widget, SpecFieldsWidget)
        widget.spec_fields = self.spec_fields

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.spec_fields.rearranged:  # "add rows" or a row's move: not a save
            self.add_error("answers", _("Rows were added or moved; check them and save."))
        elif self.spec_fields.is_valid():
            self.instance.spec = self.spec_fields.spec
        else:
            self.add_error("answers", _("Some answers need fixing: see the messages below."))
        return cleaned

    def _update_errors(self, errors: Any) -> None:
        # Question.clean names the JSON field "spec", which this form shows as "answers":
        # already refused there (the fields name the problem), or else said there.
        found = getattr(errors, "error_dict", {})
        if "spec" in found:
            messages = found.pop("spec")
            if not self.has_error("answers"):
                found["answers"] = messages
        super()._update_errors(errors)  # type: ignore[misc]  # (private: not in the stubs)


@admin.register(Question)
class QuestionAdmin(SearchIgnoresCase, DeletesThroughService):
    list_display = ("__str__", "quiz", "type", "points", "order")
    list_filter = ("type", "quiz__section__part__course")
    search_fields = ("title", "text")
    list_select_related = ("quiz__section",)
    readonly_fields = ("type",)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Without a type (?type=...), the page asks for one first: the answers' fields
        depend on it. Other parameters (?quiz=3) are kept."""
        if request.GET.get("type") not in QUESTION_TYPE_LABELS:
            query = request.GET.copy()
            query.pop("type", None)
            choices = []
            for name, label in QUESTION_TYPE_LABELS.items():
                query["type"] = name
                choices.append((label, f"?{query.urlencode()}"))
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Add a question: choose its type"),
                "choices": choices,
            }
            return TemplateResponse(request, "admin/quizzes/question/choose_type.html", context)
        return super().add_view(request, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form: type[QuestionEditorForm] = QuestionEditorForm
        if obj is None:
            chosen = request.GET.get("type", "")
            if chosen not in QUESTION_TYPE_LABELS:
                chosen = next(iter(QUESTION_TYPE_LABELS))  # (add_view asked for one first)
            form = type("QuestionAddForm", (QuestionEditorForm,), {"question_type": chosen})
        kwargs["form"] = form
        kwargs["fields"] = [*QuestionEditorForm.Meta.fields, "answers"]
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Question, form: Any, change: bool) -> None:
        question_save(question=obj)

    def deletable(self, obj: Question) -> bool:
        return question_deletable(obj)

    def delete(self, obj: Question) -> None:
        question_delete(question=obj)


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("question", "response", "score", "needs_manual_grading", "feedback", "graded_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Attempt)
class AttemptAdmin(SearchIgnoresCase):
    list_display = (
        "quiz",
        "learner",
        "number",
        "status",
        "percent",
        "passed",
        "late",
        "awaiting_manual_grading",
        "submitted_at",
        "grading_runs",
        "requeues",
        "error_reason",
    )
    list_filter = ("status", "awaiting_manual_grading", "late", "quiz__section__part__course")
    search_fields = ("learner__username", "quiz__title")
    list_select_related = ("quiz__section", "learner")
    readonly_fields = [f.name for f in Attempt._meta.fields]
    inlines = [AnswerInline]
    actions = ["regrade"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Grade the selected attempts again"))
    def regrade(self, request: HttpRequest, queryset: QuerySet[Attempt]) -> None:
        done = 0
        for attempt in queryset:
            try:
                attempt_regrade(attempt=attempt)
                done += 1
            except QuizRuleError as error:
                self.message_user(request, f"{attempt}: {error}", messages.WARNING)
        self.message_user(request, _("%(n)d attempts queued for grading") % {"n": done})


class ManualGradeForm(forms.ModelForm):
    grade = forms.DecimalField(label=_("score"), min_value=Decimal(0), decimal_places=2)
    comment = forms.CharField(label=_("feedback"), widget=forms.Textarea, required=False)

    class Meta:
        model = Answer
        fields: list[str] = []


@admin.register(Answer)
class AnswerAdmin(SearchIgnoresCase):
    """Free-text answers waiting for an instructor's grade."""

    form = ManualGradeForm
    list_display = ("attempt", "question", "needs_manual_grading", "score", "graded_by")
    list_filter = ("needs_manual_grading", "question__type")
    search_fields = (
        "question__title", "question__text", "attempt__quiz__title", "attempt__learner__username",
    )  # fmt: skip
    list_select_related = ("attempt__quiz__section", "attempt__learner", "question")
    readonly_fields = ("attempt", "question", "response", "score", "feedback")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Answer, form: Any, change: bool) -> None:
        try:
            answer_grade_manually(
                answer=obj,
                score=form.cleaned_data["grade"],
                feedback=form.cleaned_data["comment"],
                grader=request.user,  # type: ignore[arg-type]
            )
        except QuizRuleError as error:
            self.message_user(request, str(error), messages.ERROR)
