"""Prometheus metrics, read on each scrape from the database and the broker (ops.selectors):
the gauges by indexed queries, the counters from the rows counters.services adds to.

Every web process answers for the whole installation (all hosts' workers write to the same
database), so Prometheus may scrape any one of them through the load balancer: no
multiprocess directory, no metrics lost when a worker process is replaced.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from ops import selectors


class ZachetCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = selectors.now()
        depth = GaugeMetricFamily(
            "zachet_queue_depth", "Messages waiting in the broker's queue.", labels=["queue"]
        )
        for queue, messages in selectors.queue_depths().items():
            if messages is not None:
                depth.add_metric([queue], messages)
        yield depth

        waiting = GaugeMetricFamily(
            "zachet_waiting_work", "Learners' work submitted and not graded yet.", labels=["kind"]
        )
        oldest = GaugeMetricFamily(
            "zachet_oldest_waiting_seconds",
            "How long the oldest work not graded yet has waited.",
            labels=["kind"],
        )
        for work in selectors.waiting_work():
            waiting.add_metric([work.kind], work.count)
            oldest.add_metric([work.kind], work.oldest_seconds(now))
        yield waiting
        yield oldest

        outcomes = CounterMetricFamily(
            "zachet_graded",
            "Gradings by outcome: quiz attempts passed/failed/error, code submissions by verdict"
            " or error (internal, e.g. the sandbox's).",
            labels=["kind", "outcome"],
        )
        for (kind, outcome), count in sorted(selectors.outcome_counts().items()):
            outcomes.add_metric([kind, outcome], count)
        yield outcomes

        latency = HistogramMetricFamily(
            "zachet_submit_to_graded_seconds",
            "Seconds from a learner's submit to the grade.",
            labels=["kind"],
        )
        for histogram in selectors.latency_histograms():
            buckets = [(floatToGoString(bound), count) for bound, count in histogram.buckets]
            latency.add_metric(
                [histogram.kind], [*buckets, ("+Inf", histogram.count)], histogram.sum_seconds
            )
        yield latency

        sweeps = CounterMetricFamily(
            "zachet_sweep_requeued",
            "Work the sweeps queued again (its message or its worker was lost).",
            labels=["kind"],
        )
        for kind, count in selectors.sweep_finds().items():
            sweeps.add_metric([kind], count)
        yield sweeps


def metrics_text() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ZachetCollector())
    return generate_latest(registry)
