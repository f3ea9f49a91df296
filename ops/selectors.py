"""What an operator watches, read from the record (the database) and the broker on demand.

Computed when asked (a Prometheus scrape, the staff page), never kept in a process: every
web process on every host answers the same, whichever worker on whichever host did the work,
and nothing is lost when a process restarts. The counts only grow (rows are kept), so
Prometheus can treat them as counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone

from grader.models import Submission
from quizzes.models import Attempt

QUIZ_ATTEMPT = "quiz_attempt"
CODE_SUBMISSION = "code_submission"
KINDS = (QUIZ_ATTEMPT, CODE_SUBMISSION)
# Upper bounds (seconds) of submit -> graded: quiz feedback is meant to be sub-second, a code
# run takes seconds, a recovery by the sweep a minute or more.
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 120, 300, 600)
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
    """(kind, outcome) -> how many: quiz attempts passed / failed / awaiting manual grading /
    error; code submissions by verdict, or error (an internal error, e.g. the sandbox's)."""
    counts: dict[tuple[str, str], int] = {}
    rows = (
        Attempt.objects.filter(status__in=[Attempt.Status.GRADED, Attempt.Status.ERROR])
        .values("status", "passed", "awaiting_manual_grading")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        if row["status"] == Attempt.Status.ERROR:
            outcome = "error"
        elif row["awaiting_manual_grading"]:
            outcome = "awaiting_manual_grading"
        else:
            outcome = "passed" if row["passed"] else "failed"
        counts[(QUIZ_ATTEMPT, outcome)] = counts.get((QUIZ_ATTEMPT, outcome), 0) + row["n"]
    for status, verdict, n in (
        Submission.objects.filter(status__in=[Submission.Status.GRADED, Submission.Status.ERROR])
        .values_list("status", "verdict")
        .annotate(n=Count("pk"))
    ):
        outcome = "error" if status == Submission.Status.ERROR else verdict or "none"
        counts[(CODE_SUBMISSION, outcome)] = counts.get((CODE_SUBMISSION, outcome), 0) + n
    return counts


@dataclass(frozen=True)
class LatencyHistogram:
    kind: str
    buckets: list[tuple[float, int]]  # (upper bound in seconds, how many took at most that)
    count: int
    sum_seconds: float


def latency_histograms() -> list[LatencyHistogram]:
    """Submit -> graded of every graded quiz attempt and code submission, in one query each."""
    histograms = []
    for kind, model, start in (
        (QUIZ_ATTEMPT, Attempt, "submitted_at"),
        (CODE_SUBMISSION, Submission, "created_at"),
    ):
        took = ExpressionWrapper(F("graded_at") - F(start), output_field=DurationField())
        rows = model.objects.filter(graded_at__isnull=False, **{f"{start}__isnull": False})
        aggregates = {
            f"le_{i}": Count("pk", filter=Q(took__lte=timedelta(seconds=bound)))
            for i, bound in enumerate(LATENCY_BUCKETS)
        }
        result = rows.annotate(took=took).aggregate(
            count=Count("pk"), total=Sum("took"), **aggregates
        )
        total: timedelta | None = result["total"]
        histograms.append(
            LatencyHistogram(
                kind=kind,
                buckets=[(b, result[f"le_{i}"]) for i, b in enumerate(LATENCY_BUCKETS)],
                count=result["count"],
                sum_seconds=total.total_seconds() if total else 0.0,
            )
        )
    return histograms


def sweep_finds() -> dict[str, int]:
    """Times the sweeps queued again work that missed its message or its worker, per kind."""
    return {
        QUIZ_ATTEMPT: Attempt.objects.aggregate(n=Sum("requeues"))["n"] or 0,
        CODE_SUBMISSION: Submission.objects.aggregate(n=Sum("requeues"))["n"] or 0,
    }


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
