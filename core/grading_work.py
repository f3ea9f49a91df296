"""The one rule for grading work that breaks or stalls, quiz attempts and code submissions
alike (a review found it written twice, the two copies drifting apart):

- an internal error (the grader crashed, the sandbox broke, the grade could not be stored)
  is never the learner's fault: the work is run again, MAX_RUNS times in all, then ends in
  `error`, which costs the learner no attempt;
- work that never finished (a broker lost its message, a worker died) is queued again by
  the periodic sweep; work that a worker took and never finished is given up after
  GRADING_MAX_REQUEUES re-queues rather than fed to worker after worker.

Pure of any app: the services pass their rows' facts and what to do with them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MAX_RUNS = 3


def run_again_after_internal_error(*, runs: int) -> bool:
    """`runs`: the runs that ended in an internal error so far, this one included."""
    return runs < MAX_RUNS


@dataclass(frozen=True)
class StuckWork:
    id: int
    # A worker took it and never finished (counts towards giving up); else it is waiting
    # for a broker or behind a backlog, which never gives up.
    abandoned: bool
    requeues: int


def stuck_work_requeue(
    *,
    stuck: Iterable[StuckWork],
    queue: Callable[[StuckWork], bool],
    give_up: Callable[[StuckWork, str], bool],
    max_requeues: int,
    what: str,
) -> int:
    """Queue again each piece of stuck work, or give it up; the number queued.

    `queue` sends it (False: the broker is down, so the sweep stops until next time) and
    records the re-queue; `give_up(work, reason)` ends it in `error` with the reason for the
    instructor (False if it finished meanwhile). `what` names one piece ("submission"), for
    the log."""
    stuck = list(stuck)
    queued = given_up = 0
    for work in stuck:
        if work.abandoned and work.requeues >= max_requeues:
            reason = (
                f"grading was started {work.requeues + 1} times and never finished (the worker "
                "died or was stopped each time); given up, not charged to the learner"
            )
            if give_up(work, reason):
                given_up += 1
                logger.error("%s %s: %s", what, work.id, reason)
            continue
        if not queue(work):
            break
        queued += 1
    if stuck:
        logger.info("re-queued %s of %s stuck %ss", queued, len(stuck), what)
    if given_up:
        logger.error(
            "gave up %s %ss that never finished after %s re-queues", given_up, what, max_requeues
        )
    return queued
