"""Platforms registered by an administrator, in the admin or by LTI Dynamic Registration 1.0.

Dynamic registration starts from an invitation: a one-time URL an administrator of ours
makes for a course and gives to the LMS's administrator, who pastes it into the LMS. The LMS
opens it with its OpenID configuration URL and a registration token; we read the
configuration, register ourselves at its registration endpoint, and store the platform with
the client id and deployment id it answers."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Course
from lti import claims
from lti.launch import LaunchError
from lti.models import Deployment, Platform, RegistrationInvite
from lti.platform_http import PlatformHttpError, platform_call

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
INVITE_DAYS = 7


def registration_invite_create(
    *, course: Course, created_by: User | None, now: datetime | None = None
) -> RegistrationInvite:
    now = now or timezone.now()
    return RegistrationInvite.objects.create(
        token=secrets.token_urlsafe(32),
        course=course,
        created_by=created_by,
        expires_at=now + timedelta(days=INVITE_DAYS),
    )


def _invite_usable(token: str) -> RegistrationInvite:
    invite = (
        RegistrationInvite.objects.select_for_update()
        .select_related("course")
        .filter(token=token)
        .first()
    )
    if invite is None or invite.used_by_id is not None or invite.expires_at < timezone.now():
        raise LaunchError(
            _("This registration link is unknown, used or expired: ask for a new one."),
            detail="dynamic registration: bad invitation",
        )
    return invite


@dataclass(frozen=True)
class ToolUrls:
    login: str
    launch: str
    jwks: str


def _refused(detail: str) -> LaunchError:
    return LaunchError(_("The LMS's registration could not be completed."), detail=detail)


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc)


def _openid_configuration(url: str) -> dict[str, Any]:
    try:
        configuration = platform_call("GET", url, headers={"Accept": "application/json"}).json()
    except PlatformHttpError as error:
        raise _refused(f"OpenID configuration {url}: {error}") from error
    required = [
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "registration_endpoint",
    ]
    if not isinstance(configuration, dict) or any(
        not isinstance(configuration.get(name), str) for name in required
    ):
        raise _refused("the OpenID configuration misses required fields")
    # Dynamic Registration 3.5.1: the issuer and the configuration URL must agree.
    if not _same_origin(configuration["issuer"], url):
        raise _refused(f"issuer {configuration['issuer']!r} is not the configuration's site")
    return configuration


def tool_registration_request(*, urls: ToolUrls, name: str) -> dict[str, Any]:
    """What we ask the platform to register (Dynamic Registration 3.6)."""
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls.login,
        "redirect_uris": [urls.launch],
        "client_name": name,
        "jwks_uri": urls.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(
            [
                claims.SCOPE_LINEITEM,
                claims.SCOPE_RESULT_READONLY,
                claims.SCOPE_SCORE,
                claims.SCOPE_NRPS,
            ]
        ),
        TOOL_CONFIGURATION: {
            "domain": urlsplit(urls.launch).netloc,
            "target_link_uri": urls.launch,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {"type": claims.DEEP_LINKING_REQUEST, "target_link_uri": urls.launch, "label": name}
            ],
        },
    }


def platform_register_dynamically(
    *, token: str, openid_configuration: str, registration_token: str, urls: ToolUrls
) -> Platform:
    if not openid_configuration.startswith(("https://", "http://")):
        raise _refused("no openid_configuration URL")
    # One transaction, the invitation locked through the platform's answers (a rare
    # administrator's step): a failure anywhere leaves the invitation usable and no platform.
    with transaction.atomic():
        invite = _invite_usable(token)
        configuration = _openid_configuration(openid_configuration)
        request = tool_registration_request(urls=urls, name="Zachet")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if registration_token:
            headers["Authorization"] = f"Bearer {registration_token}"
        try:
            answer = platform_call(
                "POST",
                configuration["registration_endpoint"],
                headers=headers,
                body=json.dumps(request).encode(),
            ).json()
        except PlatformHttpError as error:
            raise _refused(f"registration endpoint: {error}") from error
        client_id = str(answer.get("client_id") or "") if isinstance(answer, dict) else ""
        if not client_id:
            raise _refused("the platform answered no client_id")
        issuer = configuration["issuer"]
        product = (configuration.get(PLATFORM_CONFIGURATION) or {}).get("product_family_code")
        if Platform.objects.filter(issuer=issuer, client_id=client_id).exists():
            # Never overwritten: an administrator changes a registration in the admin.
            raise _refused(f"{issuer} / {client_id} is registered already")
        platform = Platform.objects.create(
            issuer=issuer,
            client_id=client_id,
            name=str(product or urlsplit(issuer).netloc)[:200],
            auth_login_url=configuration["authorization_endpoint"],
            auth_token_url=configuration["token_endpoint"],
            jwks_url=configuration["jwks_uri"],
            course=invite.course,
            registered_dynamically=True,
        )
        deployment_id = str((answer.get(TOOL_CONFIGURATION) or {}).get("deployment_id") or "")
        if deployment_id:
            Deployment.objects.get_or_create(platform=platform, deployment_id=deployment_id)
        invite.used_by = platform
        invite.save(update_fields=["used_by"])
    return platform
