"""Python exercises: two sandboxed processes under Debian's python3, talking over a pipe pair.

The test process runs our harness (python_harness.py): the exercise's tests, the verdict and
the results file. The learner process (python_learner.py) runs the learner's modules, as
another uid in a sandbox of its own; the tests call into it through python_wire.py. Only the
test process's results decide the verdict (see docs/grader.md).
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import dataclasses
import hmac
import importlib.util
import json
import logging
import marshal
import os
import queue
import re
import secrets
import shutil
import signal as signals
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from django.conf import settings

from grader.runners.python_harness import compile_tests
from grader.runners.python_rewrite import test_function_sources
from grader.runners.report import RunReport, TestCaseResult, Verdict, clip
from grader.sandbox import (
    SANDBOX_WORKDIR,
    ForkedSandbox,
    Limits,
    SandboxResult,
    SandboxUnavailable,
    SandboxZygote,
    StartedSandbox,
    WorkMount,
    private_mount_sizes,
    sandbox_available,
    sandbox_hand_over,
    sandbox_peer_ids,
    sandbox_pool_index,
    sandbox_start,
    sandbox_workdir,
)

logger = logging.getLogger(__name__)
HERE = Path(__file__).parent
# Our files in the sandboxes (bound read-only into /work): source name -> name inside.
HARNESS_FILES = {
    "python_harness.py": "_zachet_harness",
    "python_learner.py": "_zachet_learner",
    "python_wire.py": "_zachet_wire",
    "python_rewrite.py": "_zachet_rewrite",
    "python_zygote.py": "_zachet_zygote",
}
LEARNER_FILES = ("_zachet_learner", "_zachet_wire", "_zachet_zygote")  # (and not the tests')
RESULTS_MAX_BYTES = 8 * 1024 * 1024
# The test process outlives the learner process's wall clock by this much, so that a learner
# stopped by its limit is reported by the tests (which test, how far they got).
TESTS_EXTRA_WALL_SECONDS = 0.5
# How long a learner process that the tests saw end has to finish ending, before it is killed.
LEARNER_END_SECONDS = 1.0


@cache
def _reads_our_bytecode(interpreter: str) -> bool:
    """Whether `interpreter` reads this Python's bytecode: the same magic number, which changes
    between minor versions only (the sandbox's Debian 3.11.2 runs what our 3.11.7 compiles)."""
    probe = subprocess.run(  # noqa: S603 - the configured interpreter
        [interpreter, "-I", "-S", "-c", "import importlib.util as u; print(u.MAGIC_NUMBER.hex())"],
        capture_output=True,
        check=False,
    )
    return (
        probe.returncode == 0 and probe.stdout.strip() == importlib.util.MAGIC_NUMBER.hex().encode()
    )


@cache
def harness_files(interpreter: str) -> dict[str, Path]:
    """Our three files, written once per worker process into a folder every sandbox uid may
    read (never per run): name inside the sandbox -> host path. Compiled ahead (saves ~5 ms a
    run) when the interpreter reads our bytecode."""
    folder = Path(tempfile.mkdtemp(prefix="zachet-harness-"))
    atexit.register(shutil.rmtree, folder, True)
    folder.chmod(0o755)
    compiled = _reads_our_bytecode(interpreter)
    found = {}
    for source, name in HARNESS_FILES.items():
        text = (HERE / source).read_text()
        if compiled:
            code = compile(text, f"{SANDBOX_WORKDIR}/{name}.py", "exec")
            # A .pyc header: magic, flags (0: timestamp-based), mtime and size (unchecked).
            data = importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)
            name += ".pyc"
        else:
            data, name = text.encode(), name + ".py"
        path = folder / name
        path.write_bytes(data)
        path.chmod(0o644)
        found[name] = path
    return found


@lru_cache(maxsize=64)
def compiled_tests(test_files: tuple[tuple[str, str], ...]) -> str | None:
    """The tests compiled here as the harness compiles them (asserts rewritten), marshalled and
    hex-encoded for the work message: once per exercise per worker process instead of every run
    (parsing and compiling took ~8 ms of each run's time). None when they do not compile: the
    harness then says so as before."""
    try:
        codes = {
            path: compile_tests(f"{SANDBOX_WORKDIR}/{path}", text) for path, text in test_files
        }
    except Exception:
        return None
    return marshal.dumps(codes).hex()


def run_cpu() -> int | None:
    """The one CPU both processes of a run share: each call across the pipe wakes the other
    process, and waking it on another (idle) CPU cost 30-50 us a round trip on our 2-core VM
    against ~4 us on the same one. The pool process's index picks it, so that two runs at once
    take one each. None when there is a single CPU (nothing to choose)."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except OSError:
        return None
    if len(allowed) < 2:
        return None
    return allowed[sandbox_pool_index() % len(allowed)]


def learner_modules(files: Mapping[str, str]) -> list[str]:
    """Top-level module and package names the learner's files define (`solution.py`,
    `pkg/__init__.py`): the tests' imports of these are served by the learner process."""
    names = set()
    for path in files:
        parts = Path(path).parts
        if len(parts) > 1:
            names.add(parts[0])
        elif path.endswith(".py"):
            names.add(path[:-3])
    return sorted(name for name in names if name.isidentifier())


# Standard modules a learner process may import before its work arrives (standard_imports):
# none runs anything at import that learner code could see (no output, no threads, nothing
# read from /work), so importing one ahead changes nothing but when it is paid for.
PRELOADABLE = frozenset((
    "abc", "array", "asyncio", "base64", "binascii", "bisect", "calendar", "collections",
    "collections.abc", "concurrent.futures", "contextlib", "copy", "csv", "dataclasses",
    "datetime", "decimal", "difflib", "enum", "fractions", "functools", "graphlib", "hashlib",
    "heapq", "inspect", "io", "ipaddress", "itertools", "json", "logging", "math", "numbers",
    "operator", "pathlib", "pprint", "queue", "random", "re", "secrets", "statistics", "string",
    "struct", "textwrap", "threading", "time", "traceback", "types", "typing", "unicodedata",
    "uuid", "warnings", "weakref", "zlib",
))  # fmt: skip
_IMPORT = re.compile(r"^[ \t]*(?:import[ \t]+([\w. \t,]+)|from[ \t]+([\w.]+)[ \t]+import\b)", re.M)
_PRELOAD_SCAN_CHARS = 65536  # of each file: imports come first


def standard_imports(files: Mapping[str, str]) -> tuple[str, ...]:
    """The PRELOADABLE modules that import statements in the learner's Python files name
    (read as text, never parsed or run here: the text is the learner's)."""
    found: set[str] = set()
    for path, text in files.items():
        if not path.endswith(".py"):
            continue
        for match in _IMPORT.finditer(text[:_PRELOAD_SCAN_CHARS]):
            names = match.group(1).split(",") if match.group(1) else [match.group(2)]
            found.update(name.split()[0] for name in names if name.split())
    return tuple(sorted(found & PRELOADABLE))


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
    """Run the tests in the test process and the learner's files in the learner process, two
    sandboxes: /work is a tmpfs of the run's memory limit in each (what learner code writes
    counts as its memory, never lands on the host's disk); each gets its files on stdin and
    only the test process's results file is the host's."""
    interpreter, binds = python_interpreter()
    key = (interpreter, binds, limits)
    modules = learner_modules(files)
    warm = _warm_take(key)
    # A learner module named as a standard one (random.py) must shadow it, as it would without
    # our imports ahead: a learner process that imported them (or a learner zygote's child,
    # which has what its zygote imported) cannot run it; a new learner sandbox does.
    shadows = bool(sys.stdlib_module_names.intersection(modules))
    if warm is not None and shadows and (warm.preload or warm.learner_forked):
        _warm_discard(warm)
        warm = None
    with contextlib.ExitStack() as cleanup:
        if warm is None:
            warm = _warm_start(key, preload=(), fork_learner=not shadows)
        cleanup.push(warm.workdir_context)
        cleanup.callback(warm.learner.discard)  # if go() is never reached
        cleanup.callback(warm.sandbox.discard)
        work: dict[str, Any] = {
            "nonce": warm.nonce,
            "results": warm.results_name,
            "tests": list(test_files),
            "learner": modules,
            "files": {**support_files, **files, **test_files},
        }
        if _reads_our_bytecode(interpreter):
            compiled = compiled_tests(tuple(test_files.items()))
            if compiled is not None:
                work["compiled"] = compiled
        work["cpu"] = run_cpu()
        learner_work = {"files": {**support_files, **files}, "cpu": work["cpu"]}
        learner: dict[str, Any] = {}

        def supervise() -> None:
            try:
                learner["result"] = warm.learner.go(marshal.dumps(learner_work))
            except BaseException as exc:  # (raised below, in the run's own thread)
                learner["error"] = exc

        supervisor = threading.Thread(target=supervise, daemon=True)
        supervisor.start()
        data = None
        try:
            result = warm.sandbox.go(json.dumps(work).encode() + b"\n")
            data = warm.results()
        finally:
            if data is not None and data.get("learner_ended"):
                # It ended on its own (a limit, a crash): its own report says how, once its
                # sandbox is down; killing it first would hide a CPU limit behind our kill.
                supervisor.join(LEARNER_END_SECONDS)
            if supervisor.is_alive():  # the tests are done: the learner has no more to do
                warm.learner.kill()
            supervisor.join()
    if _warm_state["enabled"]:
        _warm_spawn_soon(key, files)
    if "result" not in learner:  # its sandbox could not start: never the learner's fault
        raise learner.get("error") or SandboxUnavailable("the learner's sandbox did not run")
    return python_report(
        combined_result(result, learner["result"], data),
        data,
        limits=limits,
        test_files=test_files,
    )


def combined_result(
    tests: SandboxResult, learner: SandboxResult, data: dict[str, Any] | None
) -> SandboxResult:
    """One run's result from its two processes: the limits either hit (the learner process's
    are the learner's; the test process's are the run's too), the learner's output (the tests
    print nothing of their own outside a test). The learner process is killed once the tests
    are done: its own end matters only while they still ran (`learner_ended`)."""
    ended = data is None or bool(data.get("learner_ended"))
    return dataclasses.replace(
        tests,
        stdout=learner.stdout + tests.stdout,
        stderr=learner.stderr + tests.stderr,
        stdout_truncated=tests.stdout_truncated or learner.stdout_truncated,
        stderr_truncated=tests.stderr_truncated or learner.stderr_truncated,
        timed_out=tests.timed_out or (ended and learner.timed_out),
        cpu_exceeded=tests.cpu_exceeded or (ended and learner.cpu_exceeded),
        memory_exceeded=tests.memory_exceeded or learner.memory_exceeded,
        cpu_seconds=tests.cpu_seconds + learner.cpu_seconds,
    )


HARNESS_ENV = {"HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}  # noqa: S108


# --- warm starts ----------------------------------------------------------------------------
# A worker that runs Python keeps its next run's two sandboxes started: bwrap, the
# interpreters, the harness and unittest loaded, the pipes between them made, each waiting
# for its work on stdin. That takes ~35 ms off the latency of a run (not its CPU). Only the
# Celery worker turns this on (python_warm_start); sandboxes started with other limits or
# interpreter are not reused.


@dataclass
class _Warm:
    key: tuple[Any, ...]
    # The test sandbox's work directory, holding the results file (bound into its in-memory
    # /work); None for a zygote's fork, which writes to `results_fd`, a file in memory.
    workdir: Path | None
    workdir_context: contextlib.ExitStack  # removes the work directories and the results
    sandbox: StartedSandbox | ForkedSandbox  # the test process
    learner: StartedSandbox | ForkedSandbox  # the learner process
    nonce: str
    results_name: str
    results_fd: int | None = None
    preload: tuple[str, ...] = ()  # standard modules the learner process imported ahead
    learner_forked: bool = False  # a child of the learner's zygote

    def results(self) -> dict[str, Any] | None:
        if self.results_fd is not None:
            return read_results_from(self.results_fd, self.nonce)
        assert self.workdir is not None
        return read_results(self.workdir / self.results_name, self.nonce)


_warm_lock = threading.Lock()
# "spawning": set once the sandboxes started after the last run are waiting (or failed).
_warm_state: dict[str, Any] = {
    "enabled": False,
    "next": None,
    "spawning": None,
    "learner_failures": 0,  # of the learner's zygote, in a row (_learner_fork)
}


def python_warm_start(enabled: bool = True) -> None:
    """Keep started sandboxes ready for the next run (on) or discard them (off)."""
    with _warm_lock:
        _warm_state["enabled"] = enabled
    if not enabled:
        warm = _warm_take(None)
        if warm is not None:
            _warm_discard(warm)
        _zygotes_discard()


def python_warm_wait(timeout: float = 10) -> None:
    """Wait for the sandboxes being started for the next run (started after a run returns,
    in a thread: starting two sandboxes is not on a run's latency)."""
    spawning: threading.Event | None = _warm_state["spawning"]
    if spawning is not None:
        spawning.wait(timeout)


def _warm_take(key: tuple[Any, ...] | None) -> _Warm | None:
    """The waiting sandboxes if they were started for `key` (any, for None) and are alive."""
    python_warm_wait()
    with _warm_lock:
        warm: _Warm | None = _warm_state["next"]
        _warm_state["next"] = None
    if warm is None:
        return None
    if (key is not None and warm.key != key) or not (warm.sandbox.alive() and warm.learner.alive()):
        _warm_discard(warm)
        return None
    return warm


def _warm_discard(warm: _Warm) -> None:
    try:
        warm.learner.discard()
        warm.sandbox.discard()
    finally:
        warm.workdir_context.__exit__(None, None, None)


def _our_files(interpreter: str, binds: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Our files for each process, as read-only binds, and their paths inside: the test
    process gets the harness, the wire module and the assert rewriting; the learner process
    its own script and the wire module."""
    ours = harness_files(interpreter)
    inside = {name: f"{SANDBOX_WORKDIR}/{name}" for name in ours}
    harness, learner = (
        name for name in ours if name.startswith(("_zachet_harness", "_zachet_learner"))
    )
    return {
        "harness_path": inside[harness],
        "learner_path": inside[learner],
        **{
            role: [*binds, *((str(ours[name]), inside[name]) for name in ours if keep(name))]
            for role, keep in (
                ("tests", lambda name: name != learner),
                ("learner", lambda name: name.startswith(LEARNER_FILES)),
            )
        },
    }


def _tests_limits(limits: Limits) -> Limits:
    return dataclasses.replace(limits, wall_seconds=limits.wall_seconds + TESTS_EXTRA_WALL_SECONDS)


def _warm_start(
    key: tuple[Any, ...], preload: tuple[str, ...], *, fork_learner: bool = True
) -> _Warm:
    """Both sandboxes started and waiting for their work, the pipes between them made: the
    test process with the harness, its results file (the one host file it may write, under a
    name nothing in the learner process can see) and an empty in-memory /work; the learner
    process, as another uid, with an empty in-memory /work of its own. With zygotes (a
    worker's runs), the test process is a fork of the tests' zygote, and the learner process
    (unless not `fork_learner`) a fork of the learner's zygote that isolates itself
    (python_zygote.isolate), instead of sandboxes of their own."""
    interpreter, binds, limits = key
    files = _our_files(interpreter, binds)
    zygote = _zygote(_TESTS, key) if _zygote_wanted() else None
    fork_learner &= zygote is not None and _learner_zygote_wanted()
    learner_zygote = _zygote(_LEARNER, key) if fork_learner else None
    stack = contextlib.ExitStack()
    with stack:
        results_name = f".zachet-results-{secrets.token_hex(8)}"
        workdir: Path | None = None
        results_fd: int | None = None
        if zygote is None:
            workdir = stack.enter_context(sandbox_workdir())
            results = workdir / results_name  # the same name as inside: unsandboxed runs agree
            results.touch(mode=0o600)
            sandbox_hand_over(results)
        else:  # (nothing on the host's disk to make and remove for each run)
            results_fd = os.memfd_create("zachet-results", os.MFD_CLOEXEC)
            stack.callback(os.close, results_fd)
        # The learner's /work is in memory: a host directory only where there is no bwrap.
        learner_workdir = None if sandbox_available() else stack.enter_context(sandbox_workdir())
        to_learner_read, to_learner_write = os.pipe()
        to_tests_read, to_tests_write = os.pipe()
        try:
            learner_box: StartedSandbox | ForkedSandbox | None = None
            if learner_zygote is not None:
                learner_box = _learner_fork(
                    learner_zygote, limits, preload, (to_learner_read, to_tests_write)
                )
            if learner_box is None:
                learner_box = sandbox_start(
                    [interpreter, "-I", "-S", "-B", files["learner_path"], "--wait",
                     str(to_learner_read), str(to_tests_write),
                     *(["--preload", ",".join(preload)] if preload else [])],
                    workdir=learner_workdir,
                    limits=limits,
                    env=HARNESS_ENV,
                    ro_binds=files["learner"],
                    wait_for_go=True,
                    work=WorkMount.MEMORY,
                    pass_fds=(to_learner_read, to_tests_write),
                    ids=sandbox_peer_ids(),
                )  # fmt: skip
            stack.callback(learner_box.discard)
            tests_box: StartedSandbox | ForkedSandbox
            if zygote is not None:
                assert results_fd is not None
                # (a description of its own, appending: the harness's log and final save)
                appending = os.open(f"/proc/self/fd/{results_fd}", os.O_WRONLY | os.O_APPEND)
                try:
                    tests_box = zygote.fork(pass_fds=(to_tests_read, to_learner_write, appending))
                finally:
                    os.close(appending)
            else:
                tests_box = sandbox_start(
                    [interpreter, "-I", "-S", "-B", files["harness_path"], "--wait",
                     str(to_tests_read), str(to_learner_write)],
                    workdir=workdir,
                    limits=_tests_limits(limits),
                    env=HARNESS_ENV,
                    ro_binds=files["tests"],
                    rw_binds=[(str(results), f"{SANDBOX_WORKDIR}/{results_name}")],
                    wait_for_go=True,
                    work=WorkMount.MEMORY,
                    pass_fds=(to_tests_read, to_learner_write),
                )  # fmt: skip
        finally:
            for descriptor in (to_learner_read, to_learner_write, to_tests_read, to_tests_write):
                os.close(descriptor)
        kept = stack.pop_all()  # the two work directories, removed after the run
    nonce = secrets.token_hex(16)
    return _Warm(
        key, workdir, kept, tests_box, learner_box, nonce, results_name, results_fd, preload,
        learner_forked=isinstance(learner_box, ForkedSandbox),
    )  # fmt: skip


def _learner_fork(
    zygote: SandboxZygote, limits: Limits, preload: tuple[str, ...], pass_fds: tuple[int, int]
) -> ForkedSandbox | None:
    """A child of the learner's zygote, isolated and waiting for its work; None when it could
    not be made (the run takes a new learner sandbox instead). A host where the child cannot
    isolate itself (no user namespaces inside the sandbox) never uses the learner's zygote
    again in this process: one warning, no run lost."""
    try:
        forked = zygote.fork(
            pass_fds=pass_fds,
            request={"mounts": private_mount_sizes(limits), "preload": list(preload)},
        )
    except SandboxUnavailable as exc:
        with _warm_lock:
            _warm_state["learner_failures"] += 1
            give_up = _warm_state["learner_failures"] >= _LEARNER_FORK_TRIES
        if give_up:
            logger.warning(
                "Python learner processes are new sandboxes from now on: the learner's zygote "
                "failed %d times (%s); its children need user namespaces inside the sandbox",
                _LEARNER_FORK_TRIES, exc,
            )  # fmt: skip
        return None
    with _warm_lock:
        _warm_state["learner_failures"] = 0
    return forked


_LEARNER_FORK_TRIES = 3  # failures in a row of a worker process's learner zygote


# --- zygotes --------------------------------------------------------------------------------
# A worker's test processes are forks of a zygote (python_harness.zygote): one sandbox per
# worker process and limits, started once, with the interpreter, unittest and the harness
# loaded. That is ~38 ms of the ~80 ms of CPU a run took with a new test sandbox each time
# (bench/code.py). Its learner processes are forks of a zygote of their own
# (python_learner.zygote), as the peer uid: ~12 ms of CPU a run (bwrap, the interpreter) and
# the standard modules learners import. Only where warm starts are on (the Celery worker) and
# bwrap runs.

_TESTS, _LEARNER = "tests", "learner"
_ZYGOTES_KEPT = 4  # two sets of limits in use at once, a zygote of each role (~20 MB each)
_zygotes: dict[tuple[Any, ...], tuple[SandboxZygote, contextlib.ExitStack]] = {}


def _zygote_wanted() -> bool:
    return bool(_warm_state["enabled"] and settings.GRADER_PYTHON_ZYGOTE and sandbox_available())


def _learner_zygote_wanted() -> bool:
    return bool(
        settings.GRADER_PYTHON_LEARNER_ZYGOTE
        and _warm_state["learner_failures"] < _LEARNER_FORK_TRIES
    )


def _zygote(role: str, run_key: tuple[Any, ...]) -> SandboxZygote:
    """The zygote of `role` for `run_key`, started (on the warm-start thread, whose life
    bwrap's --die-with-parent follows) if it is not running."""
    key = (role, run_key)
    with _warm_lock:
        found = _zygotes.pop(key, None)
    if found is not None and found[0].alive():
        with _warm_lock:
            _zygotes[key] = found  # (the most recent last)
        return found[0]
    if found is not None:
        _zygote_discard(found)
    zygote = _on_warm_thread(lambda: _zygote_start(key))
    with _warm_lock:
        _zygotes[key] = zygote
        evicted = [_zygotes.pop(old) for old in list(_zygotes)[:-_ZYGOTES_KEPT]]
    for old in evicted:
        _zygote_discard(old)
    return zygote[0]


def _zygote_start(key: tuple[Any, ...]) -> tuple[SandboxZygote, contextlib.ExitStack]:
    role, (interpreter, binds, limits) = key
    files = _our_files(interpreter, binds)
    if role == _LEARNER:
        zygote = SandboxZygote.start(
            lambda control_fd: [interpreter, "-I", "-S", "-B", files["learner_path"], "--zygote",
                                str(control_fd)],
            limits=limits,
            workdir=None,  # (each child mounts its own /work, /tmp and /dev/shm)
            env=HARNESS_ENV,
            ro_binds=files["learner"],
            work=WorkMount.MEMORY,
            ids=sandbox_peer_ids(),
            read_only_mounts=True,
        )  # fmt: skip
        return zygote, contextlib.ExitStack()
    with contextlib.ExitStack() as stack:
        zygote = SandboxZygote.start(
            lambda control_fd: [interpreter, "-I", "-S", "-B", files["harness_path"], "--zygote",
                                str(control_fd)],
            limits=_tests_limits(limits),
            workdir=None,  # (/work is in memory)
            env=HARNESS_ENV,
            ro_binds=files["tests"],
            work=WorkMount.MEMORY,
        )  # fmt: skip
        return zygote, stack.pop_all()
    raise AssertionError("unreachable")  # (mypy: the with block may swallow)


def _zygote_discard(found: tuple[SandboxZygote, contextlib.ExitStack]) -> None:
    try:
        found[0].discard()
    finally:
        found[1].close()


def _zygotes_discard() -> None:
    with _warm_lock:
        found = list(_zygotes.values())
        _zygotes.clear()
    for each in found:
        _zygote_discard(each)


def _warm_spawn_soon(key: tuple[Any, ...], files: Mapping[str, str]) -> None:
    """Start the next run's sandboxes, in the warm-start thread; its learner process imports
    ahead the standard modules the learner's files of this run import (the next run is most
    often the same exercise's: ~1 ms for collections, ~15 ms for dataclasses or typing,
    off the next run's latency)."""
    done = threading.Event()
    _warm_state["spawning"] = done

    def spawn() -> None:
        try:
            _warm_spawn(key, standard_imports(files))
        finally:
            done.set()

    _warm_starter().put(spawn)


_T = TypeVar("_T")


def _on_warm_thread(job: Callable[[], _T]) -> _T:
    """`job()`, run on the warm-start thread (at once, if this is it)."""
    if threading.current_thread().name == _WARM_THREAD:
        return job()
    future: Future[_T] = Future()

    def run() -> None:
        try:
            future.set_result(job())
        except BaseException as exc:
            future.set_exception(exc)

    _warm_starter().put(run)
    return future.result()


_WARM_THREAD = "python-warm-start"


@cache
def _warm_starter() -> queue.SimpleQueue[Callable[[], None]]:
    """One long-lived thread of this process starts the warm sandboxes and the zygotes: bwrap's
    --die-with-parent (PR_SET_PDEATHSIG) kills a sandbox when the *thread* that started it
    ends, so a thread per start would kill each one as soon as it was ready."""
    jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def serve() -> None:
        while True:
            jobs.get()()

    threading.Thread(target=serve, name=_WARM_THREAD, daemon=True).start()
    return jobs


def _warm_spawn(key: tuple[Any, ...], preload: tuple[str, ...]) -> None:
    try:
        warm = _warm_start(key, preload)
    except Exception:
        logger.warning("could not start a warm sandbox", exc_info=True)
        return
    with _warm_lock:
        previous: _Warm | None = _warm_state["next"]
        _warm_state["next"] = warm
    if previous is not None:  # another thread put one there meanwhile
        _warm_discard(previous)


def read_results(path: Path, nonce: str) -> dict[str, Any] | None:
    """The harness's results, if the file is a plain file carrying our nonce (learner code
    can write to it: the file may be missing, forged, huge, a symlink or a FIFO).

    The file holds JSON lines: the log of tests started and finished, which the harness
    replaces with the whole result at the end. Lines without our nonce are ignored; of a file
    grown past RESULTS_MAX_BYTES (learner code's junk, or a run cut short) only the end is
    read."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        return read_results_from(descriptor, nonce)
    finally:
        os.close(descriptor)


def read_results_from(descriptor: int, nonce: str) -> dict[str, Any] | None:
    """read_results, from an open file (a zygote's fork writes to a file in memory)."""
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        return None
    skip = max(0, info.st_size - RESULTS_MAX_BYTES)
    raw = os.pread(descriptor, RESULTS_MAX_BYTES, skip)
    if skip:
        raw = raw.partition(b"\n")[2]  # the first line read is cut
    state: dict[str, Any] | None = None
    # The harness starts every line with our nonce: anything else (learner code's junk, which
    # may be built to break a JSON parser) is never parsed.
    prefix = json.dumps({"nonce": nonce})[:-1].encode()  # '{"nonce": "..."'
    for line in raw.splitlines():
        if not hmac.compare_digest(line[: len(prefix)], prefix):
            continue
        try:
            event = json.loads(line)
        except Exception:  # noqa: S112 - cut off by a kill, or forged past our prefix
            continue
        if not isinstance(event, dict) or event.get("nonce") != nonce:
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
        message = str(entry.get("message") or "")
        if entry.get("ended") and running_message:  # the learner process hit a limit
            message = running_message
        tests.append(
            TestCaseResult(
                name=str(entry.get("name", "?")),
                status=status if status in ("pass", "fail", "error") else "error",
                message=message,
                output=str(entry.get("output") or ""),
                # "test_x[3]" is a case of test_x: its code is test_x's.
                test_code=sources.get(str(entry.get("name", "")).split("[", 1)[0], ""),
                task_id=task_id if isinstance(task_id, int) else None,
                vouched=True,  # a line stamped with the run's nonce (in-process: see docs)
                expected=_text(entry.get("expected")),
                got=_text(entry.get("got")),
            )
        )
    running = data.get("running")
    if running_message and isinstance(running, str):
        tests.append(TestCaseResult(name=running, status="error", message=running_message))
    return tests


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


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
        if data.get("learner_ended") and stderr:
            message += "\n" + stderr
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
