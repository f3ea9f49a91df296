"""Python exercises: our harness (python_harness.py) under Debian's python3 in the sandbox."""

from __future__ import annotations

import ast
import hmac
import importlib.util
import json
import marshal
import os
import secrets
import shutil
import signal as signals
import stat
import subprocess
import sys
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from grader.runners.files import write_files
from grader.runners.python_harness import test_function_sources
from grader.runners.report import RunReport, TestCaseResult, Verdict, clip
from grader.sandbox import (
    SANDBOX_WORKDIR,
    Limits,
    SandboxResult,
    sandbox_run,
    sandbox_workdir,
)

HARNESS = Path(__file__).with_name("python_harness.py")
HARNESS_NAME = "_zachet_harness.py"
HARNESS_BYTECODE_NAME = "_zachet_harness.pyc"
RESULTS_MAX_BYTES = 8 * 1024 * 1024


@cache
def _harness_bytecode(interpreter: str) -> bytes | None:
    """The harness compiled ahead (saves ~5 ms a run), when `interpreter` reads this Python's
    bytecode: the same magic number, which changes between minor versions only (the sandbox's
    Debian 3.11.2 runs what our 3.11.7 compiles)."""
    probe = subprocess.run(  # noqa: S603 - the configured interpreter
        [interpreter, "-I", "-S", "-c", "import importlib.util as u; print(u.MAGIC_NUMBER.hex())"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0 or probe.stdout.strip() != importlib.util.MAGIC_NUMBER.hex().encode():
        return None
    code = compile(HARNESS.read_text(), f"{SANDBOX_WORKDIR}/{HARNESS_NAME}", "exec")
    # A .pyc header: magic, flags (0: timestamp-based), mtime and size (unchecked when run).
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)


@cache
def python_interpreter() -> tuple[str, tuple[tuple[str, str], ...]]:
    """The interpreter for learner code and what must be bound for it: Debian's /usr/bin/python3,
    else this interpreter's base installation (bound read-only at the same path)."""
    if os.path.exists("/usr/bin/python3"):
        return "/usr/bin/python3", ()
    base = Path(sys.base_prefix)
    executable = base / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    binds = () if str(base).startswith("/usr/") else ((str(base), str(base)),)
    return str(executable), binds


def run_python_tests(
    *,
    files: Mapping[str, str],
    test_files: Mapping[str, str],
    limits: Limits,
    support_files: Mapping[str, str] = {},
) -> RunReport:
    interpreter, binds = python_interpreter()
    with sandbox_workdir() as workdir:
        write_files(workdir, support_files, files, test_files)
        bytecode = _harness_bytecode(interpreter)
        if bytecode is None:
            shutil.copyfile(HARNESS, workdir / HARNESS_NAME)
        else:
            (workdir / HARNESS_BYTECODE_NAME).write_bytes(bytecode)
        nonce = secrets.token_hex(16)
        nonce_name = f".zachet-nonce-{secrets.token_hex(8)}"
        results_name = f".zachet-results-{secrets.token_hex(8)}.json"
        (workdir / nonce_name).write_text(nonce, encoding="ascii")
        result = sandbox_run(
            [
                interpreter,
                "-I",
                "-S",
                "-B",
                HARNESS_NAME if bytecode is None else HARNESS_BYTECODE_NAME,
                nonce_name,
                results_name,
                *test_files,
            ],
            workdir=workdir,
            limits=limits,
            env={"HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"},  # noqa: S108
            ro_binds=binds,
        )
        data = read_results(workdir / results_name, nonce)
    return python_report(result, data, limits=limits, test_files=test_files)


def read_results(path: Path, nonce: str) -> dict[str, Any] | None:
    """The harness's results, if the file is a plain file carrying our nonce (learner code
    owns the directory: the file may be missing, forged, huge, a symlink or a FIFO).

    The file holds JSON lines: the whole result (written last), or, when the run was cut
    short, the log of tests started and finished. Lines without our nonce are ignored."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > RESULTS_MAX_BYTES:
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            raw = file.read(RESULTS_MAX_BYTES + 1)
    finally:
        os.close(descriptor)
    state: dict[str, Any] | None = None
    expected = nonce.encode()
    for line in raw.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut off by a kill, or learner code's
        if not isinstance(event, dict) or not isinstance(event.get("nonce"), str):
            continue
        if not hmac.compare_digest(event["nonce"].encode(), expected):
            continue
        if "tests" in event:  # the whole result
            if isinstance(event["tests"], list):
                state = event
            continue
        if state is None:
            state = {"nonce": nonce, "done": False, "error": None, "running": None, "tests": []}
        if "running" in event:
            state["running"] = event["running"]
        elif isinstance(event.get("test"), dict):
            state["tests"].append(event["test"])
            state["running"] = None
        elif "skipped" in event:
            state["running"] = None
        elif event.get("memory_error") is True:
            state["memory_error"] = True
    return state


def test_sources(test_files: Mapping[str, str]) -> Mapping[str, str]:
    """Each test's source by the names the harness reports ("test_x", "Class.test_y", and
    "module.test_x" when there are several test files), read here on the host."""
    return _test_sources(tuple(test_files.items()))


@lru_cache(maxsize=64)  # an exercise's tests are parsed once per worker, not once per run
def _test_sources(test_files: tuple[tuple[str, str], ...]) -> Mapping[str, str]:
    found: dict[str, str] = {}
    for path, text in test_files:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        module = Path(path).stem
        for name, code in test_function_sources(text, tree).items():
            found.setdefault(name, code)
            found[f"{module}.{name}"] = code
    return MappingProxyType(found)


def _tests_from(
    data: dict[str, Any] | None, *, running_message: str | None, sources: Mapping[str, str]
) -> list[TestCaseResult]:
    tests: list[TestCaseResult] = []
    if data is None:
        return tests
    for entry in data.get("tests", []):
        if not isinstance(entry, dict):
            continue
        status = entry.get("status")
        task_id = entry.get("task_id")
        tests.append(
            TestCaseResult(
                name=str(entry.get("name", "?")),
                status=status if status in ("pass", "fail", "error") else "error",
                message=str(entry.get("message") or ""),
                output=str(entry.get("output") or ""),
                # "test_x[3]" is a case of test_x: its code is test_x's.
                test_code=sources.get(str(entry.get("name", "")).split("[", 1)[0], ""),
                task_id=task_id if isinstance(task_id, int) else None,
            )
        )
    running = data.get("running")
    if running_message and isinstance(running, str):
        tests.append(TestCaseResult(name=running, status="error", message=running_message))
    return tests


def _tail(text: bytes, limit: int = 2000) -> str:
    decoded = text.decode("utf-8", errors="replace")
    return decoded if len(decoded) <= limit else "..." + decoded[-limit:]


def python_report(
    result: SandboxResult,
    data: dict[str, Any] | None,
    *,
    limits: Limits,
    test_files: Mapping[str, str],
) -> RunReport:
    """The verdict for one harness run (see docs/grader.md for the rules)."""
    verdict: Verdict
    stderr = _tail(result.stderr)
    running_message: str | None = None
    # The OOM killer's victim may leave the rest hanging: memory is the cause to report.
    if (
        result.memory_exceeded
        or (data is not None and data.get("memory_error"))
        or (data is None and "MemoryError" in stderr)
    ):
        verdict, message = "memory_limit", f"memory limit exceeded ({limits.memory_mb} MB)"
        running_message = message
    elif result.timed_out or result.cpu_exceeded:
        verdict = "time_limit"
        if result.timed_out:
            message = f"time limit exceeded: the run took over {limits.wall_seconds:g} s"
        else:
            message = f"CPU time limit exceeded ({limits.cpu_seconds:g} s)"
        running_message = message
    elif result.output_exceeded:
        verdict = "output_limit"
        message = f"output limit exceeded ({limits.output_kb} KB)"
        running_message = message
    elif data is None:
        verdict = "runtime_error"
        if result.signal is not None:
            name = signals.Signals(result.signal).name if result.signal < 65 else result.signal
            message = f"the program was killed by signal {name}"
        else:
            message = f"the program exited with code {result.returncode} before the tests finished"
        if stderr:
            message += "\n" + stderr
    elif isinstance(data.get("error"), dict):
        error = data["error"]
        kind = error.get("kind")
        verdict = (
            kind
            if kind in ("compile_error", "runtime_error", "internal_error")
            else "internal_error"
        )
        message = str(error.get("message", ""))
    elif not data.get("done"):
        verdict = "runtime_error"
        message = "the program ended during a test (os._exit, a crash or a signal)"
        if stderr:
            message += "\n" + stderr
        running_message = "the test ended the program"
    elif not data["tests"]:
        verdict, message = "internal_error", "no tests were found in " + ", ".join(test_files)
    elif all(entry.get("status") == "pass" for entry in data["tests"] if isinstance(entry, dict)):
        verdict, message = "passed", ""
    else:
        verdict, message = "failed", ""
    return RunReport(
        verdict=verdict,
        message=message,
        tests=tuple(
            _tests_from(data, running_message=running_message, sources=test_sources(test_files))
        ),
        stdout=clip(result.stdout.decode("utf-8", errors="replace"), 10_000),
        stderr=clip(result.stderr.decode("utf-8", errors="replace"), 10_000),
        wall_seconds=result.wall_seconds,
        cpu_seconds=result.cpu_seconds,
    )
