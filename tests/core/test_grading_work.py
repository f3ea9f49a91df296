"""core.grading_work: the one rule for broken and stalled grading work (attempts, submissions)."""

from __future__ import annotations

import logging

from core.grading_work import (
    MAX_RUNS,
    StuckWork,
    run_again_after_internal_error,
    stuck_work_requeue,
)


def test_an_internal_error_runs_again_until_the_last_run():
    assert [run_again_after_internal_error(runs=n) for n in range(1, MAX_RUNS + 1)] == [
        *[True] * (MAX_RUNS - 1),
        False,
    ]


def sweep(stuck, *, broker_up=True, max_requeues=5):
    queued, given_up = [], []

    def queue(work):
        if broker_up:
            queued.append(work.id)
        return broker_up

    def give_up(work, reason):
        assert "never finished" in reason
        given_up.append(work.id)
        return True

    count = stuck_work_requeue(
        stuck=stuck, queue=queue, give_up=give_up, max_requeues=max_requeues, what="thing"
    )
    return count, queued, given_up


def test_abandoned_work_is_given_up_after_the_limit_and_waiting_work_never(caplog):
    stuck = [
        StuckWork(1, abandoned=True, requeues=4),
        StuckWork(2, abandoned=True, requeues=5),  # taken five times, never finished
        StuckWork(3, abandoned=False, requeues=50),  # behind a backlog: never given up
    ]
    with caplog.at_level(logging.INFO):
        assert sweep(stuck) == (2, [1, 3], [2])
    assert "gave up 1 things" in caplog.text
    # Regression (issue 14 review): it read "things 2: ...", one piece of work named plural.
    assert "thing 2: grading was started 6 times and never finished" in caplog.text
    assert "things 2" not in caplog.text


def test_a_broker_that_is_down_stops_the_sweep_and_loses_nothing():
    stuck = [StuckWork(1, abandoned=False, requeues=0), StuckWork(2, abandoned=False, requeues=0)]
    assert sweep(stuck, broker_up=False) == (0, [], [])
