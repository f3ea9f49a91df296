"""Extensions through the API and the teaching page, and what each learner sees of them:
granted by the course's instructors only, bad input named by field, a grant shown to its
learner only, lateness carried by the API's attempts and submissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from deadlines.models import Extension
from progress.services import enrollment_create
from quizzes.models import Quiz
from teaching.deadlines import extension_grant
from tests.api.conftest import World, client_for, error_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def enrolled(world: World) -> World:
    for learner in (world.learner, world.other):
        enrollment_create(learner=learner, course=world.course_a)
    Quiz.objects.filter(pk=world.quiz.pk).update(
        due_at=timezone.now() + DAY, late_policy="per_day", late_percent=10
    )
    world.quiz.refresh_from_db()
    return world


def url(world: World) -> str:
    return f"/api/v1/courses/{world.course_a.pk}/extensions/"


def test_an_instructor_grants_through_the_api_and_it_is_recorded(enrolled: World):
    world = enrolled
    due = timezone.now() + 3 * DAY
    response = client_for(world.instructor).post(
        url(world),
        {"learner": world.learner.pk, "quiz": world.quiz.pk, "due_at": due.isoformat(),
         "time_multiplier": "1.5", "reason": "medical certificate"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["learner"], body["quiz"], body["granted_by"]) == (
        world.learner.pk, world.quiz.pk, world.instructor.pk,
    )  # fmt: skip
    assert body["time_multiplier"] == "1.50"
    assert body["granted_at"]
    # The learner lists their own; the other learner sees none of it.
    mine = client_for(world.learner).get(url(world)).json()
    assert [grant["reason"] for grant in mine] == ["medical certificate"]
    assert client_for(world.other).get(url(world)).json() == []


@pytest.mark.parametrize("who", ["learner", "other_instructor"])
def test_only_the_course_instructors_grant(enrolled: World, who: str):
    world = enrolled
    response = client_for(getattr(world, who)).post(
        url(world), {"learner": world.other.pk, "due_at": timezone.now().isoformat(),
                     "reason": "me"}, format="json",
    )  # fmt: skip
    assert response.status_code == 403
    assert not Extension.objects.exists()


def test_bad_grants_are_refused_naming_the_field(enrolled: World):
    world = enrolled
    client = client_for(world.instructor)
    now = timezone.now()
    before_due = client.post(
        url(world),
        {"learner": world.learner.pk, "due_at": (now + 3 * DAY).isoformat(),
         "cutoff_at": (now + DAY).isoformat(), "reason": "x"},
        format="json",
    )  # fmt: skip
    assert before_due.status_code == 400
    assert "cutoff_at" in error_of(before_due)["fields"]
    stranger = client.post(
        url(world), {"learner": world.instructor.pk, "due_at": (now + DAY).isoformat(),
                     "reason": "x"}, format="json",
    )  # fmt: skip
    assert "learner" in error_of(stranger)["fields"]
    assert not Extension.objects.exists()


def test_the_quiz_api_refuses_a_cutoff_before_the_due_date(world: World):
    response = client_for(world.instructor).patch(
        f"/api/v1/quizzes/{world.quiz.pk}/",
        {"due_at": "2031-05-02T10:00:00Z", "cutoff_at": "2031-05-01T10:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert "cutoff_at" in error_of(response)["fields"]


def test_the_api_carries_lateness(world: World):
    body = client_for(world.learner).get(f"/api/v1/submissions/{world.submission.pk}/").json()
    assert (body["late_seconds"], body["late_penalty"]) == (0, 0)
    attempt = client_for(world.learner).get(f"/api/v1/attempts/{world.attempt.pk}/").json()
    assert attempt["late_seconds"] == 0


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_extensions_page_is_the_course_instructors_only(enrolled: World):
    world = enrolled
    page = f"/teach/{world.course_a.slug}/extensions/"
    assert page_client(world.learner).get(page).status_code == 404
    assert page_client(world.other_instructor).get(page).status_code == 404
    assert page_client(world.instructor).get(page).status_code == 200


def test_a_grant_from_the_teaching_page_shows_to_its_learner_only(enrolled: World):
    world = enrolled
    page = f"/teach/{world.course_a.slug}/extensions/"
    teacher = page_client(world.instructor)
    refused = teacher.post(
        page, {"learner": world.learner.pk, "item": f"quiz:{world.quiz.pk}",
               "due_at": "2020-01-01T10:00", "time_multiplier": "1", "extra_attempts": "0",
               "reason": "ill"},
    )  # fmt: skip
    assert refused.status_code == 400
    # (the site's language: Russian)
    assert "Продление не может сделать срок сдачи раньше." in refused.content.decode()
    granted = teacher.post(
        page, {"learner": world.learner.pk, "item": f"quiz:{world.quiz.pk}",
               "due_at": "2031-05-02T10:00", "time_multiplier": "1", "extra_attempts": "1",
               "reason": "ill in May"},
    )  # fmt: skip
    assert granted.status_code == 302
    grant = Extension.objects.get()
    assert (grant.granted_by, grant.extra_attempts) == (world.instructor, 1)
    assert "ill in May" in teacher.get(page).content.decode()

    mine = page_client(world.learner).get(f"/quizzes/{world.quiz.pk}/").content.decode()
    assert "ill in May" in mine
    assert 'datetime="2031-05-02T10:00:00+03:00"' in mine
    theirs = page_client(world.other).get(f"/quizzes/{world.quiz.pk}/").content.decode()
    assert "ill in May" not in theirs
    assert "2031-05-02T10:00" not in theirs


def test_the_learner_reads_the_late_policy_before_submitting_in_russian(enrolled: World):
    world = enrolled
    with translation.override("ru"):
        page = page_client(world.learner).get(
            f"/quizzes/{world.quiz.pk}/", HTTP_ACCEPT_LANGUAGE="ru"
        )
    text = page.content.decode()
    assert "сдача после срока: −10% в день" in text
    assert "осталось 23 ч 59 мин" in text or "осталось 1 день" in text


def test_a_course_wide_grant_is_shown_on_the_exercise_page(enrolled: World):
    world = enrolled
    extension_grant(course=world.course_a, learner=world.learner, granted_by=world.instructor,
                    reason="exchange semester", cutoff_at=timezone.now() + 9 * DAY)  # fmt: skip
    page = page_client(world.learner).get(f"/exercises/{world.exercise.pk}/").content.decode()
    assert "exchange semester" in page


def test_the_quiz_page_offers_no_start_while_its_section_is_not_open(enrolled: World):
    # Regression: the page read the quiz's own opens_at only, so a quiz whose section opens
    # later showed "Start the quiz" and the start was then refused.
    world = enrolled
    newcomer = UserFactory.create(username="newcomer")  # (no attempt in progress)
    enrollment_create(learner=newcomer, course=world.course_a)
    Quiz.objects.filter(pk=world.quiz.pk).update(opens_at=None, due_at=None)
    section = world.quiz.section
    section.opens_at = timezone.now() + 2 * DAY
    section.save(update_fields=["opens_at"])
    with translation.override("en"):
        page = page_client(newcomer).get(f"/quizzes/{world.quiz.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert 'data-testid="not-accepted"' in text
    assert "This is not open yet" in text
    assert f'action="/quizzes/{world.quiz.pk}/start/"' not in text

    section.opens_at = timezone.now() - DAY
    section.save(update_fields=["opens_at"])
    text = page_client(newcomer).get(f"/quizzes/{world.quiz.pk}/").content.decode()
    assert 'data-testid="not-accepted"' not in text
    assert f'action="/quizzes/{world.quiz.pk}/start/"' in text
