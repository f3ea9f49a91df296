"""Template filters of the exercise pages: the runners' messages in the learner's language,
failed tests first (grader.presentation)."""

from __future__ import annotations

from typing import Any

from django import template

from grader import presentation

register = template.Library()


@register.filter
def runner_message(text: Any) -> str:
    return presentation.runner_message(text if isinstance(text, str) else "")


@register.filter
def failed_first(tests: Any) -> list[Any]:
    return presentation.failed_first(list(tests or []))


@register.filter
def place_of(places: Any, name: Any) -> Any:
    """The line of the learner's code a test's message names (presentation.CodePlace)."""
    return places.get(name) if isinstance(places, dict) else None
