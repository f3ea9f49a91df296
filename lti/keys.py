"""Our tool's RSA keys: generated here, published in our JWKS, rotated without a gap.

Rotation has two steps so that no platform ever sees a signature by a key it does not
know: `tool_key_rotate` makes the successor and publishes it (state `next`); after
LTI_KEY_PUBLISH_SECONDS (longer than platforms cache a JWKS) `tool_keys_advance` makes it
sign and retires the old key, which stays published LTI_KEY_RETIRE_SECONDS more (what it
signed last, such as a client assertion in flight, still verifies) and is then removed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from jwt.algorithms import RSAAlgorithm

from lti.models import ToolKey

logger = logging.getLogger(__name__)

KEY_BITS = 2048


def _key_create(*, state: str, now: datetime) -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = secrets.token_urlsafe(16)
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    key = ToolKey.objects.create(
        kid=kid,
        private_key_pem=pem,
        public_jwk=jwk,
        state=state,
        activated_at=now if state == ToolKey.State.CURRENT else None,
    )
    logger.info("LTI tool key %s created (%s)", kid, state)
    return key


def tool_key_signing(*, now: datetime | None = None) -> ToolKey:
    """The key that signs now; the first one is made on first use."""
    key = ToolKey.objects.filter(state=ToolKey.State.CURRENT).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _key_create(state=ToolKey.State.CURRENT, now=now or timezone.now())
    except IntegrityError:  # another process made it first
        return ToolKey.objects.get(state=ToolKey.State.CURRENT)


def tool_key_rotate(*, now: datetime | None = None) -> ToolKey:
    """Publish the successor of the signing key (once: an unpublished successor is kept)."""
    now = now or timezone.now()
    tool_key_signing(now=now)
    existing = ToolKey.objects.filter(state=ToolKey.State.NEXT).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        return _key_create(state=ToolKey.State.NEXT, now=now)


@dataclass(frozen=True)
class KeysAdvanced:
    activated: str | None
    retired: str | None
    removed: list[str]


def tool_keys_advance(*, now: datetime | None = None) -> KeysAdvanced:
    """The periodic step: a successor published long enough starts signing (the old key
    retires); retired keys past their grace period leave the JWKS."""
    now = now or timezone.now()
    activated = retired = None
    publish = timedelta(seconds=settings.LTI_KEY_PUBLISH_SECONDS)
    with transaction.atomic():
        # Locked so two sweeps never both promote (one current key: a constraint too).
        keys = list(ToolKey.objects.select_for_update().exclude(state=ToolKey.State.RETIRED))
        successor = next((k for k in keys if k.state == ToolKey.State.NEXT), None)
        current = next((k for k in keys if k.state == ToolKey.State.CURRENT), None)
        if successor is not None and successor.created_at <= now - publish:
            if current is not None:
                current.state = ToolKey.State.RETIRED
                current.retired_at = now
                current.save(update_fields=["state", "retired_at"])
                retired = current.kid
            successor.state = ToolKey.State.CURRENT
            successor.activated_at = now
            successor.save(update_fields=["state", "activated_at"])
            activated = successor.kid
        grace = timedelta(seconds=settings.LTI_KEY_RETIRE_SECONDS)
        stale = ToolKey.objects.filter(state=ToolKey.State.RETIRED, retired_at__lt=now - grace)
        removed = list(stale.values_list("kid", flat=True))
        stale.delete()
    for kid in filter(None, [activated, retired, *removed]):
        logger.info("LTI tool key %s: rotation step", kid)
    return KeysAdvanced(activated, retired, removed)


def tool_jwks() -> dict[str, Any]:
    """Our public keys, as served at /lti/jwks/: the signing key, its successor and the
    retired ones still in their grace period."""
    tool_key_signing()
    return {"keys": [key.public_jwk for key in ToolKey.objects.order_by("created_at", "id")]}
