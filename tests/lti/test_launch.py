"""LTI 1.3 launches from the test LMS: the learner lands on the linked item, signed in as the
account of (issuer, sub), with the role the launch gives; and every check of the id_token has
a forged or replayed launch that is refused (issue 24, items 2 and 6)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from lti import claims
from lti.models import Identity, LoginState, Membership, Platform, ResourceLink
from progress.models import Enrollment
from quizzes.models import Quiz
from tests.factories import QuizFactory
from tests.lti.conftest import login, quiz_url
from tests.lti.lms import CLIENT_ID, LmsServer, SigningKey

pytestmark = pytest.mark.django_db


def _launch(client: Client, lms: LmsServer, quiz: Quiz, **token: object):
    started = login(client, lms)
    token = {"nonce": started.nonce, "target_link_uri": quiz_url(quiz), **token}
    id_token = lms.id_token(**token)  # type: ignore[arg-type]
    return client.post("/lti/launch/", {"id_token": id_token, "state": started.state})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _refused(response: object, client: Client) -> None:
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not _signed_in(client)
    assert not Identity.objects.exists()
    assert not Enrollment.objects.exists()


# --- launches that pass ------------------------------------------------------------------------


def test_a_learner_lands_on_the_quiz_signed_in_and_enrolled(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    response = _launch(client, lms, quiz, sub="student-42", email="ada@example.com")

    assert response.status_code == 302
    assert response["Location"] == f"/quizzes/{quiz.pk}/"
    identity = Identity.objects.select_related("user").get()
    assert (identity.platform, identity.sub) == (platform, "student-42")
    user = identity.user
    assert int(client.session["_auth_user_id"]) == user.pk
    assert not user.has_usable_password()
    assert (user.first_name, user.last_name, user.email) == ("Ada", "Lovelace", "ada@example.com")
    assert Enrollment.objects.filter(learner=user, course=platform.course).exists()
    membership = Membership.objects.get()
    assert membership.role == Membership.Role.LEARNER
    link = ResourceLink.objects.get()
    assert (link.resource_link_id, link.quiz) == ("link-1", quiz)
    assert link.lineitem_url == lms.url("/ags/course-101/lineitems/link-1")
    assert link.context.lineitems_url == lms.url("/ags/course-101/lineitems")
    assert link.context.memberships_url == lms.url("/nrps/course-101/members")

    # Cookies that survive the LMS's cross-site frame.
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["samesite"] == "None"
    assert session_cookie["secure"]
    assert "; Partitioned" in session_cookie.OutputString()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "X-Frame-Options" not in page
    assert page["Content-Security-Policy"] == f"frame-ancestors 'self' {lms.base_url}"


def test_the_next_launch_signs_in_the_same_account(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    assert _launch(client, lms, quiz).status_code == 302
    first = Identity.objects.get().user_id
    other = Client()
    assert _launch(other, lms, quiz).status_code == 302
    assert int(other.session["_auth_user_id"]) == first
    assert Identity.objects.count() == 1


@pytest.mark.parametrize(
    ("roles", "role"),
    [
        ([claims.ROLE_INSTRUCTOR], Membership.Role.INSTRUCTOR),
        ([claims.ROLE_TA, claims.ROLE_INSTRUCTOR], Membership.Role.TEACHING_ASSISTANT),
        ([claims.ROLE_LEARNER], Membership.Role.LEARNER),
        ([], Membership.Role.LEARNER),
    ],
)
def test_the_role_of_the_launch_is_given(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz, roles: list[str], role: str
):
    assert _launch(client, lms, quiz, roles=roles).status_code == 302
    user = Identity.objects.get().user
    assert Membership.objects.get().role == role
    teaches = platform.course.instructors.filter(pk=user.pk).exists()
    assert teaches == (role != Membership.Role.LEARNER)


def test_a_custom_target_names_the_item(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    started = login(client, lms)
    custom: dict[str, Any] = {claims.CUSTOM: {"target": f"quiz:{quiz.pk}"}}
    id_token = lms.id_token(
        nonce=started.nonce, target_link_uri="http://testserver/lti/launch/", **custom
    )
    response = client.post("/lti/launch/", {"id_token": id_token, "state": started.state})
    assert response["Location"] == f"/quizzes/{quiz.pk}/"


def test_a_local_account_is_never_signed_in_by_a_launch(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    # A local account with the launch's e-mail, and one squatting on a name we would choose.
    local = User.objects.create_user("ada", "ada@example.com", "pw-ada-123456")
    assert _launch(Client(), lms, quiz, sub="s1", email="ada@example.com").status_code == 302
    first = Identity.objects.get().user
    Identity.objects.all().delete()
    User.objects.filter(pk=first.pk).update(username=first.username + "-x")
    User.objects.create_user(first.username, "", "pw-squat-123456")

    response = _launch(client, lms, quiz, sub="s1", email="ada@example.com")

    assert response.status_code == 302
    user_id = int(client.session["_auth_user_id"])
    assert user_id not in {local.pk, first.pk}
    assert User.objects.get(pk=user_id).username.startswith(first.username + "-")


# --- forged and replayed launches (item 6) -----------------------------------------------------


def test_a_token_signed_by_another_key_is_refused(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    forger = SigningKey.new()
    forger.kid = lms.key.kid  # the platform's key id, a key it never had
    _refused(_launch(client, lms, quiz, key=forger), client)


def test_a_token_with_an_unknown_key_id_is_refused(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    _refused(_launch(client, lms, quiz, key=SigningKey.new()), client)


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_a_token_without_an_rsa_signature_is_refused(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz, algorithm: str
):
    started = login(client, lms)
    if algorithm == "none":
        import jwt

        body = {"iss": lms.issuer, "nonce": started.nonce}
        id_token = jwt.encode(body, None, algorithm="none")  # type: ignore[arg-type]
    else:
        id_token = lms.id_token(nonce=started.nonce, algorithm="HS256")
    response = client.post("/lti/launch/", {"id_token": id_token, "state": started.state})
    _refused(response, client)


@pytest.mark.parametrize(
    "claims_changed",
    [
        {"iss": "https://other-lms.example"},
        {"aud": "someone-else"},
        {"aud": [CLIENT_ID, "someone-else"]},  # several audiences: azp is required
        {"aud": [CLIENT_ID, "someone-else"], "azp": "someone-else"},
        {"azp": "someone-else"},
        {"exp": int(time.time()) - 120},
        {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200},
        {"exp": None},
        {claims.DEPLOYMENT_ID: "deployment-unknown"},
        {claims.VERSION: "1.1"},
        {claims.MESSAGE_TYPE: "LtiSomethingElse"},
        {claims.RESOURCE_LINK: None},
        {"nonce": "a-nonce-we-never-issued"},
    ],
    ids=[
        "wrong-iss",
        "wrong-aud",
        "several-aud-no-azp",
        "several-aud-wrong-azp",
        "wrong-azp",
        "expired",
        "issued-in-the-future",
        "no-exp",
        "unknown-deployment",
        "wrong-version",
        "unknown-message-type",
        "no-resource-link",
        "wrong-nonce",
    ],
)
def test_a_token_with_a_wrong_claim_is_refused(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz, claims_changed: dict
):
    _refused(_launch(client, lms, quiz, **claims_changed), client)


def test_several_audiences_with_our_azp_pass(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    response = _launch(client, lms, quiz, aud=[CLIENT_ID, "other"], azp=CLIENT_ID)
    assert response.status_code == 302


def test_a_replayed_launch_is_refused(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    started = login(client, lms)
    id_token = lms.id_token(nonce=started.nonce, target_link_uri=quiz_url(quiz))
    first = client.post("/lti/launch/", {"id_token": id_token, "state": started.state})
    assert first.status_code == 302

    # The same post again (state and nonce used), and the same token under a new login.
    other = Client()
    again = other.post("/lti/launch/", {"id_token": id_token, "state": started.state})
    assert again.status_code == 403
    fresh = login(other, lms)
    replayed = other.post("/lti/launch/", {"id_token": id_token, "state": fresh.state})
    assert replayed.status_code == 403
    assert not _signed_in(other)


def test_a_state_we_never_issued_is_refused(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    started = login(client, lms)
    id_token = lms.id_token(nonce=started.nonce, target_link_uri=quiz_url(quiz))
    _refused(client.post("/lti/launch/", {"id_token": id_token, "state": "forged"}), client)
    _refused(client.post("/lti/launch/", {"id_token": id_token}), client)


def test_a_state_of_another_browser_is_refused_with_a_page_to_start_again(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    started = login(client, lms)  # this browser's login...
    id_token = lms.id_token(nonce=started.nonce, target_link_uri=quiz_url(quiz))
    thief = Client()  # ...posted from a browser without its cookie (or one blocking it)
    response = thief.post("/lti/launch/", {"id_token": id_token, "state": started.state})
    assert response.status_code == 403
    assert not _signed_in(thief)
    body = response.content.decode()
    assert 'id="lti-open-new-window"' in body
    assert 'target="_blank"' in body
    assert "/lti/login/?iss=" in body


def test_an_expired_login_is_refused(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    started = login(client, lms)
    LoginState.objects.update(created_at=timezone.now() - timedelta(hours=1))
    id_token = lms.id_token(nonce=started.nonce, target_link_uri=quiz_url(quiz))
    _refused(client.post("/lti/launch/", {"id_token": id_token, "state": started.state}), client)


def test_an_item_of_another_course_is_refused(
    client: Client, lms: LmsServer, platform: Platform, quiz: Quiz
):
    elsewhere = QuizFactory.create()
    response = _launch(client, lms, quiz, target_link_uri=quiz_url(elsewhere))
    assert response.status_code == 403
    assert not _signed_in(client)
    assert not ResourceLink.objects.exists()


def test_a_login_from_an_unregistered_lms_is_refused(client: Client, lms: LmsServer):
    response = client.get(
        "/lti/login/", {"iss": lms.issuer, "login_hint": "x", "target_link_uri": "http://t/"}
    )
    assert response.status_code == 403
    assert not LoginState.objects.exists()


def test_an_inactive_platform_cannot_start_a_login(
    client: Client, lms: LmsServer, platform: Platform
):
    Platform.objects.update(is_active=False)
    response = client.get(
        "/lti/login/", {"iss": lms.issuer, "login_hint": "x", "target_link_uri": "http://t/"}
    )
    assert response.status_code == 403


def test_refusals_are_logged_without_the_token(
    client: Client,
    lms: LmsServer,
    platform: Platform,
    quiz: Quiz,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.INFO)
    started = login(client, lms)
    id_token = lms.id_token(nonce=started.nonce, aud="someone-else")
    client.post("/lti/launch/", {"id_token": id_token, "state": started.state})
    assert "LTI refused" in caplog.text
    assert id_token not in caplog.text
    assert id_token.split(".")[2] not in caplog.text


def test_the_login_binds_its_state_to_the_browser_with_a_cross_site_cookie(
    client: Client, lms: LmsServer, platform: Platform
):
    started = login(client, lms)
    cookie = client.cookies[f"lti_state_{started.state}"]
    assert cookie.value == started.state
    assert cookie["samesite"] == "None"
    assert cookie["secure"]
    assert cookie["httponly"]
    assert "; Partitioned" in cookie.OutputString()
    assert started.redirect_uri == "http://testserver/lti/launch/"
    login_state = LoginState.objects.get()
    assert (login_state.state, login_state.nonce) == (started.state, started.nonce)
