"""Reading counters: one query over a series' shards, whatever the size of the record."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db.models import Sum

from counters.models import Counter


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    count: int
    total: float


def series_read(*, name: str) -> list[Series]:
    """Every labelled series of a counter, its shards summed."""
    rows = (
        Counter.objects.filter(name=name)
        .values("labels")
        .annotate(n=Sum("count"), t=Sum("total"))
        .order_by("labels")
    )
    return [Series(json.loads(row["labels"]), int(row["n"]), float(row["t"])) for row in rows]
