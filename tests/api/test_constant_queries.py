"""The API's lists cost the same number of queries whatever their length (issue 21, item 2)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from progress.services import enrollment_create
from tests.api.conftest import client_for
from tests.factories import CourseFactory, PartFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db


def queries_of(client, url: str) -> int:
    client.get(url)  # (a first request fills caches: content types, permissions)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_my_courses_reads_its_progress_in_constant_queries():
    learner = UserFactory.create()
    client = client_for(learner)

    def enrol_in_a_course() -> None:
        course = CourseFactory.create()
        SectionFactory.create(part=PartFactory.create(course=course))
        enrollment_create(learner=learner, course=course)

    enrol_in_a_course()
    one = queries_of(client, "/api/v1/progress/courses/")
    for _ in range(4):
        enrol_in_a_course()
    five = queries_of(client, "/api/v1/progress/courses/")

    assert five == one
    assert len(client.get("/api/v1/progress/courses/").json()["results"]) == 5


def test_a_courses_learners_in_constant_queries():
    instructor = UserFactory.create()
    course = CourseFactory.create()
    course.instructors.add(instructor)
    SectionFactory.create(part=PartFactory.create(course=course))
    client = client_for(instructor)
    url = f"/api/v1/courses/{course.pk}/learners/"

    enrollment_create(learner=UserFactory.create(), course=course)
    one = queries_of(client, url)
    for _ in range(6):
        enrollment_create(learner=UserFactory.create(), course=course)

    assert queries_of(client, url) == one
