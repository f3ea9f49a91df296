"""Platforms registered by LTI Dynamic Registration, from an administrator's invitation."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lti.models import Deployment, Platform, RegistrationInvite
from lti.registration import TOOL_CONFIGURATION, registration_invite_create
from quizzes.models import Quiz
from tests.lti.lms import CLIENT_ID, DEPLOYMENT_ID, LmsServer

pytestmark = pytest.mark.django_db


def _register(client: Client, lms: LmsServer, invite: RegistrationInvite, token: str = ""):
    query = {
        "openid_configuration": lms.url("/.well-known/openid-configuration"),
        "registration_token": token or lms.registration_token,
    }
    return client.get(f"/lti/register/{invite.token}/?" + urlencode(query))


def test_the_lms_registers_us_from_an_invitation(client: Client, lms: LmsServer, quiz: Quiz):
    course = quiz.section.part.course
    invite = registration_invite_create(course=course, created_by=None)

    response = _register(client, lms, invite)

    assert response.status_code == 200
    assert b"org.imsglobal.lti.close" in response.content
    platform = Platform.objects.get()
    assert (platform.issuer, platform.client_id, platform.course) == (lms.issuer, CLIENT_ID, course)
    assert platform.jwks_url == lms.url("/jwks")
    assert platform.auth_token_url == lms.url("/token")
    assert platform.registered_dynamically
    assert list(Deployment.objects.values_list("deployment_id", flat=True)) == [DEPLOYMENT_ID]
    sent = lms.registrations[0]
    assert sent["initiate_login_uri"] == "http://testserver/lti/login/"
    assert sent["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert sent["jwks_uri"] == "http://testserver/lti/jwks/"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert sent[TOOL_CONFIGURATION]["domain"] == "testserver"
    # Used once.
    again = _register(client, lms, invite)
    assert again.status_code == 403
    assert Platform.objects.count() == 1


def test_a_refused_registration_leaves_nothing_and_the_invitation_usable(
    client: Client, lms: LmsServer, quiz: Quiz
):
    invite = registration_invite_create(course=quiz.section.part.course, created_by=None)
    assert _register(client, lms, invite, token="wrong").status_code == 403
    assert not Platform.objects.exists()
    invite.refresh_from_db()
    assert invite.used_by is None
    assert _register(client, lms, invite).status_code == 200


def test_an_issuer_of_another_site_is_refused(client: Client, lms: LmsServer, quiz: Quiz):
    lms.configured_issuer = "https://lms.attacker.example"
    invite = registration_invite_create(course=quiz.section.part.course, created_by=None)
    assert _register(client, lms, invite).status_code == 403
    assert not Platform.objects.exists()


def test_an_unknown_invitation_is_refused(client: Client, lms: LmsServer):
    response = client.get(
        "/lti/register/not-a-token/?"
        + urlencode({"openid_configuration": lms.url("/.well-known/openid-configuration")})
    )
    assert response.status_code == 403
    assert lms.registrations == []


def test_an_administrator_makes_an_invitation_in_the_admin(client: Client, quiz: Quiz):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-root-12345")
    client.force_login(admin)
    course = quiz.section.part.course
    response = client.post("/admin/lti/registrationinvite/add/", {"course": course.pk})
    assert response.status_code == 302
    invite = RegistrationInvite.objects.get()
    assert len(invite.token) >= 40
    assert invite.created_by == admin
    page = client.get(f"/admin/lti/registrationinvite/{invite.pk}/change/")
    assert f"http://testserver/lti/register/{invite.token}/" in page.content.decode()
