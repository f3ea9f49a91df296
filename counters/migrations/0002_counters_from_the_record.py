"""The counters start from the record: what /metrics computed from it before (so totals do
not drop to zero on upgrade), in one aggregate query per metric and kind.

Written out here, not imported: a migration must compute what it computed the day it was
written. Gradings that workers of the release before finish after this runs are not counted
(they do not know the counters): restart the workers right after the migration (docs/deploy.md).
"""

import json
from datetime import timedelta

from django.db import migrations
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from prometheus_client.utils import floatToGoString

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 120, 300, 600)


def labels_key(**labels):
    return json.dumps(dict(sorted(labels.items())), separators=(",", ":"))


def outcome_counts(apps):
    Attempt = apps.get_model("quizzes", "Attempt")
    Submission = apps.get_model("grader", "Submission")
    counts = {}
    rows = (
        Attempt.objects.filter(status__in=["graded", "error"])
        .values("status", "passed", "awaiting_manual_grading")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        if row["status"] == "error":
            outcome = "error"
        elif row["awaiting_manual_grading"]:
            outcome = "awaiting_manual_grading"
        else:
            outcome = "passed" if row["passed"] else "failed"
        key = ("quiz_attempt", outcome)
        counts[key] = counts.get(key, 0) + row["n"]
    for status, verdict, n in (
        Submission.objects.filter(status__in=["graded", "error"])
        .values_list("status", "verdict")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        key = ("code_submission", "error" if status == "error" else verdict or "none")
        counts[key] = counts.get(key, 0) + n
    return counts


def latency_histograms(apps):
    """kind -> ([how many took at most each bound, cumulative], count, seconds in all)."""
    histograms = {}
    for kind, model, start in (
        ("quiz_attempt", apps.get_model("quizzes", "Attempt"), "submitted_at"),
        ("code_submission", apps.get_model("grader", "Submission"), "created_at"),
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
        below = [result[f"le_{i}"] for i in range(len(LATENCY_BUCKETS))]
        total = result["total"]
        histograms[kind] = (below, result["count"], total.total_seconds() if total else 0.0)
    return histograms


def sweep_finds(apps):
    return {
        kind: apps.get_model(app, model).objects.aggregate(n=Sum("requeues"))["n"] or 0
        for kind, app, model in (
            ("quiz_attempt", "quizzes", "Attempt"),
            ("code_submission", "grader", "Submission"),
        )
    }


def counter_rows(apps):
    """(name, labels, count, total) of every series the record already holds."""
    rows = []
    for (kind, outcome), n in outcome_counts(apps).items():
        rows.append(("zachet_graded", labels_key(kind=kind, outcome=outcome), n, 0.0))
    for kind, (below, count, seconds) in latency_histograms(apps).items():
        # Cumulative counts back to one count per bucket (a grading adds to one bucket).
        previous = 0
        for bound, cumulative in zip(LATENCY_BUCKETS, below, strict=True):
            le = floatToGoString(bound)
            rows.append(("zachet_submit_to_graded_seconds", labels_key(kind=kind, le=le),
                         cumulative - previous, 0.0))  # fmt: skip
            previous = cumulative
        # The sum of all durations goes with the last bucket: a scrape sums every bucket's.
        rows.append(("zachet_submit_to_graded_seconds", labels_key(kind=kind, le="+Inf"),
                     count - previous, seconds))  # fmt: skip
    for kind, n in sweep_finds(apps).items():
        rows.append(("zachet_sweep_requeued", labels_key(kind=kind), n, 0.0))
    return [row for row in rows if row[2] or row[3]]


def counters_from_the_record(apps, schema_editor):
    Counter = apps.get_model("counters", "Counter")
    Counter.objects.bulk_create(
        Counter(name=name, labels=labels, shard=0, count=count, total=total)
        for name, labels, count, total in counter_rows(apps)
    )


def counters_forget(apps, schema_editor):
    apps.get_model("counters", "Counter").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("counters", "0001_counters"),
        ("grader", "0014_submission_gradings"),
        ("quizzes", "0011_results_release_at_help_text"),
    ]

    operations = [migrations.RunPython(counters_from_the_record, counters_forget)]
