"""Access tokens for a platform's services (LTI Advantage: AGS, NRPS), fetched with our
signed client assertion (Security Framework 4.1, RFC 7523) and cached until they expire."""

from __future__ import annotations

import hashlib
import time
import uuid
from urllib.parse import urlencode

import jwt
from django.core.cache import cache

from lti.keys import tool_key_signing
from lti.models import Platform
from lti.platform_http import PlatformHttpError, platform_call

ASSERTION_SECONDS = 300
# A token is dropped this long before the platform says it expires (clocks, slow calls).
EXPIRY_MARGIN_SECONDS = 30


def client_assertion(*, platform: Platform) -> str:
    """A JWT signed with our current key: who we are (iss = sub = our client id) to whom."""
    key = tool_key_signing()
    now = int(time.time())
    body = {
        "iss": platform.client_id,
        "sub": platform.client_id,
        "aud": platform.token_audience or platform.auth_token_url,
        "iat": now,
        "exp": now + ASSERTION_SECONDS,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(body, key.private_key_pem, algorithm="RS256", headers={"kid": key.kid})


def _cache_key(platform: Platform, scopes: list[str]) -> str:
    digest = hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()[:16]
    return f"lti-token-{platform.pk}-{platform.client_id}-{digest}"


def access_token(*, platform: Platform, scopes: list[str]) -> str:
    """A bearer token for these scopes: the cached one, or a new one from the token URL."""
    key = _cache_key(platform, scopes)
    cached = cache.get(key)
    if cached:
        return str(cached)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(platform=platform),
        "scope": " ".join(sorted(scopes)),
    }
    answer = platform_call(
        "POST",
        platform.auth_token_url,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        body=urlencode(form).encode(),
    ).json()
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not token:
        raise PlatformHttpError("the token endpoint answered no access_token")
    lifetime = int(answer.get("expires_in") or 3600) - EXPIRY_MARGIN_SECONDS
    if lifetime > 0:
        cache.set(key, token, lifetime)
    return str(token)


def access_token_forget(*, platform: Platform, scopes: list[str]) -> None:
    """A token the platform refused (revoked before it expired)."""
    cache.delete(_cache_key(platform, scopes))
