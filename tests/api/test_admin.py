"""Admin pages for API tokens and webhooks: revoke, switch off, replay; no secret shown."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from api.models import ApiToken
from api.services import token_create
from tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db
SECRET = "admin-test-secret-0123456789"


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-only-here"))
    return client


@pytest.fixture
def endpoint() -> WebhookEndpoint:
    return endpoint_create(
        owner=UserFactory.create(), url="https://example.org/hook", secret=SECRET,
        events=["attempt.graded"],
    )  # fmt: skip


@pytest.mark.parametrize(
    "url",
    [
        "/admin/api/apitoken/",
        "/admin/webhooks/webhookendpoint/",
        "/admin/webhooks/webhookdelivery/",
    ],
)
def test_admin_lists_open(admin_client: Client, url: str) -> None:
    assert admin_client.get(url).status_code == 200


def test_tokens_are_revoked_in_the_admin_and_never_created_there(admin_client: Client) -> None:
    issued = token_create(user=UserFactory.create(), name="ci")
    token = ApiToken.objects.get()
    page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert issued.key not in page
    assert token.key_hash not in page
    assert admin_client.get("/admin/api/apitoken/add/").status_code == 403

    response = admin_client.post(f"/admin/api/apitoken/{token.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_an_endpoint_is_switched_off_without_its_secret_shown(
    admin_client: Client, endpoint: WebhookEndpoint
) -> None:
    url = f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/"
    assert SECRET not in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"description": "paused by admin"})  # is_active unticked

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.description) == (False, "paused by admin")
    assert endpoint.secret == SECRET
    assert endpoint.url == "https://example.org/hook"


def test_deliveries_are_replayed_from_the_admin(
    admin_client: Client, endpoint: WebhookEndpoint
) -> None:
    original = WebhookDelivery.objects.create(
        endpoint=endpoint, event="attempt.graded", body='{"x": 1}', status="failed"
    )
    response = admin_client.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "replay", "_selected_action": [original.pk]},
    )
    assert response.status_code == 302
    replay = WebhookDelivery.objects.exclude(pk=original.pk).get()
    assert (replay.replay_of_id, replay.body, replay.status) == (original.pk, '{"x": 1}', "pending")
    assert (
        admin_client.get(f"/admin/webhooks/webhookdelivery/{original.pk}/change/").status_code
        == 200
    )
