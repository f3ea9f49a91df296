"""The learner's pages: sign up, enrol, dashboard, progress on the part and section pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Course, Part, Section
from grader.models import CodingExercise, Submission
from progress.items import ItemRef
from progress.models import Enrollment
from progress.services import enrollment_create, item_record
from quizzes.models import Attempt
from tests.factories import (
    CourseFactory,
    PartFactory,
    QuizFactory,
    SectionFactory,
    UserFactory,
    exercise_stored,
)

pytestmark = pytest.mark.django_db


def english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def exercise_in(section: Section, slug: str = "ex") -> CodingExercise:
    return exercise_stored(
        section=section, slug=slug, title=f"Упражнение {slug}", statement="Напишите функцию.",
        language="go", starter_files={"main.go": "package main"},
        test_files={"main_test.go": "package main // скрытый тест"},
        reference_files={"main.go": "package main // эталон"}, is_published=True,
    )  # fmt: skip


@pytest.fixture
def part7() -> Part:
    """A part of 7 published sections; 4.1 has a quiz and an exercise."""
    course = CourseFactory.create(slug="go", title="Go для C# разработчиков")
    part = PartFactory.create(course=course, number=4, title="Инфраструктура")
    for i in range(1, 8):
        SectionFactory.create(part=part, number=f"4.{i}", order=i, title=f"Раздел {i}")
    return part


def test_sign_up_logs_in_and_lands_on_the_dashboard(client: Client) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {"username": "ученица", "email": "", "password1": "длинный-пароль-2026",
         "password2": "длинный-пароль-2026"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("progress:dashboard")
    assert User.objects.filter(username="ученица").exists()
    html = client.get(reverse("progress:dashboard")).content.decode()
    assert "ученица" in html


def test_sign_up_goes_to_next_even_when_it_looks_like_a_view_name(client: Client) -> None:
    # Regression (review): redirect("foo") looked "foo" up as a URL name: a 500.
    response = client.post(
        reverse("accounts:signup") + "?next=foo",
        {"username": "next-user", "password1": "длинный-пароль-2026",
         "password2": "длинный-пароль-2026"},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == "foo"
    outside = client.get(reverse("accounts:signup") + "?next=//evil.example/")
    assert outside.status_code == 302  # signed in already: to the dashboard, never outside
    assert "evil" not in outside["Location"]


def test_sign_up_errors_are_shown_and_nothing_is_created(client: Client) -> None:
    response = english(client).post(
        reverse("accounts:signup"),
        {"username": "x", "password1": "длинный-пароль-2026", "password2": "другой-пароль"},
    )
    assert response.status_code == 400
    assert b"password fields didn" in response.content
    assert not User.objects.filter(username="x").exists()


def test_log_in_and_out(client: Client) -> None:
    user = UserFactory.create(username="learner")
    user.set_password("пароль-для-входа-1")
    user.save()
    response = client.post(reverse("accounts:login"),
                           {"username": "learner", "password": "пароль-для-входа-1"})  # fmt: skip
    assert response.status_code == 302
    assert client.get(reverse("progress:dashboard")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("progress:dashboard")).status_code == 302


def test_enrol_then_the_dashboard_shows_the_course_with_progress(
    client: Client, part7: Part
) -> None:
    learner = UserFactory.create()
    client.force_login(learner)
    course = part7.course
    response = client.post(reverse("progress:enrol", kwargs={"course_slug": course.slug}))
    assert response.status_code == 302
    assert Enrollment.objects.filter(learner=learner, course=course).count() == 1
    client.post(reverse("progress:enrol", kwargs={"course_slug": course.slug}))  # twice: one row
    assert Enrollment.objects.filter(learner=learner, course=course).count() == 1

    html = client.get(reverse("progress:dashboard")).content.decode()
    assert course.title in html
    assert "0% (0 из 7 разделов)" in html


def test_completing_a_section_moves_the_part_from_0_to_14_percent(
    client: Client, part7: Part
) -> None:
    learner = UserFactory.create()
    client.force_login(learner)
    enrollment_create(learner=learner, course=part7.course)
    section = part7.sections.get(number="4.1")
    quiz = QuizFactory.create(section=section)
    exercise = exercise_in(section)
    part_url = part7.get_absolute_url()
    assert "0% (0 из 7 разделов)" in client.get(part_url).content.decode()

    item_record(learner_id=learner.pk, section_id=section.pk, item=ItemRef("quiz", quiz.pk),
                complete=True, score=Decimal(100))  # fmt: skip
    html = client.get(part_url).content.decode()
    assert "0% (0 из 7 разделов)" in html  # the exercise is still to do
    item_record(learner_id=learner.pk, section_id=section.pk, item=ItemRef("exercise", exercise.pk),
                complete=True, score=Decimal(1))  # fmt: skip

    html = client.get(part_url).content.decode()
    assert "14% (1 из 7 разделов)" in html
    fragment = client.get(
        reverse("progress:part_progress", kwargs={"course_slug": "go", "part_number": 4})
    ).content.decode()
    assert "14% (1 из 7 разделов)" in fragment
    assert "14% (1 из 7 разделов)" in client.get(reverse("progress:dashboard")).content.decode()


def test_section_page_lists_items_with_the_learners_state(client: Client, part7: Part) -> None:
    learner = UserFactory.create()
    english(client).force_login(learner)
    section = part7.sections.get(number="4.1")
    passed_quiz = QuizFactory.create(section=section, title="Quiz passed", order=1)
    failed_quiz = QuizFactory.create(section=section, title="Quiz failed", order=2)
    QuizFactory.create(section=section, title="Quiz untouched", order=3)
    exercise = exercise_in(section)
    Attempt.objects.create(learner=learner, quiz=passed_quiz, number=1, seed=1,
                           started_at="2026-11-01T10:00Z", status="graded", percent=90)  # fmt: skip
    Attempt.objects.create(learner=learner, quiz=failed_quiz, number=1, seed=1,
                           started_at="2026-11-01T10:00Z", status="graded", percent=10)  # fmt: skip
    item_record(learner_id=learner.pk, section_id=section.pk, item=ItemRef("quiz", passed_quiz.pk),
                complete=True, score=Decimal(90))  # fmt: skip
    Submission.objects.create(learner=learner, exercise=exercise, files={}, status="running")

    html = client.get(section.get_absolute_url()).content.decode()
    assert "Quiz passed" in html
    assert "passed" in html
    assert "Quiz failed" in html
    assert "not passed yet" in html
    assert "Quiz untouched" in html
    assert "not started" in html
    assert exercise.title in html
    assert "in progress" in html
    # Hidden tests and the reference solution never reach a page.
    assert "скрытый тест" not in html
    assert "эталон" not in html


def test_a_section_without_items_completes_when_marked_read(client: Client, part7: Part) -> None:
    learner = UserFactory.create()
    client.force_login(learner)
    section = part7.sections.get(number="4.2")
    response = client.post(reverse("progress:section_read", kwargs={"section_id": section.pk}))
    assert response.status_code == 302
    assert "14% (1 из 7 разделов)" in client.get(part7.get_absolute_url()).content.decode()
    # Marking read also enrols: the course is on the dashboard.
    assert Enrollment.objects.filter(learner=learner, course=part7.course).exists()


def test_learner_pages_need_a_login(client: Client, part7: Part) -> None:
    for url in (
        reverse("progress:dashboard"),
        reverse("progress:part_progress", kwargs={"course_slug": "go", "part_number": 4}),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    section = part7.sections.get(number="4.2")
    assert (
        client.post(reverse("progress:section_read", kwargs={"section_id": section.pk})).status_code
        == 302
    )
    assert not section.progress.exists()


# --- query counts ------------------------------------------------------------------


def build(slug: str, learner: User, *, parts: int, sections: int, items: int) -> Course:
    course = CourseFactory.create(slug=slug)
    enrollment_create(learner=learner, course=course)
    for p in range(1, parts + 1):
        part = PartFactory.create(course=course, number=p, order=p)
        for s in range(1, sections + 1):
            section = SectionFactory.create(part=part, number=f"{p}.{s}", order=s)
            for i in range(items):
                quiz = QuizFactory.create(section=section, order=i)
                Attempt.objects.create(learner=learner, quiz=quiz, number=1, seed=1,
                                       started_at="2026-11-01T10:00Z", status="graded",
                                       percent=100)  # fmt: skip
                item_record(learner_id=learner.pk, section_id=section.pk,
                            item=ItemRef("quiz", quiz.pk),
                            complete=True, score=Decimal(100))  # fmt: skip
                exercise = exercise_in(section, slug=f"ex{i}")
                Submission.objects.create(learner=learner, exercise=exercise, files={},
                                          status="graded", verdict="failed")  # fmt: skip
    return course


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


@pytest.mark.parametrize("page", ["dashboard", "part", "section"])
def test_learner_pages_run_a_constant_number_of_queries(client: Client, page: str) -> None:
    small_learner = UserFactory.create(username="small")
    large_learner = UserFactory.create(username="large")
    build("small", small_learner, parts=1, sections=1, items=1)
    build("large", large_learner, parts=3, sections=4, items=3)
    build("other", large_learner, parts=2, sections=2, items=1)  # a second enrolment
    urls = {
        "dashboard": (reverse("progress:dashboard"),) * 2,
        "part": ("/courses/small/parts/1/", "/courses/large/parts/3/"),
        "section": ("/courses/small/parts/1/sections/1.1/", "/courses/large/parts/3/sections/3.4/"),
    }[page]

    client.force_login(small_learner)
    small = queries(client, urls[0])
    client.force_login(large_learner)
    large = queries(client, urls[1])

    assert small == large, (small, large)
