"""Counters added to in the caller's transaction: a rollback counts nothing, and processes
adding at once lose nothing, from the row's first add on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from counters.models import Counter
from counters.selectors import series_read
from counters.services import (
    GRADED,
    INF,
    QUIZ_ATTEMPT,
    SUBMIT_TO_GRADED,
    Increment,
    counters_add,
    grading_count,
    labels_key,
    latency_bucket,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREADS, ADDS = 4, 40
PASSED = labels_key({"kind": QUIZ_ATTEMPT, "outcome": "passed"})


@pytest.mark.parametrize(
    ("seconds", "le"),
    [(-1.0, "0.1"), (0.1, "0.1"), (0.1001, "0.25"), (1, "1.0"), (600, "600.0"), (600.5, INF)],
)
def test_a_duration_goes_to_the_first_bucket_it_fits(seconds, le):
    assert latency_bucket(seconds) == le


def test_a_rolled_back_grading_counts_nothing(counted):
    def counted_then_rolled_back() -> None:
        with transaction.atomic():
            grading_count(kind=QUIZ_ATTEMPT, outcome="passed", seconds=0.3)
            raise RuntimeError("the grade's transaction failed")

    with pytest.raises(RuntimeError):
        counted_then_rolled_back()
    grading_count(kind=QUIZ_ATTEMPT, outcome="passed", seconds=0.3)

    assert counted(GRADED, kind=QUIZ_ATTEMPT, outcome="passed") == 1
    assert counted(SUBMIT_TO_GRADED, kind=QUIZ_ATTEMPT, le="0.5") == 1


def _add_many(start: threading.Barrier) -> None:
    try:
        start.wait()
        for _ in range(ADDS):
            with transaction.atomic():
                counters_add(increments=[Increment(GRADED, PASSED, 1, 0.5)])
    finally:
        connection.close()


def test_concurrent_adds_to_one_row_are_not_lost_nor_is_its_first():
    # given no row yet, and threads of one process (one pid: one shard, the hot row)
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(_add_many, start) for _ in range(THREADS)]:
            future.result()

    row = Counter.objects.get(name=GRADED)
    assert (row.count, row.total) == (THREADS * ADDS, THREADS * ADDS * 0.5)


def test_a_series_is_the_sum_of_its_shards():
    for shard in range(3):
        counters_add(increments=[Increment(GRADED, PASSED, shard + 1, 0.25)], shard=shard)

    [series] = series_read(name=GRADED)

    assert (series.labels, series.count, series.total) == (
        {"kind": QUIZ_ATTEMPT, "outcome": "passed"}, 6, 0.75,
    )  # fmt: skip
    assert Counter.objects.count() == 3
