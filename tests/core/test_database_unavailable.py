"""A request that meets the database gone for a moment (bench/chaos.py's db-terminate gave a
quiz submit an HTTP 500) answers 503 with Retry-After: pages and the API alike."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from courses.api import views as course_api
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def terminated(*args, **kwargs):
    raise OperationalError("terminating connection due to administrator command")


def test_an_api_request_gets_503_with_retry_after(monkeypatch):
    monkeypatch.setattr(course_api.CourseViewSet, "base_queryset", terminated)
    client = APIClient()
    client.force_authenticate(UserFactory.create())
    response = client.get("/api/v1/courses/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert error["retry_after"] == 5
    assert "try again in a few seconds" in error["message"]


def test_a_page_gets_503_in_the_learners_language(monkeypatch):
    from courses import views as course_views

    monkeypatch.setattr(course_views, "render", terminated)
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory.create())
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "База данных" in response.content.decode()


def test_other_errors_stay_errors(monkeypatch):
    from courses import views as course_views

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(course_views, "render", broken)
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory.create())
    assert client.get("/").status_code == 500
