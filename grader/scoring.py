"""Score of a code run under an exercise's scoring rule (pure; no Django)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol


class TestOutcome(Protocol):
    @property
    def status(self) -> str: ...  # "pass" | "fail" | "error"

    @property
    def task_id(self) -> int | None: ...


def code_score(
    *, scoring: str, points: Decimal, verdict: str, tests: Sequence[TestOutcome]
) -> Decimal:
    """Points earned.

    all_or_nothing: full points only when every test passed.
    per_test: points x passed / total.
    per_task: tests grouped by task id (untagged tests form one task); a task
    counts when all its tests pass; points x tasks passed / tasks.
    A run that did not get to its tests (compile error, limits) scores 0.

    Only passes count, and a runner reports a pass only where the run's own trusted record
    vouches for it (TestCaseResult.vouched): in a run that ends in runtime_error those are
    the tests its record proves passed; printed framing earns nothing.
    """
    if not tests or verdict in {"compile_error", "time_limit", "memory_limit", "output_limit",
                                "internal_error"}:  # fmt: skip
        return Decimal("0.00")
    if scoring == "all_or_nothing":
        share = Decimal(1) if all(t.status == "pass" for t in tests) else Decimal(0)
    elif scoring == "per_test":
        share = Decimal(sum(t.status == "pass" for t in tests)) / len(tests)
    elif scoring == "per_task":
        tasks: dict[int | None, bool] = defaultdict(lambda: True)
        for test in tests:
            tasks[test.task_id] = tasks[test.task_id] and test.status == "pass"
        share = Decimal(sum(tasks.values())) / len(tasks)
    else:
        raise ValueError(f"unknown scoring {scoring!r}")
    return (points * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
