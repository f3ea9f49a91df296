"""A question's text, feedback or explanation as safe HTML in templates:
{% load quiz_text %} {{ answer.text|question_html:answer.text_format }}."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from quizzes.presentation import question_text_html

register = template.Library()


@register.filter
def question_html(text: str, text_format: str) -> SafeString:
    # question_text_html sanitises HTML and escapes plain text: its output is safe.
    return mark_safe(question_text_html(text, text_format))  # noqa: S308
