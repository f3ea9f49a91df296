"""The API's permission classes; who is an admin or a course's instructor is accounts.roles."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


class ReadOnlyOrAuthenticated(BasePermission):
    """Anyone reads; writing needs a signed-in user (the view checks which course they teach)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in SAFE_METHODS or bool(
            request.user and request.user.is_authenticated
        )
