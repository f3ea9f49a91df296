"""The exam-mode page of a course: its quizzes and exercises whose scores and feedback are
held ("submitted" only), when each is released, and a button to release one now (recorded:
who, when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from courses.models import Course
from deadlines.selectors import ResultsGate, item_results_gate
from teaching.selectors import course_items


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
