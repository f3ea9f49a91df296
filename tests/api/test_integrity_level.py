"""The API says how sure an exercise's passes are to be the learner's work (issue 27, item 3)."""

from __future__ import annotations

import pytest

from tests.api.conftest import World, client_for, user_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_the_api_says_the_level(world: World, role: str):
    body = client_for(user_of(world, role)).get(f"/api/v1/exercises/{world.exercise.pk}/").json()
    assert body["integrity_level"] == "isolated"  # the world's exercise is in Python


def test_an_instructor_allows_more_through_the_api_for_go_only(world: World):
    client = client_for(world.instructor)
    url = f"/api/v1/exercises/{world.exercise.pk}/"

    refused = client.patch(url, {"allowances": {"packages": ["ctypes"]}}, format="json")
    assert refused.status_code == 400
    assert "allowances" in refused.json()["error"]["fields"]

    refused = client.patch(url, {"allowances": {"anything": ["x"]}}, format="json")
    assert refused.status_code == 400
