"""How the benches print a set of timings."""

from __future__ import annotations

import os
import statistics


def percentiles(values_ms: list[float], *, with_max: bool = True) -> str:
    """ "p50 12 ms, p90 30 ms, max 41 ms" (p90: the value 90% of the sorted ones come before)."""
    ordered = sorted(values_ms)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    text = f"p50 {statistics.median(ordered):.0f} ms, p90 {p90:.0f} ms"
    return text + (f", max {ordered[-1]:.0f} ms" if with_max else "")


def print_load(when: str) -> None:
    """The machine's load average (1, 5, 15 min), printed beside the numbers it affects."""
    load = os.getloadavg()
    print(f"load average {when}: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
