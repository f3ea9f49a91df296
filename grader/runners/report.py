"""What a test run produced: per-test results and a verdict, and Exercism's results.json (v3)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from grader.runners.policy import Integrity

Verdict = Literal[
    "passed",
    "failed",
    "compile_error",
    "runtime_error",
    "time_limit",
    "memory_limit",
    "output_limit",
    "internal_error",
]
TestStatus = Literal["pass", "fail", "error"]

OUTPUT_CHARS = 500
COMPARED_CHARS = 1000
MESSAGE_CHARS = 4000
RUNNER_VERSION = "zachet-runners/2"  # 2: Go verdicts from the guard's channel


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, with a marker when something was cut."""
    if len(text) <= limit:
        return text
    marker = "\n[... truncated]"
    return text[: max(limit - len(marker), 0)] + marker


@dataclass(frozen=True)
class TestCaseResult:
    """One test's result.

    `vouched`: the run's own trusted record says this test passed (Go: the guard's report
    channel; Python: the harness's nonce-stamped results), not output learner code could
    have written. A pass that is not vouched for is not a pass: it becomes an `error`, so no
    runner can award points for it by mistake (scoring counts passes)."""

    __test__ = False  # not a pytest test class, despite the name

    name: str
    status: TestStatus
    message: str = ""
    output: str = ""
    test_code: str = ""
    task_id: int | None = None
    vouched: bool = False
    # A failed equality's two sides (repr'd, capped) as the test process saw them; never from
    # output learner code could write.
    expected: str = ""
    got: str = ""

    def __post_init__(self) -> None:
        if self.status == "pass" and not self.vouched:
            object.__setattr__(self, "status", "error")
            object.__setattr__(
                self, "message", self.message or "no trusted record says this test passed"
            )
        object.__setattr__(self, "output", clip(self.output, OUTPUT_CHARS))
        object.__setattr__(self, "message", clip(self.message, MESSAGE_CHARS))
        object.__setattr__(self, "expected", clip(self.expected, COMPARED_CHARS))
        object.__setattr__(self, "got", clip(self.got, COMPARED_CHARS))

    def results_json(self) -> dict[str, Any]:
        """One entry of results.json v3 `tests` (optional keys left out when empty)."""
        entry: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.status != "pass":
            entry["message"] = self.message or None
        if self.output:
            entry["output"] = self.output
        entry["test_code"] = self.test_code
        if self.task_id is not None:
            entry["task_id"] = self.task_id
        # (our additions to v3: a failed comparison's sides, when the test said them)
        if self.status != "pass" and (self.expected or self.got):
            entry["expected"], entry["got"] = self.expected, self.got
        return entry


@dataclass(frozen=True)
class RunReport:
    verdict: Verdict
    message: str = ""
    tests: tuple[TestCaseResult, ...] = ()
    stdout: str = ""
    stderr: str = ""
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    runner_version: str = RUNNER_VERSION
    # How far the verdict is out of learner code's reach (grader.runners.policy); None: the
    # runner does not say.
    integrity: Integrity | None = None

    @property
    def passed_count(self) -> int:
        return sum(1 for test in self.tests if test.status == "pass")

    @property
    def total(self) -> int:
        return len(self.tests)

    def results_json(self) -> dict[str, Any]:
        """Exercism's test-runner results.json, version 3."""
        if self.verdict == "passed":
            status = "pass"
        elif self.verdict == "failed":
            status = "fail"
        else:
            status = "error"
        results: dict[str, Any] = {"version": 3, "status": status}
        if status == "error" or self.message:
            results["message"] = self.message or self.verdict
        results["tests"] = [test.results_json() for test in self.tests]
        return results

    def results_json_text(self) -> str:
        return json.dumps(self.results_json(), ensure_ascii=False, indent=2)
