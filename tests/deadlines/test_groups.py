"""Groups of a course's learners and their extensions (issue 23, item 3 "per group"): a group
holds enrolled learners only; a grant to a group applies to each member, recorded like any
grant; a learner gets the most generous of their own and their groups' grants. Managed on
the teaching pages, in the admin and through the API."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from deadlines.models import CourseGroup, Extension
from deadlines.selectors import item_schedule
from progress.services import enrollment_create
from teaching.deadlines import extension_grant, group_save
from tests.api.conftest import World, client_for, error_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def _in_english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def enrolled(world: World) -> World:
    for learner in (world.learner, world.other):
        enrollment_create(learner=learner, course=world.course_a)
    world.quiz.due_at = timezone.now() + DAY
    world.quiz.max_attempts = 1
    world.quiz.save()
    return world


def test_a_group_holds_the_courses_learners_only(enrolled: World):
    world = enrolled
    stranger = UserFactory.create(username="stranger")
    with pytest.raises(ValidationError) as refused:
        group_save(course=world.course_a, name="A", members=[world.learner, stranger])
    assert "stranger" in str(refused.value.message_dict["members"])
    assert not CourseGroup.objects.exists()
    group_save(course=world.course_a, name="A", members=[world.learner])
    with pytest.raises(ValidationError) as twice:
        group_save(course=world.course_a, name=" A ", members=[])
    assert "name" in twice.value.message_dict
    with pytest.raises(ValidationError):
        group_save(course=world.course_a, name="  ", members=[])


def test_a_group_grant_applies_to_its_members_most_generously(enrolled: World):
    world = enrolled
    now = timezone.now()
    group = group_save(course=world.course_a, name="ПОВЗ", members=[world.learner])
    # Given the learner's own grant (+2 days, 1 attempt) and the group's (+5 days, x1.5, +1)
    extension_grant(
        course=world.course_a, learner=world.learner, granted_by=world.instructor,
        reason="own", quiz=world.quiz, due_at=now + 2 * DAY, extra_attempts=1,
    )  # fmt: skip
    grant = extension_grant(
        course=world.course_a, group=group, granted_by=world.instructor, reason="group",
        due_at=now + 5 * DAY, time_multiplier=Decimal("1.5"),
        extra_attempts=1,
    )  # fmt: skip
    assert (grant.group, grant.learner, grant.granted_by) == (group, None, world.instructor)

    # Then the member has the latest date, the largest multiplier, the most attempts one
    # source gives (not the sum)
    mine = item_schedule(item=world.quiz, learner_id=world.learner.pk)
    assert mine.schedule.due_at == now + 5 * DAY
    assert mine.time_multiplier == Decimal("1.5")
    assert mine.extra_attempts == 1
    # and a learner outside the group nothing
    theirs = item_schedule(item=world.quiz, learner_id=world.other.pk)
    assert theirs.schedule.due_at == world.quiz.due_at
    assert not theirs.extensions
    # The member lists the group's grant among theirs through the API; the other does not.
    url = f"/api/v1/courses/{world.course_a.pk}/extensions/"
    assert {g["reason"] for g in client_for(world.learner).get(url).json()} == {"own", "group"}
    assert client_for(world.other).get(url).json() == []


def test_a_grant_is_for_one_learner_or_one_group_of_the_course(enrolled: World):
    world = enrolled
    group = group_save(course=world.course_a, name="A", members=[])
    foreign = CourseGroup.objects.create(course=world.course_b, name="B")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"learner": world.learner, "group": group}, "learner"),
        ({}, "learner"),
        ({"group": foreign}, "group"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as refused:
            extension_grant(
                course=world.course_a, granted_by=None, reason="x", due_at=timezone.now() + DAY,
                **kwargs,
            )  # fmt: skip
        assert field in refused.value.message_dict
    assert not Extension.objects.exists()


def test_groups_on_the_teaching_pages(enrolled: World):
    world = enrolled
    page = Client()
    page.force_login(world.instructor)
    url = f"/teach/{world.course_a.slug}/groups/"
    assert page.get(url).status_code == 200

    created = page.post(url, {"name": "Поток А", "members": [world.learner.pk]})
    assert created.status_code == 302
    group = CourseGroup.objects.get()
    assert list(group.members.all()) == [world.learner]

    edited = page.post(
        f"{url}?group={group.pk}", {"name": "Поток А1", "members": [world.learner.pk,
                                                                   world.other.pk]},
    )  # fmt: skip
    assert edited.status_code == 302
    group.refresh_from_db()
    assert group.name == "Поток А1"
    assert group.members.count() == 2

    stranger = UserFactory.create(username="stranger")
    refused = page.post(url, {"name": "X", "members": [stranger.pk]})
    assert refused.status_code == 400
    assert CourseGroup.objects.count() == 1

    # The extensions page grants to the group.
    extensions = f"/teach/{world.course_a.slug}/extensions/"
    granted = page.post(extensions, {
        "group": group.pk, "item": f"quiz:{world.quiz.pk}", "time_multiplier": "1",
        "extra_attempts": "1", "reason": "поток на практике",
    })  # fmt: skip
    assert granted.status_code == 302, granted.content.decode()
    assert Extension.objects.get().group == group
    assert "Поток А1" in page.get(extensions).content.decode()
    # A learner gets neither page.
    learner = Client()
    learner.force_login(world.learner)
    assert learner.get(url).status_code in (403, 404)


def test_groups_through_the_api(enrolled: World):
    world = enrolled
    url = f"/api/v1/courses/{world.course_a.pk}/groups/"
    client = client_for(world.instructor)
    response = client.post(url, {"name": "G", "members": [world.learner.pk]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["members"] == [world.learner.pk]
    assert [g["name"] for g in client.get(url).json()] == ["G"]
    stranger = UserFactory.create()
    refused = client.post(url, {"name": "H", "members": [stranger.pk]}, format="json")
    assert refused.status_code == 400
    assert "members" in error_of(refused)["fields"]
    assert client_for(world.learner).get(url).status_code == 403
    group_id = response.json()["id"]
    grant = client.post(
        f"/api/v1/courses/{world.course_a.pk}/extensions/",
        {"group": group_id, "due_at": (timezone.now() + DAY).isoformat(), "reason": "r"},
        format="json",
    )
    assert grant.status_code == 201, grant.content
    assert (grant.json()["group"], grant.json()["learner"]) == (group_id, None)


def test_the_admin_saves_groups_through_the_service(enrolled: World):
    world = enrolled
    admin = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    page = Client()
    page.force_login(admin)
    stranger = UserFactory.create(username="stranger")
    add = "/admin/deadlines/coursegroup/add/"
    refused = page.post(add, {"course": world.course_a.pk, "name": "A",
                              "members": [stranger.pk]})  # fmt: skip
    assert refused.status_code == 200  # the form again, with the error
    assert not CourseGroup.objects.exists()
    saved = page.post(add, {"course": world.course_a.pk, "name": "A",
                            "members": [world.learner.pk]})  # fmt: skip
    assert saved.status_code == 302
    assert list(CourseGroup.objects.get().members.all()) == [world.learner]


def test_webhooks_carry_the_learners_own_due_date(enrolled: World):
    import json

    from quizzes.models import Attempt
    from webhooks.models import WebhookEndpoint
    from webhooks.payloads import event_payloads

    world = enrolled
    later = timezone.now() + 4 * DAY
    group = group_save(course=world.course_a, name="G", members=[world.learner])
    extension_grant(course=world.course_a, group=group, granted_by=None, reason="r",
                    due_at=later)  # fmt: skip
    Attempt.objects.filter(pk=world.attempt.pk).update(status=Attempt.Status.GRADED)
    WebhookEndpoint.objects.create(
        owner=world.learner, url="https://hooks.example.org/x", secret="s" * 32,
        events=["attempt.graded", "submission.graded"],
    )  # fmt: skip
    [(_endpoint, _kind, body)] = event_payloads(event="attempt.graded", object_id=world.attempt.pk)
    sent = datetime.fromisoformat(json.loads(body)["data"]["due_at"].replace("Z", "+00:00"))
    assert abs(sent - later) < timedelta(seconds=1)
    # The exercise has no due date: an extension invents none.
    [(_endpoint, _kind, body)] = event_payloads(
        event="submission.graded", object_id=world.submission.pk
    )
    assert json.loads(body)["data"]["due_at"] is None


def test_a_member_sees_the_groups_grant_on_the_quiz_page(enrolled: World):
    world = enrolled
    group = group_save(course=world.course_a, name="Поток Б", members=[world.learner])
    extension_grant(
        course=world.course_a, group=group, granted_by=world.instructor, reason="практика",
        quiz=world.quiz, due_at=timezone.now() + 3 * DAY,
    )  # fmt: skip
    member, outsider = Client(), Client()
    member.force_login(world.learner)
    outsider.force_login(world.other)
    mine = member.get(f"/quizzes/{world.quiz.pk}/").content.decode()
    assert "«Поток Б»" in mine
    assert "практика" in mine
    assert "практика" not in outsider.get(f"/quizzes/{world.quiz.pk}/").content.decode()
