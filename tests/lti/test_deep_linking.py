"""Deep linking from the test LMS: an instructor picks quizzes and exercises (or a whole section
or part) and they go back as resource links with their maximum points, in a JWT we sign."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import jwt
import pytest
from django.test import Client

from grader.models import CodingExercise
from lti import claims
from lti.keys import tool_jwks
from lti.models import Platform
from quizzes.models import Quiz
from tests.factories import QuizFactory, exercise_stored
from tests.lti.conftest import login
from tests.lti.lms import CLIENT_ID, DEPLOYMENT_ID, LmsServer

pytestmark = pytest.mark.django_db


def _deep_link_launch(client: Client, lms: LmsServer, roles: list[str], **settings: Any):
    started = login(client, lms)
    id_token = lms.id_token(
        nonce=started.nonce,
        sub="teacher-1",
        roles=roles,
        message_type=claims.DEEP_LINKING_REQUEST,
        target_link_uri="http://testserver/lti/launch/",
    )
    if settings:
        body = jwt.decode(id_token, options={"verify_signature": False})
        body[claims.DL_SETTINGS].update(settings)
        id_token = jwt.encode(body, lms.key.private, algorithm="RS256",
                              headers={"kid": lms.key.kid})  # fmt: skip
    return client.post("/lti/launch/", {"id_token": id_token, "state": started.state})


def _response_jwt(page: str) -> dict[str, Any]:
    token = html.unescape(re.search(r'name="JWT" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in tool_jwks()["keys"] if k["kid"] == kid)
    key = jwt.PyJWK.from_dict(jwk).key
    return jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})


@pytest.fixture
def exercise(quiz: Quiz) -> CodingExercise:
    return exercise_stored(
        section=quiz.section, slug="hello", title="Hello, Go", statement="Print.",
        language="go", points=Decimal("10"), is_published=True,
    )  # fmt: skip


def test_an_instructor_picks_a_quiz_and_it_goes_back_with_its_points(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz, exercise: CodingExercise
):
    response = _deep_link_launch(client, lms, [claims.ROLE_INSTRUCTOR])
    assert response.status_code == 302
    assert response["Location"] == "/lti/deep-link/"
    page = client.get("/lti/deep-link/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'value="quiz:{quiz.pk}"' in body
    assert f'value="exercise:{exercise.pk}"' in body
    assert page["Content-Security-Policy"] == f"frame-ancestors 'self' {lms.base_url}"

    chosen = client.post("/lti/deep-link/", {"item": [f"quiz:{quiz.pk}"]})

    assert chosen.status_code == 200
    page_text = chosen.content.decode()
    assert f'action="{lms.url("/deep-link-return")}"' in page_text
    answer = _response_jwt(page_text)
    assert (answer["iss"], answer["aud"]) == (CLIENT_ID, lms.issuer)
    assert answer[claims.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert answer[claims.VERSION] == "1.3.0"
    assert answer[claims.DEPLOYMENT_ID] == DEPLOYMENT_ID
    assert answer[claims.DL_DATA] == "opaque-dl-data"
    assert answer["nonce"]
    (item,) = answer[claims.DL_CONTENT_ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == f"http://testserver/quizzes/{quiz.pk}/"
    assert item["custom"] == {"target": f"quiz:{quiz.pk}"}
    assert item["lineItem"]["scoreMaximum"] == 1.0
    assert item["title"] == quiz.title
    # One response per request: the page is spent.
    assert client.post("/lti/deep-link/", {"item": [f"quiz:{quiz.pk}"]}).status_code == 403


def test_a_whole_section_brings_each_of_its_items(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz, exercise: CodingExercise
):
    _deep_link_launch(client, lms, [claims.ROLE_INSTRUCTOR])
    chosen = client.post(
        "/lti/deep-link/", {"section": [str(quiz.section_id)], "item": [f"quiz:{quiz.pk}"]}
    )
    items = _response_jwt(chosen.content.decode())[claims.DL_CONTENT_ITEMS]
    assert sorted(i["custom"]["target"] for i in items) == sorted(
        [f"quiz:{quiz.pk}", f"exercise:{exercise.pk}"]
    )
    points = {i["custom"]["target"]: i["lineItem"]["scoreMaximum"] for i in items}
    assert points[f"exercise:{exercise.pk}"] == 10.0


def test_one_item_only_when_the_lms_accepts_one(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz, exercise: CodingExercise
):
    _deep_link_launch(client, lms, [claims.ROLE_INSTRUCTOR], accept_multiple=False)
    page = client.get("/lti/deep-link/")
    assert 'type="radio"' in page.content.decode()
    chosen = client.post(
        "/lti/deep-link/", {"item": [f"quiz:{quiz.pk}", f"exercise:{exercise.pk}"]}
    )
    assert chosen.status_code == 400
    assert b'name="JWT"' not in chosen.content


def test_items_of_another_course_cannot_be_picked(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    elsewhere = QuizFactory.create()
    _deep_link_launch(client, lms, [claims.ROLE_INSTRUCTOR])
    chosen = client.post("/lti/deep-link/", {"item": [f"quiz:{elsewhere.pk}"]})
    assert chosen.status_code == 400
    assert b'name="JWT"' not in chosen.content


def test_a_learner_cannot_pick_content(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    response = _deep_link_launch(client, lms, [claims.ROLE_LEARNER])
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert client.get("/lti/deep-link/").status_code == 403


def test_the_page_needs_a_deep_linking_launch(client: Client, quiz: Quiz):
    assert client.get("/lti/deep-link/").status_code == 403
