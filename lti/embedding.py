"""Our pages inside an LMS's frame: a session begun by an LTI launch gets cookies that a
cross-site frame keeps, and may be framed by its platform only.

The cookies are SameSite=None; Secure; Partitioned (CHIPS): browsers that block third-party
cookies (Chromium does now; measured with Chromium 156 in tests/browser/test_lti_launch.py)
still keep a partitioned one, in a jar of the LMS's site only. A browser that keeps neither
gets a page that opens the launch in a new window (lti/templates/lti/cookies_blocked.html)."""

from __future__ import annotations

from collections.abc import Callable
from http.cookies import Morsel
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from lti.models import Platform

SESSION_KEY = "lti"


def partitioned_cookies_enable() -> None:
    """Teach http.cookies the Partitioned attribute (Python 3.14 knows it; 3.11 does not):
    a flag, written as `; Partitioned` when set, and nothing otherwise."""
    reserved: dict[str, str] = Morsel._reserved  # type: ignore[attr-defined]
    if "partitioned" not in reserved:
        reserved["partitioned"] = "Partitioned"
        Morsel._flags.add("partitioned")  # type: ignore[attr-defined]


def cookie_for_frame(morsel: Morsel[str]) -> None:
    """A cookie the LMS's cross-site frame keeps."""
    morsel["samesite"] = "None"
    morsel["secure"] = True
    morsel["partitioned"] = True


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
                cookie_for_frame(response.cookies[name])
        origin = str(lti.get("platform_origin", ""))
        if origin and not response.has_header("Content-Security-Policy"):
            # Framed by the LMS that launched us, and by no other site.
            response.headers.pop("X-Frame-Options", None)
            response["Content-Security-Policy"] = f"frame-ancestors 'self' {origin}"
        return response
