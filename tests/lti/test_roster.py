"""Roster sync from the test LMS (NRPS): members get their account and role; members who left
are marked, never deleted, and their work stays."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from lti import claims
from lti.models import Context, Identity, Membership, Platform, RosterSync
from lti.roster import ROSTER_SYNC_STALE_AFTER, roster_sync, roster_sync_request
from lti.tasks import sync_roster_task
from progress.models import Enrollment
from quizzes.models import Attempt, Quiz
from quizzes.services import attempt_start
from tests.factories import UserFactory
from tests.lti.conftest import launch_as
from tests.lti.lms import LmsServer

pytestmark = pytest.mark.django_db


def member(user_id: str, role: str = claims.ROLE_LEARNER, status: str = "Active") -> dict:
    return {"user_id": user_id, "roles": [role], "status": status,
            "given_name": user_id.title(), "family_name": "Tester",
            "email": f"{user_id}@example.com"}  # fmt: skip


@pytest.fixture
def context(client: Client, lms: LmsServer, platform: Platform, quiz: Quiz) -> Context:
    """The LMS course, as a learner's launch made it known (with its NRPS URL)."""
    launch_as(client, lms, quiz, sub="ann")
    return Context.objects.get()


def test_a_sync_adds_members_with_their_roles(lms: LmsServer, context: Context):
    lms.members = [member("ann"), member("bob"), member("cat", claims.ROLE_INSTRUCTOR),
                   member("dan", "Instructor"), member("eve", "Learner")]  # fmt: skip

    synced = roster_sync(context=context)

    assert (synced.active, synced.left) == (5, 0)  # 3 pages of 2: all read
    roles = dict(Membership.objects.values_list("identity__sub", "role"))
    assert roles == {"ann": "learner", "bob": "learner", "cat": "instructor",
                     "dan": "instructor", "eve": "learner"}  # fmt: skip
    bob = Identity.objects.get(sub="bob").user
    assert (bob.first_name, bob.email) == ("Bob", "bob@example.com")
    assert Enrollment.objects.filter(learner=bob, course=context.course).exists()
    cat = Identity.objects.get(sub="cat").user
    assert context.course.instructors.filter(pk=cat.pk).exists()
    context.refresh_from_db()
    assert context.roster_synced_at is not None
    # The launch's learner kept one account.
    assert Identity.objects.filter(sub="ann").count() == 1


def test_members_who_left_are_marked_and_their_work_stays(
    lms: LmsServer, context: Context, quiz: Quiz
):
    lms.members = [member("ann"), member("bob"), member("cat", claims.ROLE_INSTRUCTOR)]
    roster_sync(context=context)
    ann = Identity.objects.get(sub="ann").user
    attempt_start(learner=ann, quiz=quiz)

    lms.members = [member("ann", status="Inactive"), member("bob")]
    synced = roster_sync(context=context)

    assert (synced.active, synced.left) == (1, 2)
    left = set(
        Membership.objects.filter(left_at__isnull=False).values_list("identity__sub", flat=True)
    )
    assert left == {"ann", "cat"}
    # Nothing deleted: the account, the enrolment and the attempt are there.
    assert User.objects.filter(pk=ann.pk).exists()
    assert Enrollment.objects.filter(learner=ann, course=context.course).exists()
    assert Attempt.objects.filter(learner=ann).count() == 1
    cat = Identity.objects.get(sub="cat").user
    assert not context.course.instructors.filter(pk=cat.pk).exists()

    # Back in the course: no longer marked.
    lms.members = [member("ann"), member("bob")]
    roster_sync(context=context)
    assert Membership.objects.get(identity__sub="ann").left_at is None


def test_a_failing_lms_changes_nothing(lms: LmsServer, context: Context):
    from lti.launch import LaunchError

    lms.members = [member("bob")]
    lms.tokens.clear()
    lms.tool_jwks = {"keys": []}  # the LMS does not know our key: no token
    with pytest.raises(LaunchError):
        roster_sync(context=context)
    assert not Identity.objects.filter(sub="bob").exists()
    assert Membership.objects.filter(left_at__isnull=False).count() == 0


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    """The syncs handed to the broker (the task is run by the test, as a worker would)."""
    found: list[int] = []

    def enqueue(task, sync_id: int, *, what: str, countdown: float = 0) -> bool:
        assert task.name == "lti.tasks.sync_roster"
        found.append(sync_id)
        return True

    monkeypatch.setattr("lti.roster.enqueue", enqueue)
    return found


def teacher_of(context: Context) -> Client:
    instructor = UserFactory.create(username="teacher")
    context.course.instructors.add(instructor)
    teacher = Client(HTTP_ACCEPT_LANGUAGE="en")
    teacher.force_login(instructor)
    return teacher


def sync_status(page: str) -> str:
    found = re.search(r'data-testid="roster-sync" data-status="(\w+)"', page)
    return found.group(1) if found else ""


def test_an_instructor_syncs_from_the_page_through_a_task(
    lms: LmsServer, context: Context, queued: list[int], django_capture_on_commit_callbacks
):
    lms.members = [member("ann"), member("bob")]
    teacher = teacher_of(context)
    slug = context.course.slug
    url = f"/teach/{slug}/lti/roster/{context.pk}/sync/"

    # When the instructor presses the button (twice)
    with django_capture_on_commit_callbacks(execute=True):
        first = teacher.post(url, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        again = teacher.post(url, follow=True)

    # Then the request read nothing from the LMS: one sync is queued, shown as such
    assert not Identity.objects.filter(sub="bob").exists()
    sync = RosterSync.objects.get()
    assert queued == [sync.pk]
    assert sync_status(first.content.decode()) == "queued"
    assert sync_status(again.content.decode()) == "queued"
    assert "already under way" in again.content.decode()

    # When the worker runs it (a second delivery of the message changes nothing)
    assert sync_roster_task(sync.pk) == "done"
    assert sync_roster_task(sync.pk) == "done"

    # Then the members are there and the page says done, with the counts
    page = teacher.get(f"/teach/{slug}/lti/roster/").content.decode()
    assert sync_status(page) == "done"
    assert "2 members in the LMS course; 0 marked as left" in page
    assert "Bob Tester" in page
    sync.refresh_from_db()
    assert (sync.active, sync.left, sync.started_at is not None) == (2, 0, True)
    # Not for a learner.
    learner = Client()
    learner.force_login(Identity.objects.get(sub="ann").user)
    assert learner.post(url).status_code == 404
    assert learner.get(f"/teach/{slug}/lti/roster/").status_code == 404


def test_a_failed_sync_says_why_and_the_button_works_again(
    lms: LmsServer, context: Context, queued: list[int], django_capture_on_commit_callbacks
):
    lms.members = [member("bob")]
    lms.tokens.clear()
    lms.tool_jwks = {"keys": []}  # the LMS does not know our key: no token
    teacher = teacher_of(context)
    slug = context.course.slug
    with django_capture_on_commit_callbacks(execute=True):
        teacher.post(f"/teach/{slug}/lti/roster/{context.pk}/sync/")

    assert sync_roster_task(queued[0]) == "failed"

    page = teacher.get(f"/teach/{slug}/lti/roster/").content.decode()
    assert sync_status(page) == "failed"
    assert "did not give its member list" in page
    assert not Identity.objects.filter(sub="bob").exists()
    # Pressed again: a new sync
    with django_capture_on_commit_callbacks(execute=True):
        teacher.post(f"/teach/{slug}/lti/roster/{context.pk}/sync/")
    assert len(queued) == 2
    assert RosterSync.objects.filter(status="queued").count() == 1


def test_a_lost_sync_is_replaced_and_a_down_broker_fails_at_once(
    context: Context, django_capture_on_commit_callbacks, monkeypatch
):
    # Given a sync that has been "running" longer than a worker may run it (the worker died)
    started_at = timezone.now() - ROSTER_SYNC_STALE_AFTER
    lost = RosterSync.objects.create(context=context, status="running", started_at=started_at)
    monkeypatch.setattr("lti.roster.enqueue", lambda *args, **kwargs: False)  # broker down

    with django_capture_on_commit_callbacks(execute=True):
        sync, queued = roster_sync_request(context=context, requested_by=None)

    # Then the lost one is failed, saying so, and the new one failed at once (no queue)
    assert queued
    lost.refresh_from_db()
    assert (lost.status, lost.error.startswith("Lost")) == ("failed", True)
    sync.refresh_from_db()
    assert (sync.status, "unavailable" in sync.error) == ("failed", True)
