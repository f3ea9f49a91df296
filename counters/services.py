"""Adding to counters, in the caller's transaction: a grade rolled back is not counted.

One statement per event (an INSERT ... ON CONFLICT DO UPDATE of every row it adds to, on
PostgreSQL and SQLite alike), so a missing row is made safely by whichever process comes
first, and nothing is read back. Each process adds to the shard its pid picks: 2-4 workers
grading at once hold different rows' locks until their commits, not one hot row's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import connection
from prometheus_client.utils import floatToGoString

from counters.models import Counter

# The series ops.metrics exposes (Prometheus adds `_total` to a counter's name).
GRADED = "zachet_graded"
SUBMIT_TO_GRADED = "zachet_submit_to_graded_seconds"
SWEEP_REQUEUED = "zachet_sweep_requeued"

QUIZ_ATTEMPT = "quiz_attempt"
CODE_SUBMISSION = "code_submission"
KINDS = (QUIZ_ATTEMPT, CODE_SUBMISSION)
# Upper bounds (seconds) of submit -> graded: quiz feedback is meant to be sub-second, a code
# run takes seconds, a recovery by the sweep a minute or more.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 120, 300, 600)
INF = "+Inf"
# Rows per series: more than the processes that grade on one host, few enough that a scrape
# reads a few hundred rows in all.
SHARDS = 8


def labels_key(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(labels.items())), separators=(",", ":"))


def latency_bucket(seconds: float) -> str:
    """The `le` of the one bucket a duration is added to (the scrape makes them cumulative)."""
    for bound in LATENCY_BUCKETS:
        if seconds <= bound:
            return floatToGoString(bound)
    return INF


@dataclass(frozen=True)
class Increment:
    name: str
    labels: str  # labels_key
    count: int
    total: float = 0.0


_TABLE = Counter._meta.db_table


def counters_add(*, increments: Sequence[Increment], shard: int | None = None) -> None:
    """Add to each series, in one statement. Rows are written in one order (name, labels), so
    two transactions that add to the same rows cannot deadlock."""
    if not increments:
        return
    shard = os.getpid() % SHARDS if shard is None else shard
    params: list[str | int | float] = []
    for step in sorted(increments, key=lambda i: (i.name, i.labels)):
        params += [step.name, step.labels, shard, step.count, step.total]
    rows = ", ".join(["(%s, %s, %s, %s, %s)"] * len(increments))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} (name, labels, shard, count, total) VALUES {rows} "  # noqa: S608 - the table's name from model meta
            f"ON CONFLICT (name, labels, shard) DO UPDATE SET "
            f"count = {_TABLE}.count + excluded.count, total = {_TABLE}.total + excluded.total",
            params,
        )


def grading_count(*, kind: str, outcome: str, seconds: float | None) -> None:
    """A grade (or an error) stored: its outcome and, where known, submit -> graded."""
    increments = [Increment(GRADED, labels_key({"kind": kind, "outcome": outcome}), 1)]
    if seconds is not None:
        le = latency_bucket(seconds)
        increments.append(
            Increment(SUBMIT_TO_GRADED, labels_key({"kind": kind, "le": le}), 1, seconds)
        )
    counters_add(increments=increments)


def sweep_requeue_count(*, kind: str, requeues: int = 1) -> None:
    if requeues:
        counters_add(increments=[Increment(SWEEP_REQUEUED, labels_key({"kind": kind}), requeues)])
