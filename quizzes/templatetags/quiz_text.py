"""A question's text, feedback or explanation as safe HTML in templates:
{% load quiz_text %} {{ answer.text|question_html:answer.text_format }}."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from quizzes.presentation import (
    learner_title,
    option_html,
    option_text,
    question_text_html,
    quiz_title_for_learners,
)

register = template.Library()


@register.filter
def question_html(text: str, text_format: str) -> SafeString:
    # question_text_html sanitises HTML and escapes plain text: its output is safe.
    return mark_safe(question_text_html(text, text_format))  # noqa: S308


@register.filter
def option_markup(text: str, text_format: str) -> SafeString:
    """`{{ choice.text|option_markup:q.view.text_format }}`: inline Markdown / HTML rendered."""
    # option_html renders through the sanitiser or escapes: its output is safe.
    return mark_safe(option_html(text, text_format))  # noqa: S308


@register.filter
def option_plain(text: str, text_format: str) -> str:
    """`{{ choice.text|option_plain:fmt }}` inside an <option>: the text without its markup
    (escaped by the template as any text)."""
    return option_text(text, text_format)


@register.filter
def question_title(title: str) -> str:
    """A question's title without the author's internal id ("4.2-1 …")."""
    return learner_title(title)


@register.filter
def quiz_title(quiz: Any) -> str:
    """`{{ quiz|quiz_title }}`: its title on the learner's pages (its section loaded)."""
    section = quiz.section
    return quiz_title_for_learners(
        quiz.title, section_number=section.number, section_title=section.title
    )
