"""Dates where exercises and sections are authored (issue 23, item 3): the teaching pages
and the authoring API set opening, due date, cut-off, late policy and exam mode, with the
errors of item 6 named by field; changing an exercise's dates neither checks nor
unpublishes it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from courses.models import Course, Part, Section
from grader.models import CodingExercise
from tests.api.conftest import World, client_for, error_of

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
FORM = "%Y-%m-%dT%H:%M"


@pytest.fixture(autouse=True)
def _in_english() -> Any:
    with translation.override("en"):
        yield


def form(**values: Any) -> dict[str, Any]:
    base = {name: "" for name in ("opens_at", "due_at", "cutoff_at", "late_policy",
                                  "late_percent", "late_cap", "results_policy",
                                  "results_release_at")}  # fmt: skip
    return base | {k: v.strftime(FORM) if hasattr(v, "strftime") else v for k, v in values.items()}


def test_the_exercise_dates_page_sets_them_without_unpublishing(world: World):
    page = Client()
    page.force_login(world.instructor)
    url = f"/teach/{world.course_a.slug}/exercises/{world.exercise.pk}/dates/"
    assert page.get(url).status_code == 200
    editor = page.get(f"/teach/{world.course_a.slug}/exercises/{world.exercise.pk}/edit/")
    assert url in editor.content.decode()  # the editor links to it
    due = timezone.localtime() + DAY

    saved = page.post(url, form(due_at=due, late_policy="per_hour", late_percent="5",
                                results_policy="on_release"))  # fmt: skip

    assert saved.status_code == 302
    exercise = CodingExercise.objects.get(pk=world.exercise.pk)
    assert exercise.due_at is not None
    assert timezone.localtime(exercise.due_at).strftime(FORM) == due.strftime(FORM)
    assert (exercise.late_policy, exercise.late_percent, exercise.results_policy) == (
        "per_hour", 5, "on_release",
    )  # fmt: skip
    assert exercise.is_published
    assert exercise.check_status == CodingExercise.CheckStatus.OK


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"opens_at": 2, "due_at": 1}, "due_at", "The due date must be after the opening date."),
        (
            {"due_at": 2, "cutoff_at": 1},
            "cutoff_at",
            "The hard cut-off cannot be before the due date.",
        ),
        ({"late_percent": "-5"}, "late_percent", ""),
        ({"late_cap": "101"}, "late_cap", ""),
    ],
)
def test_bad_dates_are_refused_naming_the_field(
    world: World, values: dict[str, Any], field: str, message: str
):
    page = Client()
    page.force_login(world.instructor)
    now = timezone.localtime()
    typed = {k: now + v * DAY if isinstance(v, int) else v for k, v in values.items()}
    for url in (
        f"/teach/{world.course_a.slug}/exercises/{world.exercise.pk}/dates/",
        f"/teach/{world.course_a.slug}/sections/{world.section.pk}/dates/",
        f"/teach/{world.course_a.slug}/parts/{world.section.part_id}/dates/",
        f"/teach/{world.course_a.slug}/dates/",
    ):
        response = page.post(url, form(**typed))
        assert response.status_code == 400, url
        assert f'id="id_{field}-error"' in response.content.decode()
        with translation.override("ru"):  # (the page is in the site's language)
            assert gettext(message) in response.content.decode()
    assert CodingExercise.objects.get(pk=world.exercise.pk).due_at is None
    assert Section.objects.get(pk=world.section.pk).due_at is None
    assert Part.objects.get(pk=world.section.part_id).due_at is None
    assert Course.objects.get(pk=world.course_a.pk).due_at is None


@pytest.mark.parametrize("level", ["part", "course"])
def test_the_part_and_course_dates_are_the_defaults_of_what_they_hold(world: World, level: str):
    page = Client()
    page.force_login(world.instructor)
    slug = world.course_a.slug
    home = page.get(f"/teach/{slug}/").content.decode()
    url = (
        f"/teach/{slug}/parts/{world.section.part_id}/dates/" if level == "part"
        else f"/teach/{slug}/dates/"
    )  # fmt: skip
    assert url in home
    due = timezone.localtime() + DAY
    saved = page.post(
        url, form(due_at=due, late_policy="not_accepted", results_policy="on_release")
    )
    assert saved.status_code == 302
    from deadlines.selectors import item_schedule_base

    for item in (world.quiz, world.exercise):
        schedule = item_schedule_base(item=type(item).objects.get(pk=item.pk))
        assert schedule.due_at is not None
        assert timezone.localtime(schedule.due_at).strftime(FORM) == due.strftime(FORM)
        assert (schedule.late.kind, schedule.exam_mode) == ("not_accepted", True)
    # Not for a learner, nor for another course's instructor.
    for user in (world.learner, world.other_instructor):
        other = Client()
        other.force_login(user)
        assert other.get(url).status_code in (403, 404)
    # Another course's part on this course's page: not found.
    foreign = world.course_b.parts.create(number=9, title="Elsewhere")
    assert page.get(f"/teach/{slug}/parts/{foreign.pk}/dates/").status_code == 404


def test_the_section_dates_are_the_defaults_of_its_items(world: World):
    page = Client()
    page.force_login(world.instructor)
    home = page.get(f"/teach/{world.course_a.slug}/").content.decode()
    url = f"/teach/{world.course_a.slug}/sections/{world.section.pk}/dates/"
    assert url in home
    due = timezone.localtime() + DAY
    assert page.post(url, form(due_at=due, late_policy="not_accepted")).status_code == 302
    from deadlines.selectors import item_schedule_base

    for item in (world.quiz, world.exercise):
        schedule = item_schedule_base(item=type(item).objects.get(pk=item.pk))
        assert schedule.due_at is not None
        assert timezone.localtime(schedule.due_at).strftime(FORM) == due.strftime(FORM)
        assert schedule.late.kind == "not_accepted"
    learner = Client()
    learner.force_login(world.learner)
    assert learner.get(url).status_code in (403, 404)


def test_the_authoring_api_sets_an_exercises_and_a_sections_dates(world: World):
    client = client_for(world.instructor)
    now = timezone.now()
    for url in (f"/api/v1/exercises/{world.exercise.pk}/", f"/api/v1/sections/{world.section.pk}/"):
        refused = client.patch(
            url, {"due_at": (now + 2 * DAY).isoformat(), "cutoff_at": (now + DAY).isoformat()},
            format="json",
        )  # fmt: skip
        assert refused.status_code == 400, url
        assert "cutoff_at" in error_of(refused)["fields"]
        negative = client.patch(url, {"late_percent": -1}, format="json")
        assert negative.status_code == 400
        assert "late_percent" in error_of(negative)["fields"]
        ok = client.patch(
            url, {"due_at": (now + DAY).isoformat(), "results_policy": "on_release",
                  "late_policy": "fixed", "late_percent": 20},
            format="json",
        )  # fmt: skip
        assert ok.status_code in (200, 202), ok.content
        body = client.get(url).json()
        assert (body["results_policy"], body["late_policy"], body["late_percent"]) == (
            "on_release", "fixed", 20,
        )  # fmt: skip
    # Dates alone neither check nor unpublish the exercise; an edit of its code does.
    exercise = CodingExercise.objects.get(pk=world.exercise.pk)
    assert exercise.is_published
    assert exercise.check_status == CodingExercise.CheckStatus.OK
    edited = client.patch(
        f"/api/v1/exercises/{world.exercise.pk}/", {"statement": "Add them."}, format="json"
    )
    assert edited.status_code == 202
    assert not CodingExercise.objects.get(pk=world.exercise.pk).is_published
