"""Roster sync from the test LMS (NRPS): members get their account and role; members who left
are marked, never deleted, and their work stays."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from lti import claims
from lti.models import Context, Identity, Membership, Platform
from lti.roster import roster_sync
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


def test_an_instructor_syncs_from_the_page(lms: LmsServer, context: Context):
    lms.members = [member("ann"), member("bob")]
    instructor = UserFactory.create(username="teacher")
    context.course.instructors.add(instructor)
    teacher = Client()
    teacher.force_login(instructor)
    slug = context.course.slug

    synced = teacher.post(f"/teach/{slug}/lti/roster/{context.pk}/sync/", follow=True)

    assert synced.status_code == 200
    body = synced.content.decode()
    assert "Bob Tester" in body
    assert Identity.objects.filter(sub="bob").exists()
    # Not for a learner.
    learner = Client()
    learner.force_login(Identity.objects.get(sub="ann").user)
    assert learner.post(f"/teach/{slug}/lti/roster/{context.pk}/sync/").status_code == 404
    assert learner.get(f"/teach/{slug}/lti/roster/").status_code == 404
