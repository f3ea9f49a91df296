"""Run an exercise's tests against a learner's files in the sandbox: `run_tests` -> `RunReport`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from grader.runners.files import validate_files
from grader.runners.report import RUNNER_VERSION, RunReport, TestCaseResult, Verdict
from grader.sandbox import Limits, SandboxUnavailable

__all__ = [
    "RUNNER_VERSION",
    "Limits",
    "RunReport",
    "SandboxUnavailable",
    "TestCaseResult",
    "Verdict",
    "run_tests",
]


def run_tests(
    *,
    language: Literal["go", "python"],
    files: Mapping[str, str],
    test_files: Mapping[str, str],
    limits: Limits,
    support_files: Mapping[str, str] = {},
) -> RunReport:
    """Run `test_files` (hidden and example tests) against the learner's `files`.

    Raises ValueError for unsafe or oversized file sets and SandboxUnavailable when learner code
    cannot be run here; a broken run is a RunReport with verdict internal_error.
    """
    validate_files(files, test_files, support_files)
    if not test_files:
        raise ValueError("no test files")
    if language == "python":
        from grader.runners.python import run_python_tests

        return run_python_tests(
            files=files, test_files=test_files, limits=limits, support_files=support_files
        )
    if language == "go":
        from grader.runners.go import run_go_tests

        return run_go_tests(
            files=files, test_files=test_files, limits=limits, support_files=support_files
        )
    raise ValueError(f"unknown language {language!r}")
