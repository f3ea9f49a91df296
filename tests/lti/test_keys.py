"""Our tool keys: generated on first use, served at /lti/jwks/, rotated without a gap."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from lti.keys import tool_jwks, tool_key_rotate, tool_key_signing, tool_keys_advance
from lti.models import ToolKey

pytestmark = pytest.mark.django_db


def _sign(key: ToolKey) -> str:
    return jwt.encode(
        {"sub": "x"}, key.private_key_pem, algorithm="RS256", headers={"kid": key.kid}
    )


def _verifies(token: str, jwks: dict) -> bool:
    kid = jwt.get_unverified_header(token)["kid"]
    for jwk in jwks["keys"]:
        if jwk["kid"] == kid:
            jwt.decode(token, jwt.PyJWK.from_dict(jwk).key, algorithms=["RS256"])
            return True
    return False


def test_the_jwks_url_serves_the_public_half_only(client: Client):
    response = client.get("/lti/jwks/")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"
    assert keys[0]["use"] == "sig"
    # The private exponent and primes of a JWK are d, p, q, dp, dq, qi.
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(keys[0])
    assert b"PRIVATE" not in response.content
    assert _verifies(_sign(tool_key_signing()), response.json())


def test_a_successor_is_published_before_it_signs_and_the_old_key_verifies_after():
    now = timezone.now()
    old = tool_key_signing(now=now)
    successor = tool_key_rotate(now=now)
    # Published at once, not signing yet; a second rotate keeps the same successor.
    assert {k["kid"] for k in tool_jwks()["keys"]} == {old.kid, successor.kid}
    assert tool_key_rotate(now=now).pk == successor.pk
    assert tool_key_signing().kid == old.kid
    signed_by_old = _sign(old)

    # Not yet: platforms may still hold a JWKS without the successor.
    assert tool_keys_advance(now=now + timedelta(hours=1)).activated is None
    ToolKey.objects.filter(pk=successor.pk).update(created_at=now - timedelta(days=3))
    step = tool_keys_advance(now=now)
    assert (step.activated, step.retired) == (successor.kid, old.kid)
    assert tool_key_signing().kid == successor.kid
    # The old key is still published: what it signed still verifies.
    assert _verifies(signed_by_old, tool_jwks())

    later = now + timedelta(days=3)
    assert tool_keys_advance(now=later).removed == [old.kid]
    assert not _verifies(signed_by_old, tool_jwks())
    assert _verifies(_sign(tool_key_signing()), tool_jwks())


def test_the_command_rotates(capsys: pytest.CaptureFixture[str]):
    call_command("lti_keys", "--rotate")
    assert "successor key" in capsys.readouterr().out
    assert ToolKey.objects.filter(state=ToolKey.State.NEXT).count() == 1


def test_the_admin_never_shows_a_private_key(client: Client):
    key = tool_key_signing()
    admin = User.objects.create_superuser("root", "root@example.com", "pw-root-12345")
    client.force_login(admin)
    listing = client.get("/admin/lti/toolkey/")
    page = client.get(f"/admin/lti/toolkey/{key.pk}/change/")
    assert listing.status_code == page.status_code == 200
    body = listing.content.decode() + page.content.decode()
    assert key.kid in body
    secret_line = key.private_key_pem.splitlines()[1]
    assert "PRIVATE KEY" not in body
    assert secret_line not in body
