"""The question editor of the teaching pages: a quiz's questions, the common fields of one,
its preview exactly as a learner sees it, and "try it", which grades an answer and records
nothing.

The per-type fields are quizzes.editor_forms; saving goes through
quizzes.authoring.question_save (versions and provenance)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy

from quizzes import grading
from quizzes.authoring import question_add, question_save
from quizzes.editor_forms import SpecFields
from quizzes.models import Question, Quiz
from quizzes.presentation import (
    public_spec,
    question_form_entry,
    question_text_html,
    response_from_form,
)
from quizzes.selectors import AttemptQuestion, public_question_key

# What the types are called on the pages, in the order "add a question" offers them.
TYPE_LABELS = {
    "single_choice": gettext_lazy("single choice"),
    "multiple_choice": gettext_lazy("multiple choice"),
    "true_false": gettext_lazy("true or false"),
    "short_text": gettext_lazy("short text answer"),
    "numeric": gettext_lazy("numeric answer"),
    "ordering": gettext_lazy("ordering"),
    "matching": gettext_lazy("matching pairs"),
    "fill_blanks": gettext_lazy("fill in the blanks"),
    "essay": gettext_lazy("essay"),
}
# The seed of the preview's shuffles when none is asked for; "shuffle again" moves it on.
PREVIEW_SEED = 1


class QuestionCommonForm(forms.Form):
    """The fields every question has, whatever its type."""

    title = forms.CharField(label=gettext_lazy("Title"), required=False, max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Question text (Markdown)"), widget=forms.Textarea(attrs={"rows": 5})
    )
    points = forms.DecimalField(
        label=gettext_lazy("Points"), min_value=Decimal(0), max_digits=7, decimal_places=2
    )
    explanation = forms.CharField(
        label=gettext_lazy("General feedback (shown after grading)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def editor_forms(
    *, question: Question, data: QueryDict | None = None
) -> tuple[QuestionCommonForm, SpecFields]:
    """The two forms of the editor: from the question as stored, or from a post."""
    if data is None:
        common = QuestionCommonForm(
            initial={
                "title": question.title,
                "text": question.text,
                "points": question.points,
                "explanation": question.explanation,
            }
        )
        return common, SpecFields(question.type, spec=question.spec)
    action = data.get("action", "")
    spec_fields = SpecFields(
        question.type,
        data=data,
        add_rows=action.removeprefix("add-") if action.startswith("add-") else "",
        move=action.removeprefix("move-") if action.startswith("move-") else "",
    )
    return QuestionCommonForm(data), spec_fields


def question_from_editor(
    *,
    question: Question,
    common: QuestionCommonForm,
    spec_fields: SpecFields,
    seen_stamp: str | None = None,
) -> Question:
    """Save the question from valid forms (both `is_valid()`); `seen_stamp`: see
    quizzes.authoring.question_save (QuestionEditConflict, nothing written)."""
    values = common.cleaned_data
    question.title = values["title"].strip()
    question.text = values["text"]
    question.points = values["points"]
    question.explanation = values["explanation"]
    question.spec = spec_fields.spec or {}
    if question.pk is None:
        return question_add(question=question)
    return question_save(question=question, seen_stamp=seen_stamp)


@dataclass(frozen=True)
class TryResult:
    """A graded answer, never stored: what the learner would get, and what they typed."""

    result: grading.GradeResult | None
    problem: str  # the response could not be read (an empty string otherwise)
    response: Any  # in the ids the preview shows


def _preview_item(question: Question, *, seed: int) -> AttemptQuestion:
    """The question as a learner's attempt shows it: the quiz's shuffles, opaque ids."""
    id_key = public_question_key()
    view = {
        "id": question.pk,
        "type": question.type,
        "title": question.title,
        "text": question.text,
        "text_format": question.text_format,
        "points": str(question.points),
        **public_spec(
            question.type,
            question.spec,
            seed=seed,
            salt=f"q{question.pk}",
            shuffle_choices=question.quiz.shuffle_choices,
            id_key=id_key,
        ),
    }
    return AttemptQuestion(question=question, view=view, id_key=id_key)


def question_preview(
    *, question: Question, seed: int, tried: TryResult | None = None, number: int | None = None
) -> dict[str, Any]:
    """What quizzes/_question.html needs to show the question as a learner sees it."""
    item = _preview_item(question, seed=seed)
    return question_form_entry(
        number=number or question.order or 1,
        view=item.view,
        text_html=question_text_html(question.text, question.text_format),
        response=(tried.response if tried else None) or {},
    )


def quiz_preview(*, quiz: Quiz, seed: int) -> list[dict[str, Any]]:
    """Every question of the quiz as a learner sees it (in the quiz's order; an attempt
    shuffles them too when the quiz says so), numbered from 1."""
    questions = Question.objects.filter(quiz=quiz).select_related("quiz").order_by("order", "id")
    return [
        question_preview(question=question, seed=seed, number=number)
        for number, question in enumerate(questions, start=1)
    ]


def question_try(*, question: Question, seed: int, data: QueryDict) -> TryResult:
    """Grade the posted answer as the attempt page would; nothing is written."""
    item = _preview_item(question, seed=seed)
    shown = response_from_form(item.view, data.getlist)
    stored = item.response_to_stored(shown)
    try:
        grading.validate_response(question.type, question.spec, stored, unstorable_ok=True)
        result = grading.grade(question.type, question.spec, stored, Decimal(question.points))
    except grading.ResponseError as error:
        return TryResult(result=None, problem=error.message, response=shown)
    return TryResult(result=result, problem="", response=shown)
