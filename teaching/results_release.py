"""The exam-mode page of a course: its quizzes and exercises whose scores and feedback are
held ("submitted" only), when each is released, and a button to release one now (recorded:
who, when); and what the `results.released` webhook says of a release."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from courses.models import Course
from deadlines.models import ReleaseNotice
from deadlines.selectors import ResultsGate, item_results_gate
from progress.items import ItemMark, ItemRef, learners_with_work
from progress.selectors import item_marks
from quizzes.selectors import quiz_scores_hidden
from teaching.selectors import course_items
from webhooks.payloads import EventSubject


@dataclass(frozen=True)
class HeldItem:
    kind: str  # "quiz" | "exercise"
    item: Any
    gate: ResultsGate


def exam_items(*, course: Course, now: datetime) -> list[HeldItem]:
    """The course's items in exam mode (on themselves or by their section, part or course)."""
    items = course_items(course=course)
    found = []
    for kind, rows in (("quiz", items.quizzes), ("exercise", items.exercises)):
        for item in rows:
            gate = item_results_gate(item=item, now=now)
            if gate.exam_mode:
                found.append(HeldItem(kind, item, gate))
    return found


def exam_item(*, course: Course, kind: str, item_id: int) -> Any:
    """One of the course's quizzes or exercises, by kind and id (None: no such item)."""
    items = course_items(course=course)
    rows = items.quizzes if kind == "quiz" else items.exercises if kind == "exercise" else []
    return next((item for item in rows if item.pk == item_id), None)


def _learner_result(
    *, kind: str, item_id: int, learner_id: int, mark: ItemMark, shown: bool
) -> dict[str, Any]:
    """One learner's part of a release: their mark as the gradebook counts it (when they may
    see it) and where the API lists each of their attempts or submissions of the item."""
    listing = "attempts" if kind == "quiz" else "submissions"
    row: dict[str, Any] = {
        "learner": learner_id,
        "url": f"/api/v1/{listing}/?{kind}={item_id}&learner={learner_id}",
    }
    if shown:
        row |= {"points": mark.points, "max_points": mark.max_points, "percent": mark.percent,
                "late": mark.late}  # fmt: skip
    return row


def release_notice_events(notice_id: int) -> list[tuple[str, EventSubject]]:
    """The results.released webhook's data: the item, who released it and when (or its date),
    and per learner with graded work their now-visible result. The course's instructors hear
    every learner in one event; each learner hears their own part only. None while the item
    is held again (its release date moved back before the fan-out): nothing leaks."""
    notice = (
        ReleaseNotice.objects.select_related(
            "release", "quiz__section__part__course", "exercise__section__part__course"
        )
        .filter(pk=notice_id)
        .first()
    )
    item: Any = notice and (notice.quiz or notice.exercise)
    if notice is None or item is None:
        return []
    now = timezone.now()
    gate = item_results_gate(item=item, now=now)
    if gate.held:
        return []
    kind = "quiz" if notice.quiz_id else "exercise"
    course_id = item.section.part.course_id
    release = notice.release
    header = {
        "kind": kind, kind: item.pk, "title": item.title, "section": item.section_id,
        "course": course_id, "by": "instructor" if release else "date",
        "released_at": release.released_at if release else notice.release_at,
        "released_by": release.released_by_id if release else None,
    }  # fmt: skip
    learner_ids = learners_with_work((item.attempts if kind == "quiz" else item.submissions).all())
    marks = item_marks(item=ItemRef(kind, item.pk), section_id=item.section_id,
                       learner_ids=learner_ids)  # fmt: skip
    graded = [(learner_id, mark) for learner_id, mark in marks.items() if mark.graded]
    # What learners see of a quiz's total also follows its feedback policy (after_due).
    learners_see = kind != "quiz" or not quiz_scores_hidden(quiz=item, gate=gate, now=now)

    def result(learner_id: int, mark: ItemMark, shown: bool) -> dict[str, Any]:
        return _learner_result(
            kind=kind, item_id=item.pk, learner_id=learner_id, mark=mark, shown=shown
        )

    everyone = header | {"learners": [result(*pair, shown=True) for pair in graded]}
    subjects = [("results.released", EventSubject(course_id, None, everyone, everyone))]
    for learner_id, mark in graded:
        own = header | {"learners": [result(learner_id, mark, learners_see)]}
        subjects.append(
            ("results.released", EventSubject(course_id, learner_id, own, own, to_teachers=False))
        )
    return subjects
