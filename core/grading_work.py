"""The one rule for grading work that breaks or stalls, quiz attempts and code submissions
alike (a review found it written twice, the two copies drifting apart):

- an internal error (the grader crashed, the sandbox broke, the grade could not be stored)
  is never the learner's fault: the work is run again, MAX_RUNS times in all, then ends in
  `error`, which costs the learner no attempt;
- work that never finished (a broker lost its message, a worker died) is queued again by
  the periodic sweep; work that a worker took and never finished is given up after
  GRADING_MAX_REQUEUES re-queues rather than fed to worker after worker;
- work a process has claimed carries a lease that the process renews while it runs
  (`lease_kept`) and the name of that process (`process_identity`): a lease that ran out
  is a dead process's (the sweep queues its work again at once); a live one is left alone
  however slow the run, and a process on this machine that is gone (`holder_gone`) has
  no need to be waited out.

Pure of any app: the services pass their rows' facts and what to do with them.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

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


@functools.cache
def _machine() -> str:
    """This kernel's boot and this process's pid namespace: two processes with the same one
    see the same process table, so one can tell whether the other's pid is alive."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:  # not Linux: never judged gone, the lease alone decides
        return ""
    return f"{boot}/{namespace}"


def process_identity() -> str:
    """Who holds a claim: this process, as `holder_gone` can judge it (under 80 characters)."""
    return f"{_machine()}/{os.getpid()}"


def holder_gone(holder: str) -> bool:
    """True when `holder` (a `process_identity`) is known to be dead: a process of this
    machine and pid namespace that no longer exists, or this very process (which runs one
    piece of work at a time, so a claim it still holds was abandoned: a time limit stopped
    the run). False when it cannot tell (another machine): its lease decides."""
    machine, _, pid = holder.rpartition("/")
    if not machine or machine != _machine() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


@contextlib.contextmanager
def lease_kept(renew: Callable[[], bool], *, every: float, what: str) -> Iterator[None]:
    """Call `renew` every `every` seconds on a thread of its own while the block runs: the
    heartbeat of a claim. `renew` returns False once the claim is no longer this run's (the
    sweep judged it dead and queued it again: its grade will not be stored); the renewals
    stop then. A renewal that fails (the database away for a moment) is tried again at the
    next beat. Its database connection is the thread's own, closed when it ends."""
    stop = threading.Event()

    def beat() -> None:
        from django.db import connections

        try:
            while not stop.wait(every):
                try:
                    if not renew():
                        logger.warning("%s: the claim was taken over; renewals stop", what)
                        return
                except Exception:
                    logger.warning("%s: renewing the claim failed", what, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name="claim-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()  # not joined: a renewal under way ends on its own, and finds nothing
