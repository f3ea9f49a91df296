"""Role checks for templates: {% load roles %} {% if user|teaches_course:course %}."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.roles import teaches

register = template.Library()


@register.filter
def teaches_course(user: Any, course: Any) -> bool:
    return teaches(user, course.pk)
