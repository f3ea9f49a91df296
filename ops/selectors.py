"""What an operator watches, read from the database and the broker on demand.

Read when asked (a Prometheus scrape, the staff page), never kept in a process: every web
process on every host answers the same, whichever worker on whichever host did the work, and
nothing is lost when a process restarts. The gauges (waiting work) are indexed queries of the
record; the counters (outcomes, latency, sweeps) were counted when the work was done
(counters.services), in the transaction that stored it, so a scrape reads a few hundred rows
however large the record grows. They only grow: Prometheus counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.utils import floatToGoString

from counters.selectors import series_read
from counters.services import (
    CODE_SUBMISSION,
    GRADED,
    KINDS,
    LATENCY_BUCKETS,
    QUIZ_ATTEMPT,
    SUBMIT_TO_GRADED,
    SWEEP_REQUEUED,
)
from grader.models import Submission
from quizzes.models import Attempt

BROKER_TIMEOUT = 0.5


def routed_queues() -> list[str]:
    queues = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    return sorted(queues | {settings.CELERY_TASK_DEFAULT_QUEUE})


def queue_depths() -> dict[str, int | None]:
    """Messages waiting in each queue of a Redis broker; None where it cannot be read."""
    from celery import current_app as app

    url: str = app.conf.broker_url or ""
    depths: dict[str, int | None] = dict.fromkeys(routed_queues())
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return depths
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
    )
    try:
        with client.pipeline(transaction=False) as pipe:
            for queue in depths:
                pipe.llen(queue)
            for queue, depth in zip(list(depths), pipe.execute(), strict=True):
                depths[queue] = int(depth)
    except redis.RedisError:
        pass  # shown as unknown
    finally:
        client.close()
    return depths


@dataclass(frozen=True)
class WaitingWork:
    kind: str
    count: int
    oldest_since: datetime | None

    def oldest_seconds(self, now: datetime) -> float:
        return (now - self.oldest_since).total_seconds() if self.oldest_since else 0.0


def waiting_work() -> list[WaitingWork]:
    """Learners' work submitted and not graded yet, and since when the oldest waits."""
    attempts = Attempt.objects.filter(status=Attempt.Status.SUBMITTED).aggregate(
        count=Count("pk"), oldest=Min("submitted_at")
    )
    submissions = Submission.objects.filter(
        status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING]
    ).aggregate(count=Count("pk"), oldest=Min("created_at"))
    return [
        WaitingWork(QUIZ_ATTEMPT, attempts["count"], attempts["oldest"]),
        WaitingWork(CODE_SUBMISSION, submissions["count"], submissions["oldest"]),
    ]


def outcome_counts() -> dict[tuple[str, str], int]:
    """(kind, outcome) -> how many: quiz attempts passed / failed / error; code submissions by
    verdict, or error (an internal error, e.g. the sandbox's). Counted when graded
    (counters.services.grading_count), read here without a look at the record."""
    return {
        (series.labels["kind"], series.labels["outcome"]): series.count
        for series in series_read(name=GRADED)
    }


@dataclass(frozen=True)
class LatencyHistogram:
    kind: str
    buckets: list[tuple[float, int]]  # (upper bound in seconds, how many took at most that)
    count: int
    sum_seconds: float


def latency_histograms() -> list[LatencyHistogram]:
    """Submit -> graded of every graded quiz attempt and code submission: each grading added
    to one bucket (counters.services.grading_count), made cumulative here."""
    found = series_read(name=SUBMIT_TO_GRADED)
    histograms = []
    for kind in KINDS:
        mine = [series for series in found if series.labels["kind"] == kind]
        in_bucket = {series.labels["le"]: series.count for series in mine}
        below = 0
        buckets = []
        for bound in LATENCY_BUCKETS:
            below += in_bucket.get(floatToGoString(bound), 0)
            buckets.append((bound, below))
        histograms.append(
            LatencyHistogram(
                kind=kind,
                buckets=buckets,
                count=sum(series.count for series in mine),
                sum_seconds=sum(series.total for series in mine),
            )
        )
    return histograms


def sweep_finds() -> dict[str, int]:
    """Times the sweeps queued again work that missed its message or its worker, per kind."""
    counts = dict.fromkeys(KINDS, 0)
    for series in series_read(name=SWEEP_REQUEUED):
        counts[series.labels["kind"]] += series.count
    return counts


def workers_seen(*, timeout: float = 1.0) -> dict[str, list[str]]:
    """Workers that answered a ping within `timeout`, and the queues each consumes."""
    from celery import current_app as app

    try:
        inspect = app.control.inspect(timeout=timeout)
        queues = inspect.active_queues() or {}
    except Exception:  # the broker is down: no worker can be seen
        return {}
    return {name: sorted(q["name"] for q in found) for name, found in sorted(queues.items())}


def now() -> datetime:
    return timezone.now()
