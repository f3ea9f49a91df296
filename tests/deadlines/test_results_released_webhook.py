"""The `results.released` webhook: an exam-mode release (an instructor's, or its date passing,
noticed by the beat) is written once, in the release's transaction (the outbox), and fanned
out to the course's instructors (every learner's result) and to each learner (their own);
nothing of a result goes out while it is held."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from courses.services import section_schedule_set
from deadlines.models import ReleaseNotice
from grader.services import exercise_schedule_set
from progress.models import ItemCompletion
from teaching.deadlines import releases_due_notice, results_release
from tests.api.conftest import World
from tests.deadlines.test_exam_mode import exam, json_results
from webhooks.models import PendingEvent, WebhookDelivery
from webhooks.payloads import event_payloads
from webhooks.services import endpoint_cache_clear, endpoint_create, pending_event_fan_out

pytestmark = pytest.mark.django_db

__all__ = ["exam"]

MINUTE = timedelta(minutes=1)


def subscribe(world: World) -> None:
    """The instructor's, the learner's and the other learner's endpoints hear releases."""
    for owner in (world.instructor, world.learner, world.other):
        endpoint_create(owner=owner, url=f"https://hooks.example.org/{owner.username}",
                        secret="s" * 32, events=["results.released"])  # fmt: skip
    endpoint_cache_clear()


def bodies_by_owner(notice: ReleaseNotice) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for endpoint, kind, body in event_payloads(event="results.released", object_id=notice.pk):
        assert kind == "results.released"
        found.setdefault(endpoint.owner.username, []).append(json.loads(body)["data"])
    return found


def test_an_instructors_release_is_sent_once_through_the_outbox(
    exam: World, django_capture_on_commit_callbacks, monkeypatch
):
    world = exam
    subscribe(world)
    queued: list[int] = []
    monkeypatch.setattr("webhooks.services.event_queue", lambda *, pending_id: queued.append(1))
    monkeypatch.setattr("webhooks.services.delivery_queue", lambda **kw: True)

    # When the instructor releases the quiz
    with django_capture_on_commit_callbacks(execute=True):
        release = results_release(item=world.quiz, released_by=world.instructor)

    # Then one notice and one outbox row, queued after the commit
    notice = ReleaseNotice.objects.get()
    assert notice.release == release
    pending = PendingEvent.objects.get()
    assert (pending.event, pending.object_id, len(queued)) == ("results.released", notice.pk, 1)
    # and the fan-out writes one delivery per endpoint, once (a second run finds nothing)
    deliveries = pending_event_fan_out(pending_id=pending.pk)
    assert len(deliveries) == 3
    assert pending_event_fan_out(pending_id=pending.pk) == []
    assert WebhookDelivery.objects.count() == 3


def test_instructors_hear_every_learner_and_a_learner_their_own_result(exam: World):
    world = exam
    subscribe(world)
    results_release(item=world.quiz, released_by=world.instructor)
    notice = ReleaseNotice.objects.get()

    heard = bodies_by_owner(notice)

    # The instructor: one event with both learners' results, who released and when
    [teacher] = heard["instructor"]
    assert (teacher["kind"], teacher["quiz"], teacher["by"]) == (
        "quiz",
        world.quiz.pk,
        "instructor",
    )
    assert teacher["released_by"] == world.instructor.pk
    assert teacher["course"] == world.course_a.pk
    assert {row["learner"]: row["percent"] for row in teacher["learners"]} == {
        world.learner.pk: "41.70", world.other.pk: "41.70",
    }  # fmt: skip
    # Each learner: their own result only, and where to read their attempts
    [mine] = heard["learner"]
    assert [row["learner"] for row in mine["learners"]] == [world.learner.pk]
    assert mine["learners"][0]["percent"] == "41.70"
    assert mine["learners"][0]["url"] == (
        f"/api/v1/attempts/?quiz={world.quiz.pk}&learner={world.learner.pk}"
    )
    [theirs] = heard["other"]
    assert [row["learner"] for row in theirs["learners"]] == [world.other.pk]


def test_a_release_date_that_passes_is_noticed_once_and_recounts_progress(
    exam: World, tasks_run_inline, django_capture_on_commit_callbacks
):
    world = exam
    subscribe(world)
    # Given the exercise's release date a minute ago (the section holds it in exam mode)
    due = timezone.now() - MINUTE
    exercise_schedule_set(exercise=world.exercise, values={"results_release_at": due})
    assert ItemCompletion.objects.filter(exercise=world.exercise, complete=True).count() == 2

    # When the beat's step runs, twice
    with django_capture_on_commit_callbacks(execute=True):
        assert releases_due_notice() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert releases_due_notice() == 0

    # Then one notice by date, its event says so with each learner's score
    notice = ReleaseNotice.objects.get()
    assert (notice.exercise_id, notice.release_id, notice.release_at) == (
        world.exercise.pk, None, due,
    )  # fmt: skip
    [teacher] = bodies_by_owner(notice)["instructor"]
    assert (teacher["by"], teacher["released_by"]) == ("date", None)
    assert {row["points"] for row in teacher["learners"]} == {"7.77"}
    [mine] = bodies_by_owner(notice)["learner"]
    assert mine["learners"][0]["url"].startswith("/api/v1/submissions/?exercise=")
    # and the failed submissions no longer count as done (a recount task, after the commit)
    recount = ("progress.tasks.recount_items", ("codingexercise", world.exercise.pk))
    assert tasks_run_inline == [recount]
    assert not ItemCompletion.objects.filter(exercise=world.exercise, complete=True).exists()


def test_no_notice_for_dates_to_come_long_past_or_released_before(exam: World):
    world = exam
    now = timezone.now()
    # A date to come: held, nothing sent
    section_schedule_set(section=world.section, values={"results_release_at": now + MINUTE})
    assert releases_due_notice(now=now) == 0
    # A date older than RESULTS_RELEASE_NOTICE_HOURS when first seen: not announced late
    section_schedule_set(
        section=world.section, values={"results_release_at": now - 2 * 86400 * MINUTE / 60}
    )
    assert releases_due_notice(now=now) == 0
    # Released by the instructor before the date: the date passing is no new release
    section_schedule_set(section=world.section, values={"results_release_at": now + MINUTE})
    results_release(item=world.quiz, released_by=world.instructor)
    assert releases_due_notice(now=now + 2 * MINUTE) == 1  # the exercise only
    assert ReleaseNotice.objects.filter(release_at__isnull=False).get().exercise_id == (
        world.exercise.pk
    )


def test_nothing_leaks_if_the_item_is_held_again_before_the_fan_out(exam: World):
    world = exam
    subscribe(world)
    due = timezone.now() - MINUTE
    exercise_schedule_set(exercise=world.exercise, values={"results_release_at": due})
    releases_due_notice()
    notice = ReleaseNotice.objects.get()
    # When the instructor moves the date back to the future before the event is fanned out
    exercise_schedule_set(
        exercise=world.exercise, values={"results_release_at": timezone.now() + MINUTE}
    )
    # Then the event says nothing to anyone
    assert bodies_by_owner(notice) == {}


def test_held_graded_events_carry_no_result_and_the_release_carries_it(exam: World):
    """The choice documented in docs/api.md: submission.graded and attempt.graded sent while
    held say "submitted" only and are not sent again; results.released carries the result."""
    world = exam
    subscribe(world)
    from tests.deadlines.test_exam_mode import learner_webhook_bodies

    held = learner_webhook_bodies(world)
    assert [found for body in held for found in json_results(json.loads(body))] == []
    results_release(item=world.exercise, released_by=world.instructor)
    [mine] = bodies_by_owner(ReleaseNotice.objects.get())["learner"]
    assert mine["learners"][0]["points"] == "7.77"
