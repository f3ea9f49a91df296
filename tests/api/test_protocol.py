"""The protocol: tokens, one error shape, bad input, pagination, throttling, idempotency."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from api.models import ApiToken, IdempotencyRecord
from api.throttling import UserRateThrottle
from core.devstack import free_port
from tests.api.conftest import World, client_for, error_of
from tests.factories import UserFactory
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

ENDPOINT = {"url": "https://example.org/hook", "secret": "s" * 20, "events": ["attempt.graded"]}


def test_token_roundtrip_and_hashing(world: World) -> None:
    world.learner.set_password("pw-12345678")
    world.learner.save()
    client = APIClient()
    wrong = client.post("/api/v1/auth/token/", {"username": "learner", "password": "nope"})
    assert wrong.status_code == 401
    assert error_of(wrong)["code"] == "invalid_credentials"
    issued = client.post("/api/v1/auth/token/", {"username": "learner", "password": "pw-12345678"})
    assert issued.status_code == 201
    key = issued.json()["token"]
    assert not ApiToken.objects.filter(key_hash=key).exists()  # stored as a hash only
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["username"] == "learner"
    assert client.delete("/api/v1/auth/token/").status_code == 204
    revoked = client.get("/api/v1/me/")
    assert revoked.status_code == 401
    assert error_of(revoked)["code"] == "authentication_failed"
    client.credentials(HTTP_AUTHORIZATION="Token a b")
    assert client.get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize(
    ("method", "url", "body", "code", "error"),
    [
        ("get", "/api/v1/no-such-thing/", None, 404, "not_found"),
        ("get", "/api/v1/courses/999999/", None, 404, "not_found"),
        ("put", "/api/v1/courses/", None, 405, "method_not_allowed"),
        ("get", "/api/v1/courses/?page_size=101", None, 400, "invalid_page_size"),
        ("get", "/api/v1/courses/?page_size=abc", None, 400, "invalid_page_size"),
        # "²".isdigit() is True but int("²") fails: these were 500s (found in review)
        ("get", "/api/v1/courses/?page_size=%C2%B2", None, 400, "invalid_page_size"),
        ("get", "/api/v1/attempts/?quiz=%C2%B2", None, 400, "invalid_filter"),
        ("get", "/api/v1/courses/?page=99", None, 404, "not_found"),
        ("get", "/api/v1/sections/?part=x", None, 400, "invalid_filter"),
        ("get", "/api/v1/attempts/?status=weird", None, 400, "invalid_filter"),
        ("post", "/api/v1/attempts/", b"{not json", 400, "parse_error"),
        ("post", "/api/v1/attempts/", b'{"quiz": "\xff\xfe"}', 400, "parse_error"),
        ("post", "/api/v1/attempts/", b"[]", 400, "invalid"),
        ("post", "/api/v1/attempts/", b'{"quiz": "x"}', 400, "invalid"),
        ("post", "/api/v1/attempts/", b'{"quiz": 99999999999999999999999}', 400, "invalid"),
    ],
)
def test_every_error_has_one_shape(
    world: World, method: str, url: str, body: bytes | None, code: int, error: str
) -> None:
    client = client_for(world.learner)
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": body, "content_type": "application/json"}
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == code, response.content
    assert response["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == error


def test_validation_errors_name_the_fields(world: World) -> None:
    response = client_for(world.learner).post(
        "/api/v1/webhooks/endpoints/",
        {"url": "ftp://x", "secret": "short", "events": ["nope"]},
        format="json",
    )
    assert response.status_code == 400
    assert {"url", "secret", "events.0"} <= set(error_of(response)["fields"])


def test_throttled_requests_get_429_and_retry_after(world: World, monkeypatch) -> None:
    monkeypatch.setattr(
        UserRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/min"}
    )
    client = client_for(world.learner)
    codes = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/me/")
    assert error_of(response)["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60


def redis_cache(location: str, prefix: str) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_throttle_counts_are_shared_by_every_web_process(
    world: World, monkeypatch, redis_broker_url: str
) -> None:
    # given the Redis cache the settings choose when REDIS_URL is set, and a quota of 3
    prefix = f"throttle-test-{world.learner.pk}-{threading.get_ident()}"
    monkeypatch.setattr(
        UserRateThrottle, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "user": "3/min"}
    )
    server = redis.Redis.from_url(redis_broker_url, decode_responses=True)
    try:
        with override_settings(CACHES=redis_cache(redis_broker_url, prefix)):
            # when a learner spends the quota
            client = client_for(world.learner)
            codes = [client.get("/api/v1/me/").status_code for _ in range(4)]
        # then it was counted in Redis, where every web process reads the same history
        assert codes == [200, 200, 200, 429]
        [key] = server.keys(f"{prefix}:*")
        assert str(key).endswith(f"throttle_user_{world.learner.pk}")
        with override_settings(CACHES=redis_cache(redis_broker_url, prefix)):
            caches.close_all()  # what a second process starts from: no local state
            assert client.get("/api/v1/me/").status_code == 429
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)
        server.close()


def test_an_unreachable_throttle_cache_lets_requests_through(world: World) -> None:
    dead = f"redis://127.0.0.1:{free_port(0)}/0"
    with override_settings(CACHES=redis_cache(dead, "dead")):
        response = client_for(world.learner).get("/api/v1/me/")
    assert response.status_code == 200


def test_idempotency_key_replays_the_first_response(world: World) -> None:
    client = client_for(world.learner)
    first = client.post(
        "/api/v1/webhooks/endpoints/", ENDPOINT, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    second = client.post(
        "/api/v1/webhooks/endpoints/", ENDPOINT, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1
    other_body = client.post(
        "/api/v1/webhooks/endpoints/",
        {**ENDPOINT, "url": "https://x.org/"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert other_body.status_code == 422
    assert error_of(other_body)["code"] == "idempotency_key_reused"
    # keys belong to a user: the same key from someone else is another request
    theirs = client_for(world.other).post(
        "/api/v1/webhooks/endpoints/", ENDPOINT, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert theirs.status_code == 201
    assert WebhookEndpoint.objects.count() == 2


def test_an_inactive_endpoint_can_be_created(world: World) -> None:
    # Regression guard: found by schemathesis, `is_active` on create was a 500.
    response = client_for(world.learner).post(
        "/api/v1/webhooks/endpoints/", {**ENDPOINT, "is_active": False}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["is_active"] is False


def test_a_refused_request_is_not_remembered(world: World) -> None:
    client = client_for(world.learner)
    bad = client.post(
        "/api/v1/webhooks/endpoints/",
        {**ENDPOINT, "events": []},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    long_key = client.post(
        "/api/v1/webhooks/endpoints/", ENDPOINT, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert long_key.status_code == 400
    assert error_of(long_key)["code"] == "invalid_idempotency_key"


def test_attempt_start_replay_keeps_201(world: World) -> None:
    client = client_for(world.other_instructor)
    first = client.post("/api/v1/attempts/", {"quiz": world.quiz.pk}, HTTP_IDEMPOTENCY_KEY="a")
    again = client.post("/api/v1/attempts/", {"quiz": world.quiz.pk}, HTTP_IDEMPOTENCY_KEY="a")
    assert first.status_code == again.status_code == 201
    assert again["Location"] == first["Location"]


@pytest.mark.django_db(transaction=True)
@override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True)
def test_concurrent_duplicates_create_one_object() -> None:
    """Regression guard: two requests with one key at the same moment create one endpoint."""
    user = UserFactory.create(username="racer")
    barrier = threading.Barrier(4)
    responses: list[Any] = []
    failures: list[BaseException] = []

    def send() -> None:
        try:
            client = client_for(user)
            barrier.wait(timeout=10)
            responses.append(
                client.post(
                    "/api/v1/webhooks/endpoints/",
                    ENDPOINT,
                    format="json",
                    HTTP_IDEMPOTENCY_KEY="same",
                )
            )
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    assert WebhookEndpoint.objects.filter(owner=user).count() == 1
    assert sum(r.get("Idempotent-Replayed") == "true" for r in responses) == 3
