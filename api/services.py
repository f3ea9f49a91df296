"""Writes of the API plumbing: tokens and idempotency records."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from api.models import ApiToken, IdempotencyRecord

# Idempotency keys are remembered this long (a retry comes within minutes, not days).
IDEMPOTENCY_TTL = timedelta(hours=24)
# last_used_at is written at most this often per token, not on every request.
TOKEN_TOUCH_EVERY = timedelta(minutes=5)


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    # The secret itself: shown once, never stored.
    key: str


def token_create(*, user: User, name: str = "") -> IssuedToken:
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_hash=token_hash(key), prefix=key[:8], name=name[:100]
    )
    return IssuedToken(token=token, key=key)


def token_authenticate(*, key: str, now: datetime | None = None) -> ApiToken | None:
    """The token with this key (and its user), or None; notes when it was last used."""
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_revoke(*, token: ApiToken) -> None:
    token.delete()


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    """Forget keys older than IDEMPOTENCY_TTL."""
    now = now or timezone.now()
    deleted, _counts = IdempotencyRecord.objects.filter(
        created_at__lt=now - IDEMPOTENCY_TTL
    ).delete()
    return deleted
