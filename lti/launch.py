"""An LTI 1.3 launch: the OIDC third-party login, then the id_token checked as LTI Core and
the Security Framework say, then the learner signed in and sent to the linked item.

Every check refuses with a LaunchError (nothing is written): the state must be one we issued
to this browser (a cookie), unused and fresh; the token must be signed by a key of the
issuer's JWKS (RS256 only), for our client id (aud, azp), unexpired, with the nonce of that
same login (so a nonce is used once: the login row is deleted by its launch), and a known
deployment.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lti import claims
from lti.models import Deployment, LoginState, Platform
from lti.platform_http import PlatformHttpError, platform_call

logger = logging.getLogger(__name__)

STATE_COOKIE_PREFIX = "lti_state_"
ALGORITHMS = ["RS256"]


class LaunchError(Exception):
    """A login or launch refused; `message` is for the person in front of the LMS."""

    def __init__(self, message: str | Promise, *, detail: str = "") -> None:
        super().__init__(detail or str(message))
        self.message = message
        self.detail = detail


class CookiesBlocked(LaunchError):
    """The browser did not send back the cookie of a login we issued: it blocks cookies in
    the LMS's frame (or the launch came to another browser)."""

    def __init__(self, *, login_params: dict[str, str]) -> None:
        super().__init__(_("Your browser did not keep our cookie inside the LMS page."))
        self.login_params = login_params


def state_cookie_name(state: str) -> str:
    return STATE_COOKIE_PREFIX + state


# --- OIDC third-party login -----------------------------------------------------------------


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str


def _platform_for_login(issuer: str, client_id: str) -> Platform:
    platforms = Platform.objects.filter(issuer=issuer, is_active=True)
    if client_id:
        platforms = platforms.filter(client_id=client_id)
    found = list(platforms[:2])
    if len(found) != 1:
        raise LaunchError(
            _("This LMS is not registered with us (or more than one registration matches)."),
            detail=f"login: no single platform for issuer {issuer!r}, client id {client_id!r}",
        )
    return found[0]


def login_start(*, params: dict[str, str], redirect_uri: str) -> LoginRedirect:
    """The platform's login initiation: remember a state and a nonce, and send the browser to
    the platform's authentication URL with them."""
    issuer = params.get("iss", "")
    login_hint = params.get("login_hint", "")
    target_link_uri = params.get("target_link_uri", "")
    if not (issuer and login_hint and target_link_uri):
        raise LaunchError(
            _("The LMS started the login without its required parameters."),
            detail="login: iss, login_hint and target_link_uri are required",
        )
    platform = _platform_for_login(issuer, params.get("client_id", ""))
    kept = {
        name: params[name]
        for name in (
            "iss",
            "login_hint",
            "target_link_uri",
            "lti_message_hint",
            "client_id",
            "lti_deployment_id",
        )
        if params.get(name)
    }
    login = LoginState.objects.create(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        platform=platform,
        login_params=kept,
    )
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": redirect_uri,
        "login_hint": login_hint,
        "state": login.state,
        "nonce": login.nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return LoginRedirect(platform.auth_login_url + separator + urlencode(query), login.state)


# --- the id_token ----------------------------------------------------------------------------


def _platform_jwks(platform: Platform, *, fresh: bool) -> dict[str, Any]:
    cache_key = f"lti-jwks-{platform.pk}-{platform.jwks_url}"
    if not fresh:
        cached = cache.get(cache_key)
        if cached:
            return dict(cached)
    try:
        keys = platform_call("GET", platform.jwks_url, headers={"Accept": "application/json"})
        jwks = keys.json()
    except PlatformHttpError as error:
        raise LaunchError(
            _("We could not read the LMS's signing keys; try again in a minute."),
            detail=f"JWKS of {platform.issuer}: {error}",
        ) from error
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise LaunchError(
            _("We could not read the LMS's signing keys; try again in a minute."),
            detail=f"JWKS of {platform.issuer} is not a key set",
        )
    cache.set(cache_key, jwks, settings.LTI_JWKS_CACHE_SECONDS)
    return jwks


def _signing_key(platform: Platform, kid: str) -> Any:
    for fresh in (False, True):  # a kid we do not know yet: the platform rotated its keys
        for jwk in _platform_jwks(platform, fresh=fresh)["keys"]:
            if isinstance(jwk, dict) and jwk.get("kid") == kid and jwk.get("kty") == "RSA":
                return jwt.PyJWK.from_dict({**jwk, "alg": "RS256"}).key
    raise LaunchError(_("The launch was refused."), detail=f"no key {kid!r} in the JWKS")


def refused(detail: str) -> LaunchError:
    return LaunchError(_("The launch was refused."), detail=detail)


def _login_consume(state: str, cookies: dict[str, str]) -> LoginState:
    """The login this launch answers, deleted so its state and nonce never serve again."""
    if not state:
        raise refused("no state")
    with transaction.atomic():
        # Locked: two launches racing with one state must not both pass.
        login = (
            LoginState.objects.select_for_update()
            .select_related("platform")
            .filter(state=state)
            .first()
        )
        if login is None:
            raise refused("unknown or used state")
        if cookies.get(state_cookie_name(state)) != state:
            # Kept: the learner may start again in a new window, with a new login.
            raise CookiesBlocked(login_params=dict(login.login_params))
        login.delete()
    age = timezone.now() - login.created_at
    if age > timedelta(seconds=settings.LTI_LOGIN_STATE_SECONDS):
        raise refused("state expired")
    return login


@dataclass(frozen=True)
class ValidLaunch:
    platform: Platform
    deployment: Deployment
    claims: dict[str, Any]

    @property
    def message_type(self) -> str:
        return str(self.claims[claims.MESSAGE_TYPE])


def id_token_validate(*, id_token: str, state: str, cookies: dict[str, str]) -> ValidLaunch:
    """All the checks of LTI Core 5.1.3 and the Security Framework 5.1.3; the claims of a
    launch that passed them."""
    login = _login_consume(state, cookies)
    platform = login.platform
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.InvalidTokenError as error:
        raise refused(f"not a JWT: {error}") from error
    if header.get("alg") not in ALGORITHMS:
        raise refused(f"algorithm {header.get('alg')!r}")
    key = _signing_key(platform, str(header.get("kid") or ""))
    try:
        body: dict[str, Any] = jwt.decode(
            id_token,
            key,
            algorithms=ALGORITHMS,
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=settings.LTI_CLOCK_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
        )
    except jwt.InvalidTokenError as error:
        raise refused(f"id_token: {type(error).__name__}: {error}") from error
    audiences = body["aud"] if isinstance(body["aud"], list) else [body["aud"]]
    azp = body.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != platform.client_id:
        raise refused(f"azp {azp!r} is not our client id")
    if body.get("nonce") != login.nonce:
        raise refused("nonce does not match the login")
    deployment = Deployment.objects.filter(
        platform=platform, deployment_id=str(body.get(claims.DEPLOYMENT_ID, "")), is_active=True
    ).first()
    if deployment is None:
        raise refused(f"unknown deployment {body.get(claims.DEPLOYMENT_ID)!r}")
    if body.get(claims.VERSION) != "1.3.0":
        raise refused(f"LTI version {body.get(claims.VERSION)!r}")
    message_type = body.get(claims.MESSAGE_TYPE)
    if message_type not in {claims.RESOURCE_LINK_REQUEST, claims.DEEP_LINKING_REQUEST}:
        raise refused(f"message type {message_type!r}")
    if message_type == claims.RESOURCE_LINK_REQUEST and not (
        body.get(claims.RESOURCE_LINK) or {}
    ).get("id"):
        raise refused("a resource link launch without its resource link id")
    if not body.get("sub"):
        raise refused("anonymous launch")
    return ValidLaunch(platform, deployment, body)


def login_states_purge() -> int:
    """Logins whose launch never came (closed tab, blocked cookie): deleted once stale."""
    stale = timezone.now() - timedelta(seconds=settings.LTI_LOGIN_STATE_SECONDS)
    deleted, _rows = LoginState.objects.filter(created_at__lt=stale).delete()
    return deleted
