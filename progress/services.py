"""Writes of learner progress: enrolment, item results, section completion, reconciliation.

Grading services call `item_record` inside their grading transaction, so a grade
and the progress it implies commit together. Section rows are recomputed from
item rows under a row lock, so two gradings finishing items of the same section
at the same moment cannot overwrite each other's count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from core.queueing import enqueue
from courses.models import Course, Section
from progress.items import ItemKind, ItemRef, item_kind, item_kinds
from progress.models import Enrollment, ItemCompletion, SectionProgress
from webhooks.services import event_emit

logger = logging.getLogger(__name__)


def enrollment_create(*, learner: User, course: Course) -> Enrollment:
    enrollment, _created = Enrollment.objects.get_or_create(learner=learner, course=course)
    return enrollment


# item_record and section_progress_refresh run on every grading, inside its
# transaction. They are hand-written SQL (standard enough for PostgreSQL and
# SQLite) because the ORM's per-statement overhead showed up: with ORM
# statements, progress cost ~5 ms of a ~12 ms quiz grading (bench/quiz.py).
_ITEMS = ItemCompletion._meta.db_table
_SECTION_ROWS = SectionProgress._meta.db_table


@transaction.atomic(savepoint=False)
def item_record(
    *,
    learner_id: int,
    section_id: int,
    item: ItemRef,
    complete: bool,
    score: Decimal | None,
) -> SectionProgress:
    """Store what a grading computed: whether the learner has completed the item, and its
    score; refresh the section.

    Called inside the grading transaction (savepoint=False: no savepoint round
    trips on the grading's hot path; an error rolls the whole grading back).
    """
    target = item_kind(item.kind).column  # the other kinds' columns stay NULL
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    upsert = (
        f"INSERT INTO {_ITEMS} (learner_id, section_id, {target}, complete, score, updated_at) "  # noqa: S608 - names from model meta
        f"VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (learner_id, {target}) DO UPDATE SET section_id = excluded.section_id, "
        f"complete = excluded.complete, score = excluded.score, "
        f"updated_at = excluded.updated_at"
    )  # fmt: skip
    params = [learner_id, section_id, item.id, complete,
              connection.ops.adapt_decimalfield_value(score, 7, 2), now]  # fmt: skip
    if connection.vendor == "postgresql":
        # One round trip: the upsert runs as a data-modifying WITH of the section's locking
        # SELECT (PostgreSQL runs it to completion whether or not the SELECT reads it).
        return section_progress_refresh(
            learner_id=learner_id, section_id=section_id, first=(upsert, params)
        )
    with connection.cursor() as cursor:
        cursor.execute(upsert, params)
    return section_progress_refresh(learner_id=learner_id, section_id=section_id)


@transaction.atomic(savepoint=False)
def section_progress_refresh(
    *,
    learner_id: int,
    section_id: int,
    now: datetime | None = None,
    first: tuple[str, list[Any]] | None = None,
) -> SectionProgress:
    """Recompute a learner's section row from the item rows, under its row lock.

    `first`: a data-modifying statement (PostgreSQL) to run in the locking SELECT's round
    trip, as its WITH."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    select = (
        f"SELECT id, items_complete, items_total, completed, completed_at, material_read_at, "  # noqa: S608 - names from model meta
        f"reopened_at "
        f"FROM {_SECTION_ROWS} WHERE learner_id = %s AND section_id = %s{lock}"
    )
    moment = now or timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(moment)
    with connection.cursor() as cursor:
        # The one lock of progress: counting happens after taking it, so a
        # concurrent grading of another item of this section either committed
        # before (and is counted) or waits here and counts ours. The counts are a
        # separate, later statement on purpose: subqueries inside the locking
        # SELECT would use the snapshot from before the wait.
        if first is None:
            cursor.execute(select, [learner_id, section_id])
        else:
            statement, params = first
            cursor.execute(
                f"WITH first AS ({statement} RETURNING 1) {select}",
                [*params, learner_id, section_id],
            )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"INSERT INTO {_SECTION_ROWS} (learner_id, section_id, items_complete, "  # noqa: S608 - names from model meta
                f"items_total, completed, updated_at) VALUES (%s, %s, 0, 0, %s, %s) "
                f"ON CONFLICT (learner_id, section_id) DO NOTHING",
                [learner_id, section_id, False, stamp],
            )
            cursor.execute(select, [learner_id, section_id])
            row = cursor.fetchone()
        row_id, had_complete, had_total, was_completed, completed_at, read_at, reopened_at = row
        reopened_now = False
        # Items count while they are required (a quiz; a published exercise) and where they
        # are now (an item row keeps the section it was graded in until repaired). Counted
        # from the section's items, so the cost is the section's size, not the learner's
        # whole course (the unique (learner, quiz / exercise) indexes).
        counting, kinds = _counting_sql()
        cursor.execute(counting, [section_id] * len(kinds) + [learner_id, section_id] * len(kinds))
        total, complete = cursor.fetchone()
        completed = complete == total if total else read_at is not None
        if (had_complete, had_total, bool(was_completed)) != (complete, total, completed):
            if completed and not was_completed:
                completed_at = stamp
                event_emit(event="section.completed", object_id=row_id)  # webhooks, after commit
            elif not completed:
                completed_at = None
            if completed:
                reopened_at = None
            elif was_completed and total > had_total:
                # New work reopened a completed section (not a grade that went down):
                # remembered so that the pages can say why.
                reopened_at = stamp
                reopened_now = True
            cursor.execute(
                f"UPDATE {_SECTION_ROWS} SET items_complete = %s, items_total = %s, "  # noqa: S608 - names from model meta
                f"completed = %s, completed_at = %s, reopened_at = %s, updated_at = %s "
                f"WHERE id = %s",
                [complete, total, completed, completed_at, reopened_at, stamp, row_id],
            )
    # What the row now says (no extra query; timestamps left out unless just set).
    return SectionProgress(
        id=row_id, learner_id=learner_id, section_id=section_id, items_complete=complete,
        items_total=total, completed=completed,
        completed_at=moment if completed and not was_completed else None,
        reopened_at=moment if reopened_now else None,
    )  # fmt: skip


@transaction.atomic
def section_mark_read(*, learner: User, section: Section) -> SectionProgress:
    """The learner read the material: this completes a section that has no items."""
    SectionProgress.objects.bulk_create(
        [SectionProgress(learner=learner, section=section)], ignore_conflicts=True
    )
    SectionProgress.objects.filter(
        learner=learner, section=section, material_read_at__isnull=True
    ).update(material_read_at=timezone.now())
    return section_progress_refresh(learner_id=learner.pk, section_id=section.pk)


def _counting_sql() -> tuple[str, list[ItemKind]]:
    """SELECT (items to complete), (of them complete): one subquery per kind of item."""
    if _COUNTING:
        return _COUNTING[0]
    kinds = item_kinds()

    def counted(kind: ItemKind, alias: str) -> str:
        return f" AND {alias}.{kind.counted_field}" if kind.counted_field else ""

    total = " + ".join(
        f"(SELECT COUNT(*) FROM {k.table} t WHERE t.section_id = %s{counted(k, 't')})"  # noqa: S608 - names from model meta
        for k in kinds
    )
    complete = " + ".join(
        f"(SELECT COUNT(*) FROM {k.table} t JOIN {_ITEMS} i ON i.{k.column} = t.id "  # noqa: S608 - names from model meta
        f"AND i.learner_id = %s AND i.complete WHERE t.section_id = %s{counted(k, 't')})"
        for k in kinds
    )
    _COUNTING.append((f"SELECT {total}, {complete}", kinds))
    return _COUNTING[0]


_COUNTING: list[tuple[str, list[ItemKind]]] = []


@dataclass(frozen=True)
class Reconciliation:
    items_checked: int
    items_fixed: int
    sections_checked: int
    sections_fixed: int


def progress_reconcile() -> Reconciliation:
    """Recompute every item and section row from the grades; repair and log any drift."""
    items_checked = 0
    items_fixed = item_sections_repair()  # results of moved quizzes and exercises
    sections: set[tuple[int, int]] = set()
    for kind in item_kinds():
        stored = {
            (learner_id, item_id): (complete, score)
            for learner_id, item_id, complete, score in ItemCompletion.objects.filter(
                **{f"{kind.name}__isnull": False}
            ).values_list("learner_id", kind.column, "complete", "score")
        }
        for grade in sorted(kind.grades(), key=lambda g: (g.learner_id, g.item_id)):
            items_checked += 1
            if stored.get((grade.learner_id, grade.item_id)) != (grade.complete, grade.score):
                items_fixed += 1
                item_record(
                    learner_id=grade.learner_id, section_id=grade.section_id,
                    item=ItemRef(kind.name, grade.item_id), complete=grade.complete,
                    score=grade.score,
                )  # fmt: skip
            sections.add((grade.learner_id, grade.section_id))
    sections |= set(SectionProgress.objects.values_list("learner_id", "section_id"))
    sections_fixed = _sections_refresh(sorted(sections))
    result = Reconciliation(items_checked, items_fixed, len(sections), sections_fixed)
    if items_fixed or sections_fixed:
        logger.warning("progress reconciliation fixed drift: %s", result)
    else:
        logger.info("progress reconciliation: no drift (%s)", result)
    return result


def _sections_refresh(pairs: Iterable[tuple[int, int]]) -> int:
    """Recompute the (learner id, section id) rows, each in its own short transaction; the
    number whose counts or completion changed."""
    changed = 0
    for learner_id, section_id in pairs:
        before = (
            SectionProgress.objects.filter(learner_id=learner_id, section_id=section_id)
            .values_list("items_complete", "items_total", "completed")
            .first()
        )
        after = section_progress_refresh(learner_id=learner_id, section_id=section_id)
        if before != (after.items_complete, after.items_total, after.completed):
            changed += 1
    return changed


# --- a section's items changed ---------------------------------------------------------
# A quiz added, deleted or moved, or an exercise published, unpublished, deleted or moved,
# changes what every learner of its section must complete: the authoring services
# (quizzes.authoring, grader.services) wrap their writes in `item_placement_watch`. Rows count
# items by where each quiz or exercise is now, not by the item row's own section_id, so a
# grading racing a move cannot put a result back in the old section; that column (which
# the gradebook reads) is repaired here and by the reconciliation.


def sections_refresh(*, section_ids: Iterable[int], wait_for_checks: bool = True) -> int | None:
    """Recompute every learner's row of these sections, including learners with results
    there but no row yet; the number of rows that changed.

    None, without doing anything, while an exercise of these sections is being checked
    (`wait_for_checks`): an edit unpublishes it until its check publishes it again, and
    counting it out meanwhile would complete sections (and send section.completed) for
    a minute. The task tries again later."""
    ids = sorted(set(section_ids))
    if wait_for_checks and any(kind.busy(ids) for kind in item_kinds()):
        return None
    item_sections_repair(section_ids=ids)
    pairs = set(
        SectionProgress.objects.filter(section_id__in=ids).values_list("learner_id", "section_id")
    )
    for kind in item_kinds():
        counted = {f"{kind.name}__{kind.counted_field}": True} if kind.counted_field else {}
        pairs |= set(
            ItemCompletion.objects.filter(
                **{f"{kind.name}__section_id__in": ids}, **counted
            ).values_list("learner_id", f"{kind.name}__section_id")
        )
    changed = _sections_refresh(sorted(pairs, key=lambda pair: (pair[1], pair[0])))
    if changed:
        logger.info("section items changed: %d learners' section rows updated", changed)
    return changed


def item_sections_repair(*, section_ids: Iterable[int] | None = None) -> int:
    """Item rows whose quiz or exercise has moved (to one of `section_ids`, or anywhere)
    get its section; the number repaired."""
    repaired = 0
    for kind in item_kinds():
        item = kind.name
        rows = ItemCompletion.objects.filter(**{f"{item}__isnull": False}).exclude(
            section_id=F(f"{item}__section_id")
        )
        if section_ids is not None:
            rows = rows.filter(**{f"{item}__section_id__in": list(section_ids)})
        current = kind.model._default_manager.filter(pk=OuterRef(kind.column)).values("section_id")[
            :1
        ]
        repaired += rows.update(section_id=Subquery(current), updated_at=timezone.now())
    return repaired


# Where an item is: (its section's id, whether it counts towards completion there).
Placement = tuple[int, bool]


@contextmanager
def item_placement_watch(placement: Callable[[], Placement | None]) -> Iterator[None]:
    """Around an authoring service's writes to one item: `placement` (read from the database)
    before and after them, and the sections whose items changed refreshed after the commit.
    The services that add, move, publish or delete quizzes and exercises call this; nothing
    listens to saves (the hourly reconciliation repairs rows a raw ORM write left stale)."""
    before = placement()
    yield
    item_placement_changed(before=before, after=placement())


def item_placement_changed(*, before: Placement | None, after: Placement | None) -> None:
    """An item was added (no `before`), moved, published or unpublished, or deleted (no
    `after`): the sections whose items to complete changed are refreshed after the commit.
    A title, a rule, a statement changes nothing here."""
    if before == after:
        return
    sections = {section for section, counted in filter(None, (before, after)) if counted}
    if before is not None and after is not None and before[0] != after[0]:
        sections |= {before[0], after[0]}  # (the item rows follow in the task)
    if sections:
        sections_refresh_after_commit(sections)


def sections_refresh_after_commit(section_ids: Iterable[int]) -> None:
    """Queue `sections_refresh` once the caller's transaction commits: one task for all the
    sections a transaction changes (an import or a cascade saves many items). A broker that
    is down loses nothing: the hourly reconciliation recomputes every row."""
    connection = transaction.get_connection()
    pending: set[int] = connection.__dict__.setdefault("zachet_sections_to_refresh", set())
    pending.update(section_ids)
    # Each call registers a callback (a rolled-back savepoint drops its own); the first to
    # run after the commit queues every section gathered, the others find nothing left.
    # (After a rollback the gathered ids wait for the next commit: one refresh too many.)
    transaction.on_commit(lambda: _sections_refresh_queue(pending))


def _sections_refresh_queue(pending: set[int]) -> None:
    from progress.tasks import refresh_sections_task

    ids = sorted(pending)
    pending.clear()
    if ids:
        enqueue(refresh_sections_task, ids, what=f"the progress of sections {ids}")


# --- an item's exam mode changed ---------------------------------------------------------
# Handed-in work counts as done while an item's results are held (deadlines.policy
# .counts_complete): turning exam mode on or off, or moving the release date, changes what
# its learners have completed. The services that write dates tell deadlines.changes, which
# tells us; the learners are recounted by a task, after the commit, not by the hourly
# reconciliation.

# Where the items below a row of each level are.
_ITEMS_BELOW = {
    "course": "section__part__course_id",
    "part": "section__part_id",
    "section": "section_id",
}


def results_rule_changed(model: type[models.Model], pk: int) -> None:
    """deadlines.changes' listener: queue the recount of the items of (or below) the row once
    the caller's transaction commits. A broker that is down loses nothing: the hourly
    reconciliation recounts every row."""
    level = model._meta.model_name or ""
    transaction.on_commit(lambda: _results_recount_queue(level, pk))


def _results_recount_queue(level: str, pk: int) -> None:
    from progress.tasks import recount_items_task

    enqueue(recount_items_task, level, pk, what=f"the progress of the items of {level} {pk}")


def items_recount(*, level: str, pk: int) -> int:
    """Recount the learners with work on one quiz or exercise (`level` is its model's name):
    how many. For a course, part or section, one task per item below it is queued instead
    (each item's learners fit in a task's time limit, a whole course's may not): how many."""
    kinds = [kind for kind in item_kinds() if kind.recount is not None]
    for kind in kinds:
        if kind.model._meta.model_name == level and kind.recount is not None:
            return kind.recount(pk)
    if level not in _ITEMS_BELOW:
        return 0
    queued = 0
    for kind in kinds:
        item_level = kind.model._meta.model_name or ""
        for item_id in (
            kind.model._default_manager.filter(**{_ITEMS_BELOW[level]: pk})
            .order_by("pk")
            .values_list("pk", flat=True)
        ):
            _results_recount_queue(item_level, item_id)
            queued += 1
    return queued
