"""GET/PUT /api/v1/exercises/{id}/draft/: the caller's own editor draft, the same as the page's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grader.exercise_source import MAX_BYTES
from grader.models import Draft
from tests.api.conftest import World, assert_no_secrets, client_for, error_of

pytestmark = pytest.mark.django_db


def url(world: World) -> str:
    return reverse("api:exercise-draft", kwargs={"pk": world.exercise.pk})


def test_put_then_get_the_draft(world: World) -> None:
    client = client_for(world.learner)
    typed = "def add(a, b):\n    return a + b  # typing\n"

    saved = client.put(url(world), {"files": {"solution.py": typed}}, format="json")

    assert saved.status_code == 200
    body = saved.json()
    assert set(body) == {"exercise", "files", "updated_at"}
    assert body["exercise"] == world.exercise.pk
    assert body["files"] == {"solution.py": typed}
    got = client.get(url(world))
    assert got.status_code == 200
    assert got.json() == body
    assert_no_secrets(got.json())


def test_no_draft_is_404(world: World) -> None:
    response = client_for(world.learner).get(url(world))

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_each_caller_sees_only_their_own_draft(world: World) -> None:
    Draft.objects.create(
        learner=world.learner, exercise=world.exercise, files={"solution.py": "# mine"}
    )
    for role in ("other", "instructor"):
        assert client_for(getattr(world, role)).get(url(world)).status_code == 404
    assert client_for(None).get(url(world)).status_code in {401, 403}


def test_a_bad_draft_names_the_problem_and_keeps_the_old_one(world: World) -> None:
    Draft.objects.create(
        learner=world.learner, exercise=world.exercise, files={"solution.py": "# kept"}
    )
    client = client_for(world.learner)

    too_big = client.put(
        url(world), {"files": {"solution.py": "x" * (MAX_BYTES + 1)}}, format="json"
    )
    unknown = client.put(url(world), {"files": {"other.py": "x"}}, format="json")

    assert too_big.status_code == 400
    assert unknown.status_code == 400
    assert "other.py" in error_of(unknown)["message"]
    assert Draft.objects.get(learner=world.learner).files == {"solution.py": "# kept"}


def test_draft_saves_over_the_limit_are_429(world: World, settings) -> None:
    settings.GRADER_DRAFT_SAVES_PER_MINUTE = 1
    client = client_for(world.learner)
    files = {"files": {"solution.py": "# 1"}}
    assert client.put(url(world), files, format="json").status_code == 200

    response = client.put(url(world), files, format="json")

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
