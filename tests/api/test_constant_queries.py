"""The API's lists and the gradebook (its CSV and its page) cost the same number of queries
whatever their length (issue 21, item 2)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from progress.models import Enrollment, ItemCompletion, SectionProgress
from progress.services import enrollment_create
from tests.api.conftest import World, client_for
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


def gradebook_csv_queries(client, url: str) -> tuple[int, list[list[str]]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body = b"".join(response.streaming_content).decode()  # (queries run as it streams)
    return len(captured.captured_queries), list(csv.reader(io.StringIO(body)))


def test_the_gradebook_csv_and_page_read_the_same_cells_in_constant_queries(world: World):
    # Given a course whose learners have done some of a section's work
    course, section = world.course_a, world.section
    client, page = client_for(world.instructor), Client()
    page.force_login(world.instructor)
    csv_url = f"/api/v1/courses/{course.pk}/gradebook.csv"
    page_url = f"/teach/{course.slug}/gradebook/"

    def learner_with_work(number: int) -> None:
        learner = UserFactory.create(username=f"pupil{number}")
        Enrollment.objects.create(learner=learner, course=course)
        ItemCompletion.objects.create(
            learner=learner, section=section, quiz=world.quiz, complete=True, score=Decimal(number)
        )
        SectionProgress.objects.create(
            learner=learner, section=section, items_complete=1, items_total=2,
            completed=number % 2 == 0,
        )  # fmt: skip

    learner_with_work(0)
    queries_of(page, page_url)  # (warm)
    gradebook_csv_queries(client, csv_url)
    one_csv, _rows = gradebook_csv_queries(client, csv_url)
    one_page = queries_of(page, page_url)

    # When more learners have worked there
    for number in range(1, 7):
        learner_with_work(number)
    many_csv, rows = gradebook_csv_queries(client, csv_url)
    many_page = queries_of(page, page_url)

    # Then neither costs more queries, and both say the same of each learner's section
    assert (many_csv, many_page) == (one_csv, one_page)
    html = page.get(page_url).content.decode()
    by_name = {row[1]: row for row in rows[1:]}
    completed_at = next(i for i, head in enumerate(rows[0]) if head.endswith(" completed"))
    for number in range(7):
        completed = by_name[f"pupil{number}"][completed_at]
        assert completed == ("yes" if number % 2 == 0 else "no")
        assert by_name[f"pupil{number}"][2] == f"{number}.00"  # the quiz's score
        link = f"/teach/{course.slug}/learners/{User.objects.get(username=f'pupil{number}').pk}/"
        cell = html[html.index(link) :].split("</a>", 1)[0]
        assert ("✓" in cell) == (completed == "yes")
        assert "1/2" in cell
