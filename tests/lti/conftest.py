"""The LTI tests' world: a test LMS on a real HTTP server, registered with us as a platform
with one deployment, for a course with a quiz."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from lti.models import Deployment, Platform
from quizzes.models import Quiz
from tests.factories import QuestionFactory, QuizFactory
from tests.lti.lms import CLIENT_ID, DEPLOYMENT_ID, LmsServer, running_lms


@pytest.fixture
def lms() -> Iterator[LmsServer]:
    with running_lms() as lms:
        yield lms


@pytest.fixture
def quiz() -> Quiz:
    quiz = QuizFactory.create()
    QuestionFactory.create(quiz=quiz)
    return quiz


@pytest.fixture
def platform(lms: LmsServer, quiz: Quiz) -> Platform:
    platform = Platform.objects.create(
        name="Test LMS",
        issuer=lms.issuer,
        client_id=CLIENT_ID,
        auth_login_url=lms.url("/auth"),
        auth_token_url=lms.url("/token"),
        jwks_url=lms.url("/jwks"),
        course=quiz.section.part.course,
    )
    Deployment.objects.create(platform=platform, deployment_id=DEPLOYMENT_ID)
    return platform


@dataclass(frozen=True)
class Login:
    state: str
    nonce: str
    redirect_uri: str


def login(client: Client, lms: LmsServer, **extra: str) -> Login:
    """The platform's login initiation through our /lti/login/: what our redirect to the
    platform's authentication URL carries."""
    params = {
        "iss": lms.issuer,
        "login_hint": "learner-1",
        "target_link_uri": "http://testserver/",
        "client_id": CLIENT_ID,
        **extra,
    }
    response = client.get("/lti/login/?" + urlencode(params))
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert location.netloc == urlsplit(lms.base_url).netloc
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    return Login(query["state"], query["nonce"], query["redirect_uri"])


def quiz_url(quiz: Quiz) -> str:
    return f"http://testserver/quizzes/{quiz.pk}/"


def launch_as(client: Client, lms: LmsServer, quiz: Quiz, *, sub: str) -> None:
    """A real launch of the quiz by the LMS's user `sub`; then the LMS knows our keys (as it
    reads our JWKS URL) for the tokens of its services."""
    from lti.keys import tool_jwks

    started = login(client, lms)
    id_token = lms.id_token(nonce=started.nonce, sub=sub, target_link_uri=quiz_url(quiz))
    response = client.post("/lti/launch/", {"id_token": id_token, "state": started.state})
    assert response.status_code == 302, response.content
    lms.tool_jwks = tool_jwks()


__all__ = ["Login", "launch_as", "login", "quiz_url"]
