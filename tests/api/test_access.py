"""The role matrix: who may read and write what, and that learners never see secrets.

Roles: anonymous, the learner, another learner, the course's instructor, an
instructor of another course, an admin (staff).
"""

from __future__ import annotations

import pytest

from quizzes.models import Question
from tests.api.conftest import (
    KEY_FIELDS,
    ROLES,
    World,
    assert_no_secrets,
    client_for,
    error_of,
    keys_in,
    user_of,
)

pytestmark = pytest.mark.django_db


def expect(table: str) -> list[tuple[str, int]]:
    """ "200 200 200 200 200 200" in ROLES order -> parametrize rows."""
    return list(zip(ROLES, (int(code) for code in table.split()), strict=True))


@pytest.mark.parametrize(("role", "code"), expect("200 200 200 200 200 200"))
def test_content_is_public(world: World, role: str, code: int) -> None:
    client = client_for(user_of(world, role))
    for url in (
        "/api/v1/courses/",
        f"/api/v1/courses/{world.course_a.pk}/",
        f"/api/v1/parts/?course={world.course_a.pk}",
        f"/api/v1/sections/?course={world.course_a.pk}",
        f"/api/v1/sections/{world.section.pk}/",
    ):
        assert client.get(url).status_code == code, url


@pytest.mark.parametrize(("role", "code"), expect("401 403 403 200 403 200"))
def test_only_the_courses_instructors_edit_it(world: World, role: str, code: int) -> None:
    client = client_for(user_of(world, role))
    response = client.patch(
        f"/api/v1/sections/{world.section.pk}/", {"title": "Renamed"}, format="json"
    )
    assert response.status_code == code
    if code >= 400:
        error_of(response)
    response = client.patch(f"/api/v1/courses/{world.course_a.pk}/", {"title": "New"})
    assert response.status_code == code


# Another course's instructor is told the section does not exist (400): see below.
@pytest.mark.parametrize(("role", "code"), expect("401 403 403 201 400 201"))
def test_creating_a_quiz(world: World, role: str, code: int) -> None:
    response = client_for(user_of(world, role)).post(
        "/api/v1/quizzes/", {"section": world.section.pk, "title": "New quiz", "pass_score": 50}
    )
    assert response.status_code == code


@pytest.mark.parametrize(("role", "sees_keys"), [
    ("learner", False), ("other", False), ("other_instructor", False),
    ("instructor", True), ("admin", True),
])  # fmt: skip
def test_questions_without_answer_keys_for_learners(
    world: World, role: str, sees_keys: bool
) -> None:
    client = client_for(user_of(world, role))
    listed = client.get(f"/api/v1/questions/?quiz={world.quiz.pk}").json()["results"]
    single = client.get(f"/api/v1/questions/{world.question.pk}/").json()
    for question in [*listed, single]:
        found = KEY_FIELDS & keys_in(question["spec"])
        assert bool(found) == sees_keys, found
        assert ("Верно" in str(question)) == sees_keys  # the per-choice feedback


def test_attempt_detail_never_shows_answer_keys(world: World) -> None:
    body = client_for(world.learner).get(f"/api/v1/attempts/{world.attempt.pk}/").json()
    assert body["questions"]
    for question in body["questions"]:
        assert not KEY_FIELDS & keys_in(question["spec"])
        assert "score" not in question  # not graded yet: no feedback
    assert "Верно" not in str(body)


@pytest.mark.parametrize("role", ["learner", "other", "other_instructor"])
def test_exercises_without_tests_or_reference_for_learners(world: World, role: str) -> None:
    client = client_for(user_of(world, role))
    listed = client.get(f"/api/v1/exercises/?section={world.section.pk}").json()["results"]
    single = client.get(f"/api/v1/exercises/{world.exercise.pk}/").json()
    assert listed
    assert listed[0]["id"] == world.exercise.pk
    for exercise in (*listed, single):
        assert_no_secrets(exercise)
        assert exercise["starter_files"]
        assert exercise["example_files"]
        assert exercise["statement"] == "Add two numbers."


@pytest.mark.parametrize("role", ["instructor", "admin"])
def test_instructors_see_tests_and_reference(world: World, role: str) -> None:
    body = client_for(user_of(world, role)).get(f"/api/v1/exercises/{world.exercise.pk}/").json()
    assert "HIDDEN_TEST_MARKER" in str(body["test_files"])
    assert "REFERENCE_MARKER" in str(body["reference_files"])


@pytest.mark.parametrize(("role", "visible"), [
    ("learner", {"mine"}), ("other", {"other"}), ("instructor", {"mine", "other"}),
    ("other_instructor", set()), ("admin", {"mine", "other"}),
])  # fmt: skip
def test_learners_never_see_others_work(world: World, role: str, visible: set[str]) -> None:
    client = client_for(user_of(world, role))
    ids = {"mine": world.attempt.pk, "other": world.other_attempt.pk}
    listed = {a["id"] for a in client.get("/api/v1/attempts/").json()["results"]}
    assert listed == {ids[name] for name in visible}
    for name, pk in ids.items():
        code = client.get(f"/api/v1/attempts/{pk}/").status_code
        assert code == (200 if name in visible else 404)
    subs = {"mine": world.submission.pk, "other": world.other_submission.pk}
    listed = {s["id"] for s in client.get("/api/v1/submissions/").json()["results"]}
    assert listed == {subs[name] for name in visible}
    for name, pk in subs.items():
        response = client.get(f"/api/v1/submissions/{pk}/")
        assert response.status_code == (200 if name in visible else 404)
    # progress rows and learner filters obey the same rule
    other_rows = client.get(f"/api/v1/attempts/?learner={world.other.pk}").json()["results"]
    assert bool(other_rows) == ("other" in visible)


def test_a_learner_gets_no_hidden_test_code_in_results(world: World) -> None:
    body = client_for(world.learner).get(f"/api/v1/submissions/{world.submission.pk}/").json()
    assert body["results"]["tests"][0]["name"] == "test_add"
    assert_no_secrets(body)
    teacher = client_for(world.instructor).get(f"/api/v1/submissions/{world.submission.pk}/")
    assert "HIDDEN_TEST_MARKER" in str(teacher.json()["results"])


@pytest.mark.parametrize(("role", "code"), expect("401 403 403 200 403 200"))
def test_course_learners_and_gradebook_for_instructors(world: World, role: str, code: int) -> None:
    client = client_for(user_of(world, role))
    assert client.get(f"/api/v1/courses/{world.course_a.pk}/learners/").status_code == code
    response = client.get(f"/api/v1/courses/{world.course_a.pk}/gradebook.csv")
    assert response.status_code == code
    if code != 200:
        error_of(response)


@pytest.mark.parametrize("role", ["anonymous", "learner"])
def test_private_resources_need_a_user(world: World, role: str) -> None:
    client = client_for(user_of(world, role))
    expected = 401 if role == "anonymous" else 200
    for url in ("/api/v1/attempts/", "/api/v1/submissions/", "/api/v1/progress/sections/",
                "/api/v1/progress/courses/", "/api/v1/webhooks/endpoints/",
                "/api/v1/webhooks/deliveries/", "/api/v1/me/", "/api/v1/quizzes/",
                "/api/v1/exercises/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == expected, url
        if expected == 401:
            assert error_of(response)["code"] == "not_authenticated"
            assert response.headers["WWW-Authenticate"] == "Token"


def test_unpublished_content_is_hidden_from_learners(world: World) -> None:
    world.exercise.is_published = False
    world.exercise.save()
    world.section.status = "planned"
    world.section.save()
    learner = client_for(world.learner)
    assert learner.get(f"/api/v1/exercises/{world.exercise.pk}/").status_code == 404
    assert learner.get(f"/api/v1/quizzes/{world.quiz.pk}/").status_code == 404
    response = learner.post("/api/v1/attempts/", {"quiz": world.quiz.pk})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    teacher = client_for(world.instructor)
    assert teacher.get(f"/api/v1/exercises/{world.exercise.pk}/").status_code == 200


@pytest.mark.parametrize("role", ["learner", "other_instructor"])
def test_writes_do_not_tell_whether_another_course_s_content_exists(
    world: World, role: str
) -> None:
    # An id of a quiz the caller may not write to gets the same answer as an id of none.
    client = client_for(getattr(world, role))
    body = {"type": "true_false", "text": "?", "points": "1", "order": 9, "spec": {"answer": True}}
    existing = client.post("/api/v1/questions/", {**body, "quiz": world.quiz.pk})
    missing = client.post("/api/v1/questions/", {**body, "quiz": 999_999})

    assert existing.status_code == missing.status_code
    assert str(error_of(existing)).replace(f'"{world.quiz.pk}"', '"N"') == str(
        error_of(missing)
    ).replace('"999999"', '"N"')
    assert Question.objects.filter(text="?").count() == 0
