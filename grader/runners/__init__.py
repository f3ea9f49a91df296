"""Run an exercise's tests against a learner's files in the sandbox: `run_tests` -> `RunReport`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

from grader.runners.files import validate_files
from grader.runners.policy import DEFAULT_ALLOWANCES, Allowances
from grader.runners.report import RUNNER_VERSION, RunReport, TestCaseResult, Verdict
from grader.sandbox import Limits, SandboxUnavailable, sandbox_run, sandbox_workdir

__all__ = [
    "RUNNER_VERSION",
    "Allowances",
    "Limits",
    "RunReport",
    "SandboxUnavailable",
    "TestCaseResult",
    "Verdict",
    "run_tests",
    "runners_problems",
]


def run_tests(
    *,
    language: Literal["go", "python"],
    files: Mapping[str, str],
    test_files: Mapping[str, str],
    limits: Limits,
    support_files: Mapping[str, str] = {},
    allowances: Allowances = DEFAULT_ALLOWANCES,
) -> RunReport:
    """Run `test_files` (hidden and example tests) against the learner's `files`.

    `allowances`: what the exercise lets Go code use beyond the default policy (Python's
    runner has no such policy and ignores them).

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
            files=files,
            test_files=test_files,
            limits=limits,
            support_files=support_files,
            allowances=allowances,
        )
    raise ValueError(f"unknown language {language!r}")


# What a failed start-up check said, and what fixes it.
_FIXES = (
    ("bubblewrap (bwrap) is not installed", "run bin/setup as root, or apt-get install bubblewrap"),
    ("setting up uid map", "allow unprivileged user namespaces: sysctl -w "
     "kernel.unprivileged_userns_clone=1 (Ubuntu: kernel.apparmor_restrict_unprivileged_userns=0)"),
    ("creating new namespace", "allow user namespaces: sysctl -w user.max_user_namespaces=15000"),
    ("No permissions to create", "allow unprivileged user namespaces (see docs/grader.md)"),
    ("Permission denied", "make the folders above the checkout enterable by the sandbox uid "
     "(chmod o+x on each), or run the code worker as root, which binds them for the sandbox"),
)  # fmt: skip


def runners_problems() -> list[str]:
    """One line per language whose code cannot run here, saying why and what fixes it; empty
    when both can. Run once at start-up (a worker, bin/run, check_exercises), so a broken
    machine is told at once, not by every submission's internal error."""
    from grader.runners.go import go_root
    from grader.runners.python import python_interpreter

    problems = []
    limits = Limits(cpu_seconds=5, wall_seconds=10, memory_mb=1024, output_kb=16)
    interpreter, binds = python_interpreter()
    checks: list[tuple[str, Callable[[], tuple[list[str], list[tuple[str, str]]]]]] = [
        ("Python", lambda: ([interpreter, "-I", "-S", "-c", "pass"], list(binds))),
        ("Go", lambda: ([f"{go_root()}/bin/go", "version"], [(str(go_root()), str(go_root()))])),
    ]
    for language, command in checks:
        try:
            argv, ro_binds = command()
            with sandbox_workdir() as workdir:
                result = sandbox_run(argv, workdir=workdir, limits=limits, ro_binds=ro_binds)
            if result.returncode != 0:
                tail = result.stderr.decode(errors="replace").strip().splitlines()[-1:]
                raise SandboxUnavailable(f"exit {result.returncode}: {' '.join(tail)}")
        except (SandboxUnavailable, OSError, ValueError) as error:
            reason = " ".join(str(error).split())
            fix = next((fix for known, fix in _FIXES if known in reason), "see docs/grader.md")
            problems.append(
                f"{language} code cannot run in the sandbox: {reason[:300]}. Fix: {fix}"
            )
    return problems
