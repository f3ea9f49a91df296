"""The header names the signed-in person: their full name where we have one (an LMS launch
gives it; the username of an LTI account is `lti-<n>-<hash>`), else their username."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def header_of(user) -> str:
    client = Client()
    client.force_login(user)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    start = page.index('class="account__name"')
    return page[start : page.index("</strong>", start) + len("</strong>")]


def test_the_header_shows_the_full_name_with_the_username_as_its_title():
    user = UserFactory.create(username="lti-3-9f2c1a", first_name="Анна", last_name="Петрова")
    header = header_of(user)
    assert ">Анна Петрова</strong>" in header
    assert 'title="lti-3-9f2c1a"' in header


def test_the_header_falls_back_to_the_username():
    user = UserFactory.create(username="masha", first_name="", last_name="")
    assert ">masha</strong>" in header_of(user)
