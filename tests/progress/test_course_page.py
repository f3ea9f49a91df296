"""The course page: the learner's own progress apart from the course's authoring status, and
a link to continue where they left off (issue 22, item 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses.models import Course, Part
from courses.status import Completion
from progress.items import ItemRef
from progress.selectors import course_standing_for
from progress.services import enrollment_create, item_record, section_mark_read
from tests.factories import CourseFactory, PartFactory, QuizFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course() -> Course:
    """Part 1 all written (1.1, 1.2); part 2 has 2.1 written and 2.2, 2.3 planned."""
    course = CourseFactory.create(slug="go", title="Go для C# разработчиков")
    one = PartFactory.create(course=course, number=1, order=1, title="Основы")
    two = PartFactory.create(course=course, number=2, order=2, title="Инфраструктура")
    SectionFactory.create(part=one, number="1.1", order=1, title="Переменные")
    SectionFactory.create(part=one, number="1.2", order=2, title="Функции")
    SectionFactory.create(part=two, number="2.1", order=1, title="Кэширование")
    SectionFactory.create(part=two, number="2.2", order=2, title="Очереди", planned=True)
    SectionFactory.create(part=two, number="2.3", order=3, title="gRPC", planned=True)
    SectionFactory.create(part=two, number="2.9", order=9, title="Старый", archived=True)
    return course


def complete(learner: User, course: Course, number: str) -> None:
    section = course.parts.get(sections__number=number).sections.get(number=number)
    quiz = QuizFactory.create(section=section)
    item_record(learner_id=learner.pk, section_id=section.pk, item=ItemRef("quiz", quiz.pk),
                complete=True, score=Decimal(100))  # fmt: skip


def test_a_learner_sees_their_progress_apart_from_the_authoring_status(
    client: Client, course: Course
) -> None:
    learner = UserFactory.create()
    enrollment_create(learner=learner, course=course)
    complete(learner, course, "1.1")
    client.force_login(learner)

    html = client.get("/courses/go/").content.decode()

    mine = html[html.index('data-testid="my-course-progress"') :]
    mine = mine[: mine.index("</section>")]
    assert "Ваш прогресс" in mine
    assert "20% (1 из 5 разделов)" in mine  # archived not counted, planned counted
    authoring = html[html.index('data-testid="course-authoring-status"') :]
    authoring = authoring[: authoring.index("</section>")]
    assert "Статус курса" in authoring
    assert "это не ваш прогресс" in authoring
    assert "60% (3 из 5 разделов)" in authoring
    assert "2 раздела в плане" in authoring
    # Each part: the learner's figures and the authoring status, each labelled.
    assert "Ваш прогресс в части 1:</strong> <span" in html
    assert "50% (1 из 2 разделов)" in html
    assert "Статус написания:" in html
    assert "1 из 3 разделов опубликовано" in html
    assert "1 из 3 разделов опубликовано; 2 раздела в плане" in html


def test_continue_links_the_first_unfinished_published_section(
    client: Client, course: Course
) -> None:
    learner = UserFactory.create()
    client.force_login(learner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get("/courses/go/").content.decode()
    assert 'href="/courses/go/parts/1/sections/1.1/">Start:' in html

    complete(learner, course, "1.1")
    html = client.get("/courses/go/").content.decode()
    assert 'href="/courses/go/parts/1/sections/1.2/">Continue:' in html
    assert "1.2 Функции" in html

    complete(learner, course, "1.2")
    html = client.get("/courses/go/").content.decode()
    # Not 2.2: a planned section cannot be read.
    assert 'href="/courses/go/parts/2/sections/2.1/">Continue:' in html

    complete(learner, course, "2.1")
    html = client.get("/courses/go/").content.decode()
    assert 'data-testid="continue-link"' not in html
    assert "You have completed every published section; the others are still planned." in html


def test_a_section_done_out_of_order_is_skipped_by_continue(course: Course) -> None:
    learner = UserFactory.create()
    section = course.parts.get(number=1).sections.get(number="1.1")
    section_mark_read(learner=learner, section=section)  # 1.1 has no items: read completes it

    standing = course_standing_for(learner=learner, course=course)

    assert standing is not None
    assert standing.started
    assert standing.continue_section is not None
    assert standing.continue_section.number == "1.2"
    assert standing.part(course.parts.get(number=1).pk) == Completion(done=1, total=2)
    assert standing.completion == Completion(done=1, total=5)


def test_a_visitor_sees_the_authoring_status_only(client: Client, course: Course) -> None:
    html = client.get("/courses/go/").content.decode()

    assert 'data-testid="course-authoring-status"' in html
    assert 'data-testid="my-course-progress"' not in html
    assert 'data-testid="continue-link"' not in html
    assert course_standing_for(learner=client.get("/").wsgi_request.user, course=course) is None


def test_the_course_page_runs_a_constant_number_of_queries(client: Client) -> None:
    learner = UserFactory.create()
    counts = []
    for slug, parts, sections in (("small", 1, 1), ("large", 4, 6)):
        course = CourseFactory.create(slug=slug)
        for p in range(1, parts + 1):
            part: Part = PartFactory.create(course=course, number=p, order=p)
            for s in range(1, sections + 1):
                SectionFactory.create(part=part, number=f"{p}.{s}", order=s)
        complete(learner, course, f"{parts}.1")
        client.force_login(learner)
        with CaptureQueriesContext(connection) as context:
            assert client.get(f"/courses/{slug}/").status_code == 200
        counts.append(len(context.captured_queries))

    assert counts[0] == counts[1], counts
