"""Counters kept as events happen (a grade stored, a sweep's re-queue), so that reading them
costs a few hundred rows, whatever the size of the record (ops.metrics reads them)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    """One shard of one labelled series: the series' value is the sum over its shards.

    Each process adds to its own shard (counters.services), so workers grading at once do
    not queue behind one row lock. `count` only grows; `total` is the sum of what a
    histogram observed (seconds), 0 for a plain counter."""

    name = models.CharField(_("name"), max_length=100)
    # The labels as canonical JSON ({"kind": "quiz_attempt", "outcome": "passed"}, keys sorted).
    labels = models.CharField(_("labels"), max_length=300, blank=True)
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    count = models.BigIntegerField(_("count"), default=0)
    total = models.FloatField(_("total"), default=0.0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        constraints = [
            models.UniqueConstraint(fields=["name", "labels", "shard"], name="counter_series_shard")
        ]

    def __str__(self) -> str:
        return f"{self.name}{self.labels} [{self.shard}] = {self.count}"
