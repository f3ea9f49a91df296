"""Writes for accounts: sign-up, and the counting that rate-limits password reset e-mails."""

from __future__ import annotations

import hashlib
import ipaddress
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.forms import SignupForm

logger = logging.getLogger(__name__)

RESET_WINDOW_SECONDS = 3600


def user_signup(*, form: SignupForm) -> User:
    """Create the learner's account from a valid sign-up form."""
    with transaction.atomic():
        return form.save()


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind our reverse proxy (an address of
    settings.FORWARDED_ALLOW_IPS) the last X-Forwarded-For entry, the one the proxy added
    (the earlier ones are the client's to write)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    trusted = {part.strip() for part in settings.FORWARDED_ALLOW_IPS.split(",")}
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if forwarded and ("*" in trusted or remote in trusted):
        last = forwarded.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass
    return remote


def _counted(key: str) -> int:
    """This window's count under `key`, this request included; 0 if the cache is
    unreachable (the limit guards mailboxes, it must not stop a reset altogether)."""
    try:
        if cache.add(key, 1, timeout=RESET_WINDOW_SECONDS + 60):
            return 1
        return int(cache.incr(key))
    except (OSError, RedisError, ValueError) as error:
        logger.warning("password reset counter unreachable, request let through: %s", error)
        return 0


def password_reset_allowed(*, email: str, address: str) -> bool:
    """Count a password reset request; False once the e-mail address or the client address
    has asked more than settings.ACCOUNTS_PASSWORD_RESETS_PER_EMAIL / _PER_ADDRESS times this
    hour. Counted whether or not an account has the address (the answer must not tell)."""
    window = int(timezone.now().timestamp() // RESET_WINDOW_SECONDS)
    # Hashed: the cache never holds the addresses themselves.
    mailbox = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    client = hashlib.sha256(address.encode()).hexdigest()[:32]
    by_email = _counted(f"accounts:reset:email:{mailbox}:{window}")
    by_address = _counted(f"accounts:reset:address:{client}:{window}")
    return (
        by_email <= settings.ACCOUNTS_PASSWORD_RESETS_PER_EMAIL
        and by_address <= settings.ACCOUNTS_PASSWORD_RESETS_PER_ADDRESS
    )
