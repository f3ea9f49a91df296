"""Who may do what, on the pages, in the API and for webhooks: admin, instructors, learners.

An admin is a staff user or a superuser (they can already change anything in the
admin site). An instructor is a user in `Course.instructors` of that course, and
is an instructor of that course only. Everyone else signed in is a learner, who
sees published content and their own work.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet


def is_admin(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser))


def taught_course_ids(user: Any) -> set[int]:
    """Ids of the courses the user teaches (all courses for an admin: see `teaches`)."""
    if not (user and user.is_authenticated):
        return set()
    cached = getattr(user, "_taught_course_ids", None)
    if cached is None:
        # (through the user's side of Course.instructors: accounts imports no course model)
        cached = set(user.courses_taught.values_list("pk", flat=True))
        user._taught_course_ids = cached
    return set(cached)


def teaches(user: Any, course_id: int) -> bool:
    return is_admin(user) or course_id in taught_course_ids(user)


def is_any_instructor(user: Any) -> bool:
    return is_admin(user) or bool(taught_course_ids(user))


def own_or_taught(
    user: Any, queryset: QuerySet[Any], *, course_path: str, learner_field: str = "learner_id"
) -> QuerySet[Any]:
    """A learner's own rows, plus every row of the courses the user teaches."""
    if is_admin(user):
        return queryset
    return queryset.filter(
        Q(**{learner_field: user.pk}) | Q(**{f"{course_path}__in": taught_course_ids(user)})
    )


def published_or_taught(user: Any, queryset: QuerySet[Any], *, published: Q) -> QuerySet[Any]:
    """Content rows that are `published`, plus every row of the courses the user teaches
    (rows with a `section`)."""
    if is_admin(user):
        return queryset
    return queryset.filter(published | Q(section__part__course_id__in=taught_course_ids(user)))
