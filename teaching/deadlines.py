"""Writes of deadlines: extensions for a learner or a group (recorded: who, when, why), the
groups of a course's learners, and releasing results held in exam mode (who, when).

They live here, above the grading apps, because they check enrolments and recount the
progress of quizzes and exercises; the deadlines app itself (dates, policies, the models)
sits below courses and imports none of them (tests/test_dependencies.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Course
from deadlines.models import CourseGroup, Extension, ReleaseNotice, ResultsRelease
from deadlines.selectors import item_schedule_base, results_gates
from grader.models import CodingExercise
from grader.services import exercise_learners_recount
from progress.selectors import enrolled_among
from progress.services import results_rule_changed
from quizzes.models import Quiz
from quizzes.services import quiz_learners_recount
from webhooks.models import Event
from webhooks.services import event_emit


def extension_grant(
    *,
    course: Course,
    learner: User | None = None,
    group: CourseGroup | None = None,
    granted_by: User | None,
    reason: str,
    quiz: Quiz | None = None,
    exercise: CodingExercise | None = None,
    due_at: datetime | None = None,
    cutoff_at: datetime | None = None,
    time_multiplier: Decimal = Decimal(1),
    extra_attempts: int = 0,
) -> Extension:
    """Give a learner of the course, or a group of its learners, more time on one quiz or
    exercise, or on everything in the course. Bad input is a ValidationError naming the
    field; nothing is written then."""
    errors: dict[str, str] = {}
    if (learner is None) == (group is None):
        errors["learner"] = _("An extension is for one learner or one group.")
    elif learner is not None and not enrolled_among(course=course, users=[learner]):
        errors["learner"] = _("%(learner)s is not a learner of this course.") % {
            "learner": learner.get_username()
        }
    elif group is not None and group.course_id != course.pk:
        errors["group"] = _("This group is not of this course.")
    if quiz is not None and exercise is not None:
        errors["quiz"] = _("An extension is for one quiz, one exercise or the whole course.")
    item = quiz or exercise
    if item is not None and item.section.part.course_id != course.pk:
        errors["quiz" if quiz is not None else "exercise"] = _("This is not in the course.")
    if not reason.strip():
        errors["reason"] = _("Say why the extension is granted.")
    if not Decimal(1) <= time_multiplier <= Decimal(10):
        errors["time_multiplier"] = _("The time-limit multiplier is from 1 to 10.")
    if extra_attempts < 0:
        errors["extra_attempts"] = _("Extra attempts cannot be negative.")
    if due_at and cutoff_at and cutoff_at < due_at:
        errors["cutoff_at"] = _("The hard cut-off cannot be before the due date.")
    if item is not None and "quiz" not in errors and "exercise" not in errors:
        base = item_schedule_base(item=item)
        if due_at and base.due_at and due_at < base.due_at:
            errors["due_at"] = _("An extension cannot make the due date earlier.")
        if cutoff_at and base.cutoff_at and cutoff_at < base.cutoff_at:
            errors["cutoff_at"] = _("An extension cannot make the hard cut-off earlier.")
    if not (due_at or cutoff_at or time_multiplier > 1 or extra_attempts):
        errors["due_at"] = _("Grant a later date, a longer time limit or extra attempts.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return Extension.objects.create(
            course=course, learner=learner, group=group, quiz=quiz, exercise=exercise,
            due_at=due_at, cutoff_at=cutoff_at, time_multiplier=time_multiplier,
            extra_attempts=extra_attempts, reason=reason.strip(), granted_by=granted_by,
        )  # fmt: skip


def results_release(*, item: Quiz | CodingExercise, released_by: User | None) -> ResultsRelease:
    """Release the scores and feedback of a quiz or an exercise in exam mode (recorded: who,
    when). Its learners' progress is recounted in the same transaction: until now, handing it
    in counted as done (deadlines.policy.counts_complete); from now on, passing does. The
    `results.released` webhook event is written in it too (the outbox)."""
    if not item_schedule_base(item=item).exam_mode:
        raise ValidationError(
            {"item": _("This is not in exam mode: its results are shown already.")}
        )
    with transaction.atomic():
        field = _item_field(item)
        release = ResultsRelease.objects.create(**{field: item}, released_by=released_by)
        notice = ReleaseNotice.objects.create(**{field: item}, release=release)
        event_emit(event=Event.RESULTS_RELEASED, object_id=notice.pk)  # webhooks, after commit
        _RECOUNT[field](item.pk)
    return release


def _item_field(item: Quiz | CodingExercise) -> str:
    return "quiz" if isinstance(item, Quiz) else "exercise"


_RECOUNT = {"quiz": quiz_learners_recount, "exercise": exercise_learners_recount}


def releases_due_notice(*, now: datetime | None = None) -> int:
    """The beat's step (teaching.tasks.notice_due_releases): items in exam mode whose release
    date passed in the last RESULTS_RELEASE_NOTICE_HOURS, and which no instructor released
    before it, get their notice and `results.released` event once (a unique (item, date)
    row), and their learners' progress recounted (passing counts again). How many noticed.

    Release dates are evaluated on read (deadlines.selectors.results_gates): the results show
    from the date on whether or not this ran; only the event and the recount wait for it."""
    now = now or timezone.now()
    since = now - timedelta(hours=settings.RESULTS_RELEASE_NOTICE_HOURS)
    levels = ["", "section__", "section__part__", "section__part__course__"]
    dated = Q()
    for level in levels:
        dated |= Q(**{f"{level}results_release_at__gt": since,
                      f"{level}results_release_at__lte": now})  # fmt: skip
    noticed = 0
    for field, model in (("quiz", Quiz), ("exercise", CodingExercise)):
        rows = model._default_manager.filter(dated).select_related("section__part__course")
        items: list[Any] = list(rows)
        gates = results_gates(items=items, now=now)
        for item in items:
            gate = gates[item.pk]
            due = gate.release_at
            if not gate.exam_mode or due is None or not since < due <= now:
                continue
            if gate.released is not None and gate.released.released_at <= due:
                continue  # an instructor released them before their date
            if _notice_by_date(item=item, field=field, release_at=due):
                noticed += 1
    return noticed


def _notice_by_date(*, item: Quiz | CodingExercise, field: str, release_at: datetime) -> bool:
    with transaction.atomic():
        lookup: dict[str, Any] = {field: item, "release_at": release_at}
        notice, created = ReleaseNotice.objects.get_or_create(**lookup)
        if created:
            event_emit(event=Event.RESULTS_RELEASED, object_id=notice.pk)
            # Passing counts again: the item's learners recounted by a task, after the commit.
            results_rule_changed(type(item), item.pk)
    return created


def group_save(
    *, course: Course, name: str, members: list[User], group: CourseGroup | None = None
) -> CourseGroup:
    """Create a group of the course's learners, or rename it and set its members. Every
    member must be a learner of the course; the name is unique in the course."""
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = _("Name the group.")
    elif (
        CourseGroup.objects.filter(course=course, name=name)
        .exclude(pk=group.pk if group else 0)
        .exists()
    ):
        errors["name"] = _("The course has a group of this name already.")
    if group is not None and group.course_id != course.pk:
        errors["name"] = _("This group is not of this course.")
    enrolled = {user.pk for user in enrolled_among(course=course, users=members)}
    strangers = [user for user in members if user.pk not in enrolled]
    if strangers:
        errors["members"] = _("Not learners of this course: %(names)s.") % {
            "names": ", ".join(user.get_username() for user in strangers)
        }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if group is None:
            group = CourseGroup.objects.create(course=course, name=name)
        elif group.name != name:
            group.name = name
            group.save(update_fields=["name"])
        group.members.set(members)
    return group
