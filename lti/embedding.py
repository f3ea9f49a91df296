"""Our pages inside an LMS's frame: a session begun by an LTI launch gets cookies that a
cross-site frame keeps (SameSite=None; Secure) and may be framed by its platform only."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from lti.models import Platform

SESSION_KEY = "lti"


def platform_origin(platform: Platform) -> str:
    """The origin the LMS's pages come from (that of its login URL)."""
    parts = urlsplit(platform.auth_login_url)
    return f"{parts.scheme}://{parts.netloc}"


class EmbeddedSessionMiddleware:
    """Placed above SessionMiddleware and XFrameOptionsMiddleware: it sees their cookies
    and headers on the way out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        lti = session.get(SESSION_KEY) if session is not None else None
        if not isinstance(lti, dict):
            return response
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
            if name in response.cookies:
                response.cookies[name]["samesite"] = "None"
                response.cookies[name]["secure"] = True
        origin = str(lti.get("platform_origin", ""))
        if origin and not response.has_header("Content-Security-Policy"):
            # Framed by the LMS that launched us, and by no other site.
            response.headers.pop("X-Frame-Options", None)
            response["Content-Security-Policy"] = f"frame-ancestors 'self' {origin}"
        return response
