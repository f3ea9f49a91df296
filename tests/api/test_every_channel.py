"""Every channel, every role: what a role may not see never appears (issue 21, item 1).

Walks every GET operation of the OpenAPI schema (each collection, and each object of the
world by its id), the site's pages (course, part, section, quiz, attempt, result, exercise,
submission, dashboard, the teaching pages) and the webhooks each event sends, as each role.
A learner never gets an answer key, a hidden test, a reference solution, another learner's
work or anyone's e-mail; an instructor of another course gets nothing of this one's
learners; nobody but the course's instructors and admins sees learners' e-mail.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from drf_spectacular.generators import SchemaGenerator

from quizzes.authoring import question_write
from tests.api.conftest import World, client_for, user_of
from webhooks.models import WebhookEndpoint
from webhooks.payloads import event_payloads

pytestmark = pytest.mark.django_db

KEY_MARKER = "KEY_FEEDBACK_MARKER"  # only in the answer key (the right choice's feedback)
EMAILS = {
    "learner": "learner-mail@example.org",
    "other": "other-mail@example.org",
    "instructor": "teacher-mail@example.org",
    "other_instructor": "teacher-b-mail@example.org",
    "admin": "admin-mail@example.org",
}
LEARNER_ROLES = ("anonymous", "learner", "other")


@pytest.fixture
def secret_world(world: World) -> World:
    spec = world.question.spec
    spec["choices"][1]["feedback"] = KEY_MARKER
    world.question.spec = spec
    question_write(question=world.question)
    for role, address in EMAILS.items():
        user = getattr(world, role)
        user.email = address
        user.save()
    return world


def forbidden_for(world: World, role: str) -> list[str]:
    """What must never appear in anything `role` receives."""
    secrets = []
    if role in LEARNER_ROLES or role == "other_instructor":
        secrets += ["HIDDEN_TEST_MARKER", "REFERENCE_MARKER", KEY_MARKER]
    own = {"learner": "learner", "other": "other"}.get(role)
    if role not in ("instructor", "admin"):
        secrets += [f"# code of {name}" for name in ("learner", "other") if name != own]
        secrets += [address for name, address in EMAILS.items() if name != role]
    return secrets


def ids_for(world: World, name: str) -> list[int]:
    return {
        "attempts": [world.attempt.pk, world.other_attempt.pk],
        "courses": [world.course_a.pk, world.course_b.pk],
        "exercises": [world.exercise.pk],
        "parts": [world.section.part_id],
        "questions": [world.question.pk],
        "quizzes": [world.quiz.pk],
        "sections": [world.section.pk],
        "submissions": [world.submission.pk, world.other_submission.pk],
        "progress": [],
    }.get(name, [])


def api_urls(world: World) -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    urls = []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        params = re.findall(r"{(\w+)}", path)
        if not params:
            urls.append(path)
            continue
        resource = path.split("/")[3]
        if params == ["course_id"]:
            ids = [world.course_a.pk, world.course_b.pk]
        else:
            ids = ids_for(world, resource)
        urls += [re.sub(r"{\w+}", str(i), path) for i in ids]
    return urls


def page_urls(world: World) -> list[str]:
    course, part = world.course_a, world.section.part
    section_url = f"/courses/{course.slug}/parts/{part.number}/sections/{world.section.number}/"
    return [
        "/", "/dashboard/", f"/courses/{course.slug}/",
        f"/courses/{course.slug}/parts/{part.number}/", section_url,
        f"/quizzes/{world.quiz.pk}/", f"/exercises/{world.exercise.pk}/",
        *(f"/attempts/{a.pk}/" for a in (world.attempt, world.other_attempt)),
        *(f"/attempts/{a.pk}/result/" for a in (world.attempt, world.other_attempt)),
        *(f"/submissions/{s.pk}/" for s in (world.submission, world.other_submission)),
        f"/teach/{course.slug}/", f"/teach/{course.slug}/gradebook/",
        f"/teach/{course.slug}/analysis/quizzes/{world.quiz.pk}/",
        f"/teach/{course.slug}/analysis/exercises/{world.exercise.pk}/",
        f"/teach/{course.slug}/similarity/exercises/{world.exercise.pk}/",
    ]  # fmt: skip


def visible_to(role: str) -> list[str]:
    """What the walk must find for `role` (so that it is known to reach the work at all)."""
    return {
        "learner": ["# code of learner"],
        "other": ["# code of other"],
        "instructor": ["REFERENCE_MARKER", "# code of learner", "# code of other", KEY_MARKER],
        "admin": ["REFERENCE_MARKER", "# code of learner", "# code of other", KEY_MARKER],
    }.get(role, [])


def assert_clean(text: str, forbidden: list[str], where: str) -> None:
    leaked = [secret for secret in forbidden if secret in text]
    assert not leaked, f"{where}: {leaked}"


@pytest.mark.parametrize(
    "role", ["anonymous", "learner", "other", "instructor", "other_instructor", "admin"]
)
def test_no_api_operation_shows_a_role_what_it_may_not_see(secret_world: World, role: str):
    client = client_for(user_of(secret_world, role))
    forbidden = forbidden_for(secret_world, role)
    walked = []
    for url in api_urls(secret_world):
        response = client.get(url)
        assert response.status_code < 500, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert_clean(body.decode(), forbidden, url)
        walked.append(body.decode())
    assert len(walked) >= 29  # every GET operation of the schema, and the world's objects
    everything = "\n".join(walked)
    assert [seen for seen in visible_to(role) if seen not in everything] == []


@pytest.mark.parametrize(
    "role", ["anonymous", "learner", "other", "instructor", "other_instructor", "admin"]
)
def test_no_page_shows_a_role_what_it_may_not_see(secret_world: World, role: str):
    client = Client()
    user = user_of(secret_world, role)
    if user is not None:
        client.force_login(user)
    forbidden = forbidden_for(secret_world, role)
    shown = []
    for url in page_urls(secret_world):
        response = client.get(url)
        assert response.status_code < 500, url
        assert_clean(response.content.decode(), forbidden, url)
        if response.status_code == 200:
            shown.append(response.content.decode())
    assert len(shown) >= 3  # (each role sees some pages: the walk is not all refusals)
    if role in ("learner", "other"):
        assert f"# code of {role}" in "\n".join(shown)  # their own submission's page


@pytest.mark.parametrize("role", ["learner", "other", "instructor", "other_instructor", "admin"])
def test_no_webhook_tells_its_owner_what_it_may_not_see(secret_world: World, role: str):
    from quizzes.services import attempt_submit

    world = secret_world
    owner = user_of(world, role)
    assert owner is not None
    WebhookEndpoint.objects.create(
        owner=owner, url="https://hooks.example.org/x", secret="s" * 32,
        events=["attempt.graded", "submission.graded", "section.completed"],
    )  # fmt: skip
    for attempt in (world.attempt, world.other_attempt):
        attempt_submit(attempt=attempt)
        from quizzes.services import attempt_grade

        attempt_grade(attempt_id=attempt.pk)
    forbidden = forbidden_for(world, role)
    heard = 0
    for event, object_id in [
        ("attempt.graded", world.attempt.pk),
        ("attempt.graded", world.other_attempt.pk),
        ("submission.graded", world.submission.pk),
        ("submission.graded", world.other_submission.pk),
    ]:
        for endpoint, _kind, body in event_payloads(event=event, object_id=object_id):
            if endpoint.owner_id == owner.pk:
                assert_clean(body, forbidden, f"{event} {object_id}")
                heard += 1
    expected = {"learner": 2, "other": 2, "instructor": 4, "other_instructor": 0, "admin": 4}
    assert heard == expected[role]


OUTPUT_MARKER = "TEST_OUTPUT_MARKER"


def test_one_whitelist_decides_what_every_channel_shows_of_a_submission(world: World, monkeypatch):
    # Given a learner's graded submission whose test wrote output
    submission = world.submission
    submission.results["tests"][0]["output"] = OUTPUT_MARKER
    submission.save()
    api, page = client_for(world.learner), Client()
    page.force_login(world.learner)
    channels = {
        "api": f"/api/v1/submissions/{submission.pk}/",
        "page": f"/submissions/{submission.pk}/",
        "fragment": f"/submissions/{submission.pk}/?fragment=1",
    }
    for name, url in channels.items():
        client = api if name == "api" else page
        assert OUTPUT_MARKER in client.get(url).content.decode(), name

    # When the learner's whitelist of a test's keys no longer names "output"
    monkeypatch.setattr("grader.selectors.LEARNER_TEST_KEYS", frozenset({"name", "status"}))

    # Then no channel shows it (none keeps a list of its own)
    for name, url in channels.items():
        client = api if name == "api" else page
        response = client.get(url)
        assert response.status_code == 200, name
        assert OUTPUT_MARKER not in response.content.decode(), name


def test_every_channel_shows_a_learner_an_attempts_score_only_when_its_read_model_has_it(
    world: World,
):
    from quizzes.services import attempt_grade, attempt_submit

    # Given a graded attempt at a quiz whose scores wait for a due date to come
    quiz = world.quiz
    quiz.feedback_policy, quiz.due_at = "after_due", timezone.now() + timedelta(days=1)
    quiz.save()
    attempt_submit(attempt=world.attempt)
    attempt_grade(attempt_id=world.attempt.pk)
    WebhookEndpoint.objects.create(
        owner=world.learner, url="https://hooks.example.org/x", secret="s" * 32,
        events=["attempt.graded"],
    )  # fmt: skip
    page = Client()
    page.force_login(world.learner)

    # When the learner reads the attempt on every channel
    api = client_for(world.learner).get(f"/api/v1/attempts/{world.attempt.pk}/").json()
    result_page = page.get(f"/attempts/{world.attempt.pk}/result/").content.decode()
    quiz_page = page.get(f"/quizzes/{quiz.pk}/").content.decode()
    [(_endpoint, _kind, body)] = event_payloads(event="attempt.graded", object_id=world.attempt.pk)

    # Then none has the score: the read model has no result for them yet
    assert api["result"] is None
    assert 'data-testid="quiz-score"' not in result_page
    with translation.override("ru"):  # (the site's language)
        assert gettext("after the due date") in quiz_page
    assert '"percent"' not in body
    assert '"score"' not in body
    assert '"status":"graded"' in body


def test_no_channel_shows_a_learner_a_gaps_answer_key(world: World):
    """A fill-in-the-blanks question's gaps (a typed answer, a drop-down's right choice and its
    feedback) stay out of the rendered text and the choices the learner's API now carries."""
    world.question.type, world.question.text_format = "fill_blanks", "markdown"
    world.question.spec = {
        "text": "`{{word}}` и {{pick}}",
        "gaps": [
            {"id": "word", "kind": "text", "answers": [{"text": KEY_MARKER, "weight": 100}]},
            {"id": "pick", "kind": "choice", "choices": [
                {"id": "a", "text": "`да`", "weight": 100, "feedback": KEY_MARKER + "2"},
                {"id": "b", "text": "нет", "weight": 0},
            ]},
        ],
    }  # fmt: skip
    question_write(question=world.question)
    api, page = client_for(world.learner), Client()
    page.force_login(world.learner)
    question_url = f"/api/v1/questions/{world.question.pk}/"

    bodies = [
        api.get(url).content.decode()
        for url in (question_url, f"/api/v1/attempts/{world.attempt.pk}/")
    ]
    bodies.append(page.get(f"/attempts/{world.attempt.pk}/").content.decode())

    assert ['data-gap=\\"word\\"' in body for body in bodies[:2]] == [True, True]
    assert f'name="q{world.question.pk}-word"' in bodies[2]  # (the gap's input)
    assert [KEY_MARKER in body for body in bodies] == [False, False, False]
    # (the instructor's view of the question has the key: the marker is where it should be)
    assert KEY_MARKER in client_for(world.instructor).get(question_url).content.decode()
