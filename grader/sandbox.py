"""The one place that runs learner code: bubblewrap, rlimits, a memory cgroup, time and output caps.

`sandbox_run` starts `bwrap` as an unprivileged uid (`GRADER_SANDBOX_UID`, default 600000) in
new user, PID, network, IPC, UTS and cgroup namespaces, with a cleared environment, read-only
`/usr`, a read-only root, size-capped private `/tmp` and `/dev/shm`, and at `/work` the work
directory or a size-capped tmpfs (WorkMount). Resource limits are set
by a tiny `/bin/sh` launcher before it execs bwrap, so no Python code runs between fork and exec
(`preexec_fn` is unsafe in threaded callers). Where the process's
own memory cgroup lets us create a child, each run also gets a memory cgroup: the only limit that
counts resident memory of all processes together (and tmpfs pages) instead of per-process address
space.

The sandbox uid must be used by nothing else on the host: `RLIMIT_NPROC` counts all processes
of a real uid, so another process running as that uid (or a second concurrent run: give each
worker process its own `GRADER_SANDBOX_UID`) shares the learner's process budget.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import enum
import errno
import json
import logging
import math
import os
import re
import secrets
import select
import selectors
import shutil
import signal as signals
import socket
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

# Where the work directory appears inside the sandbox.
SANDBOX_WORKDIR = "/work"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"

# Limits the launcher applies before it execs bwrap ("$1": cgroup.procs files to join).
_LAUNCHER = """
fail() { echo "zachet-sandbox: $1" >&2; exit 125; }
for procs in $1; do echo $$ > "$procs" || fail "cannot join cgroup $procs"; done
ulimit -c 0 && ulimit -S -t "$2" && ulimit -H -t "$3" && ulimit -v "$4" && ulimit -p "$5" \
  && ulimit -f "$6" && ulimit -n "$7" || fail "cannot set resource limits"
umask 077
shift 7
exec "$@"
"""
_LAUNCHER_FAILED = 125

# bwrap looks its bind sources up as the sandbox uid, which cannot enter a checkout inside a
# folder only its owner may enter (mode 0700, as home folders and `mktemp -d` are). Such
# sources are bound first, by root, in a private mount namespace of the run, onto mount
# points here (root's, reachable by all); bwrap binds them from there to the same targets
# as before, so the sandbox sees nothing new. Each run's namespace is its own: every run
# uses the same few mount points, and nothing shows on the host.
_STAGER = """
n=$1; shift
while [ "$n" -gt 0 ]; do
  mount --bind "$1" "$2" || { echo "zachet-sandbox: cannot bind $1 for the sandbox" >&2; exit 125; }
  shift 2; n=$((n - 1))
done
exec "$@"
"""


@dataclass(frozen=True)
class Limits:
    cpu_seconds: float = 5
    wall_seconds: float = 10
    memory_mb: int = 256
    output_kb: int = 64
    processes: int = 64
    file_size_mb: int = 16
    open_files: int = 256


class WorkMount(enum.Enum):
    """What the sandbox sees at /work.

    HOST: the work directory, writable; for what runs no learner code (Go's build). Files
    land on the host's disk, where one file is capped (RLIMIT_FSIZE) but not their number:
    learner code wrote ~20 GB in a 10 s run here.
    MEMORY: a tmpfs of the run's memory limit, its pages counted in the run's memory cgroup;
    the command's files are bound in (ro_binds, rw_binds for results) or sent on stdin."""

    HOST = "host"
    MEMORY = "memory"


@dataclass(frozen=True)
class SandboxResult:
    """What happened to one command.

    `returncode` is the command's exit status as bwrap reports it (a command killed by signal N
    exits 128 + N, and `signal` is then N), or None when the sandbox killed it for the wall-clock
    or output limit (`signal` is then SIGKILL).
    """

    returncode: int | None
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    timed_out: bool
    cpu_exceeded: bool
    memory_exceeded: bool
    wall_seconds: float
    cpu_seconds: float
    signal: int | None

    @property
    def output_exceeded(self) -> bool:
        return self.stdout_truncated or self.stderr_truncated


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run anything here (no bwrap, or bwrap failed to set up)."""


# This process's place in a worker's pool (grader.tasks sets it): each gets its own uid.
_pool_index = 0


def sandbox_pool_process(index: int) -> None:
    global _pool_index
    _pool_index = index


def sandbox_pool_index() -> int:
    return _pool_index


def sandbox_uid_for_process(base: int, index: int) -> int:
    """Pool process N uses `base` + N (600000 + N by default). A base of 65534 (`nobody`, the
    default before) keeps its old mapping: process 0 that uid, the others 600000 + N."""
    if index == 0:
        return base
    return (600000 if base == 65534 else base) + index


def sandbox_ids() -> tuple[int, int]:
    """The uid and gid learner code runs as when we are root: settings.GRADER_SANDBOX_UID
    (default 600000), plus N in pool process N, so one learner's processes never count
    against another run's RLIMIT_NPROC; else our own (an unprivileged worker cannot switch
    users; bwrap still isolates)."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    uid = sandbox_uid_for_process(settings.GRADER_SANDBOX_UID, _pool_index)
    return uid, settings.GRADER_SANDBOX_GID or uid


# A run's second sandbox (Python's learner process) runs as the first one's uid + this, so
# the two never share a uid: no signal, ptrace or /proc path between them, nor one
# RLIMIT_NPROC budget. Derived from sandbox_ids(), whatever its range, and above every
# range a first sandbox uses: the site's 600000 + N and the test sessions' 700000 to
# 1,700,000 (tests/conftest.py), so no run's learner process shares a uid with another run.
PEER_UID_OFFSET = 2_000_000


def sandbox_peer_ids() -> tuple[int, int]:
    """The uid and gid of the learner process of a run whose other sandbox runs as
    sandbox_ids(); the same as that for an unprivileged worker (each run is then kept apart
    by its own user and PID namespaces only)."""
    uid, gid = sandbox_ids()
    if os.geteuid() != 0:
        return uid, gid
    return uid + PEER_UID_OFFSET, uid + PEER_UID_OFFSET


_WORKDIR_PREFIX = "zachet-run-"


@contextlib.contextmanager
def sandbox_workdir(*, parent: Path | None = None) -> Iterator[Path]:
    """A fresh directory the sandbox uid owns (mounted at /work), removed afterwards; its name
    carries our pid, so that one a killed process left is found (sandbox_workdirs_sweep)."""
    path = Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-", dir=parent))
    try:
        uid, gid = sandbox_ids()
        os.chown(path, uid, gid)
        path.chmod(0o700)
        yield path
    finally:
        _remove_tree(path)


def sandbox_workdirs_sweep(*, parent: Path | None = None) -> int:
    """Remove the work directories of processes that are gone (a worker killed in the middle
    of a run, or with a sandbox waiting); others' are theirs. How many were removed."""
    removed = 0
    folder = Path(parent or tempfile.gettempdir())
    for path in folder.glob(f"{_WORKDIR_PREFIX}*-*"):
        owner = path.name[len(_WORKDIR_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or not path.is_dir() or path.is_symlink():
            continue
        try:
            os.kill(int(owner), 0)
            continue  # alive (or another user's: not ours to judge)
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        _remove_tree(path)
        removed += 1
    return removed


def sandbox_hand_over(path: Path) -> None:
    """Make `path` (a file or a directory tree we wrote) the sandbox uid's, so learner code may
    change it (Go rewrites go.mod, a harness writes its results)."""
    uid, gid = sandbox_ids()
    for item in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.lchown(item, uid, gid)


def _remove_tree(path: Path) -> None:
    def make_writable_and_retry(function: object, failed: str, _exc_info: object) -> None:
        # A learner's `chmod 500` on a directory blocks unlinking its entries.
        with contextlib.suppress(OSError):
            Path(failed).parent.chmod(0o700)
            if callable(function):
                function(failed)

    shutil.rmtree(path, onerror=make_writable_and_retry)


@cache
def _bwrap_path() -> str | None:
    return shutil.which("bwrap") or shutil.which("bwrap", path=SANDBOX_PATH)  # PATH's first


@cache
def _setpriv_path() -> str | None:
    """util-linux's setpriv, which drops to the sandbox uid before the launcher runs."""
    return shutil.which("setpriv", path=SANDBOX_PATH + os.pathsep + "/usr/sbin:/sbin")


def sandbox_available() -> bool:
    return _bwrap_path() is not None


def sandbox_run(
    argv: Sequence[str],
    *,
    workdir: Path,
    limits: Limits,
    env: Mapping[str, str] = {},
    ro_binds: Sequence[tuple[str, str]] = (),
) -> SandboxResult:
    """Run `argv` in the sandbox with `workdir` at /work (also the current directory)."""
    return sandbox_start(argv, workdir=workdir, limits=limits, env=env, ro_binds=ro_binds).go()


def sandbox_start(
    argv: Sequence[str],
    *,
    workdir: Path | None,
    limits: Limits,
    env: Mapping[str, str] = {},
    ro_binds: Sequence[tuple[str, str]] = (),
    rw_binds: Sequence[tuple[str, str]] = (),
    wait_for_go: bool = False,
    work: WorkMount = WorkMount.HOST,
    pass_fds: Sequence[int] = (),
    ids: tuple[int, int] | None = None,
    read_only_mounts: bool = False,
) -> StartedSandbox:
    """Start `argv` in the sandbox; `go()` supervises it to the end.

    With `wait_for_go`, its stdin is a pipe that stays silent until `go(message)` writes the
    message and closes it: a command that reads stdin first is started ahead of its work
    (a warm start), and its wall-clock limit counts from `go`.

    `work`: what /work is (WorkMount); with WorkMount.MEMORY under bwrap the host's `workdir`
    is not used and may be None (a run's learner process, a zygote). `rw_binds`: host files
    mounted writable (a results file into an in-memory /work). `pass_fds`: descriptors the
    command inherits under the same numbers (a socket of the Go runner's report channel, the
    pipes between a Python run's two sandboxes); the caller closes its copies. `ids`: the uid
    and gid to run as (sandbox_peer_ids() for a run's second sandbox), not sandbox_ids().
    `read_only_mounts`: the private tmpfs mounts (/tmp, /dev/shm, an in-memory /work) are
    read-only (a learner's zygote: each of its children mounts its own, python_zygote.isolate)."""
    uid, gid = ids or sandbox_ids()
    if not argv:
        raise ValueError("argv is empty")
    bwrap = _bwrap_path()
    if workdir is None:
        if work is not WorkMount.MEMORY or bwrap is None:
            raise ValueError("a work directory is needed unless /work is in bwrap's memory")
    else:
        workdir = Path(workdir).resolve()
        if not workdir.is_dir():
            raise ValueError(f"work directory {workdir} does not exist")
    for source, _target in ro_binds:
        if not Path(source).exists():
            raise ValueError(f"read-only bind source {source} does not exist")

    staged: dict[str, str] = {}
    if bwrap is not None:
        switch_user = os.geteuid() == 0
        if switch_user:
            sources = [source for source, _target in [*ro_binds, *rw_binds]]
            if work is WorkMount.HOST and workdir is not None:
                sources.append(str(workdir))
            staged = _stage_points(sources, uid, gid)
        command = _bwrap_command(
            bwrap, argv, workdir, limits, env, ro_binds, rw_binds, work, staged=staged,
            read_only_mounts=read_only_mounts,
        )  # fmt: skip
        cwd = "/"
        child_env = {"PATH": SANDBOX_PATH}  # bwrap's own environment is readable in the sandbox
    elif settings.GRADER_ALLOW_UNSANDBOXED and workdir is not None:
        logger.warning(
            "WARNING: bubblewrap is not installed and GRADER_ALLOW_UNSANDBOXED=1: running learner "
            "code WITHOUT A SANDBOX (rlimits only) as uid %d. Never do this in production.",
            os.getuid(),
        )
        command, child_env = _unsandboxed_command(argv, workdir, env, [*ro_binds, *rw_binds])
        cwd = str(workdir)
        switch_user = False
    else:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so learner code cannot be run safely; "
            "install it (apt-get install bubblewrap) or, on a development machine only, "
            "set GRADER_ALLOW_UNSANDBOXED=1"
        )

    cgroups = _RunCgroups.create(
        memory_bytes=limits.memory_mb * 1024 * 1024, owner=uid if switch_user else None
    )
    reaper = contextlib.ExitStack()
    try:
        launcher = [
            "/bin/sh",
            "-c",
            _LAUNCHER,
            "zachet-sandbox",
            " ".join(str(path) for path in cgroups.procs_files),
            str(max(1, math.ceil(limits.cpu_seconds))),
            str(max(1, math.ceil(limits.cpu_seconds)) + 1),
            str(limits.memory_mb * 1024),
            str(limits.processes + _processes_of(uid)),
            str(limits.file_size_mb * 2048),  # 512-byte blocks
            str(limits.open_files),
            *command,
        ]
        status_read, status_write = os.pipe()
        if bwrap is not None:
            # bwrap reports the host pid of the namespace's init here: see _reap_orphaned_init.
            at = launcher.index(bwrap) + 1
            launcher[at:at] = ["--json-status-fd", str(status_write)]
        # Switching users in Popen (user=, group=) makes it fork() the whole worker process,
        # page tables and all (~5 ms for a Django worker); setpriv switches after a vfork().
        setpriv = _setpriv_path() if switch_user else None
        if setpriv is not None:
            launcher = [setpriv, f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *launcher]
        if staged:
            launcher = [*_stager_command(staged, setpriv), *launcher]
        popen_switches = switch_user and setpriv is None
        reaper.enter_context(_subreaper())
        try:
            process = subprocess.Popen(  # noqa: S603 - the launcher is ours, argv goes to bwrap
                launcher,
                stdin=subprocess.PIPE if wait_for_go else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=child_env,
                start_new_session=True,
                close_fds=True,
                pass_fds=(status_write, *pass_fds),
                user=uid if popen_switches else None,
                group=gid if popen_switches else None,
                extra_groups=[] if popen_switches else None,
            )
        except OSError as exc:
            os.close(status_read)
            raise SandboxUnavailable(f"could not start the sandbox: {exc}") from exc
        finally:
            os.close(status_write)
    except BaseException:
        reaper.close()
        cgroups.remove()
        raise
    return StartedSandbox(process, limits, cgroups, status_read, reaper)


class StartedSandbox:
    """A sandboxed command that was started; `go()` once, or `discard()`."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        limits: Limits,
        cgroups: _RunCgroups,
        status_read: int,
        reaper: contextlib.ExitStack,
    ) -> None:
        self._process = process
        self.pid = process.pid
        self._limits = limits
        self._cgroups = cgroups
        self._status_read = status_read
        self._reaper = reaper
        self._done = False

    def alive(self) -> bool:
        """Still running (checked without reaping it: go() or discard() must still find it)."""
        if self._done:
            return False
        try:
            state = os.waitid(os.P_PID, self._process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return state is None

    def go(self, message: bytes = b"") -> SandboxResult:
        """Send `message` (for a command started with wait_for_go), then supervise the command
        to its end under the limits; the sandbox is gone when this returns."""
        if self._done:
            raise RuntimeError("this sandbox has already run")
        self._done = True
        process = self._process
        try:
            started = time.monotonic()
            cpu_before = self._cgroups.cpu_seconds() or 0.0  # a warm start's own CPU
            if process.stdin is not None:
                if len(message) <= _PIPE_CAPACITY:  # into the empty pipe at once
                    _write_and_close(process.stdin, message)
                else:  # a command that stops reading must not hold us past the wall clock
                    threading.Thread(
                        target=_write_and_close, args=(process.stdin, message), daemon=True
                    ).start()
            result = _supervise(
                process, self._limits, self._cgroups, started, self._status_read, cpu_before
            )
        finally:
            self._cgroups.remove()
            self._reaper.close()
        # (learner code can print the same and exit the same way: it earns an internal error)
        if (result.returncode == 1 and result.stderr.startswith((b"bwrap: ", b"unshare: "))) or (
            result.returncode == _LAUNCHER_FAILED and result.stderr.startswith(b"zachet-sandbox: ")
        ):
            raise SandboxUnavailable(
                "the sandbox failed to start: " + result.stderr.decode(errors="replace")[:500]
            )
        return result

    def kill(self) -> None:
        """Kill the command while go() supervises it in another thread (a run's learner
        process, once its tests are done): go() then returns at once."""
        for child in _children(self._process.pid):  # the namespace's init: all die with it
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(child, signals.SIGKILL)

    def discard(self) -> None:
        """Kill it unused and clean up (the timed-out path of the supervisor, at once)."""
        if self._done:
            return
        self._done = True
        try:
            if self._process.stdin is not None:
                with contextlib.suppress(OSError):
                    self._process.stdin.close()
            expired = time.monotonic() - self._limits.wall_seconds
            _supervise(self._process, self._limits, self._cgroups, expired, self._status_read)
        finally:
            self._cgroups.remove()
            self._reaper.close()


class SandboxZygote:
    """A long-lived sandbox whose command forks a process per run, already loaded (the Python
    harness's --zygote): the forks share its sandbox, one at a time, and each is supervised
    under a run's limits as a sandbox of its own (ForkedSandbox). The command serves requests
    on the SOCK_SEQPACKET socket it got as descriptor `control_fd` (python_harness.zygote)."""

    def __init__(self, sandbox: StartedSandbox, control: socket.socket, limits: Limits) -> None:
        self._sandbox = sandbox
        self._control = control
        self.limits = limits
        self._host_pid: int | None = None
        self._busy = False

    @classmethod
    def start(
        cls, argv: Callable[[int], Sequence[str]], *, limits: Limits, **options: Any
    ) -> SandboxZygote:
        """Start `argv(control_fd)` with sandbox_start (`options` are its own): the sandbox's
        limits are `limits` but for CPU time (each fork gets the run's) and one more process
        (the zygote itself)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            sandbox = sandbox_start(
                argv(theirs.fileno()),
                limits=dataclasses.replace(
                    limits, cpu_seconds=_ZYGOTE_CPU_SECONDS, processes=limits.processes + 1
                ),
                pass_fds=(theirs.fileno(),),
                **options,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        return cls(sandbox, ours, limits)

    def alive(self) -> bool:
        return not self._busy and self._sandbox.alive()

    def fork(self, *, pass_fds: Sequence[int], request: Mapping[str, Any] = {}) -> ForkedSandbox:
        """A new process of the zygote's, waiting for its work on stdin (as sandbox_start's
        wait_for_go), with `pass_fds` as its descriptors 3, 4, ... (the caller closes its
        copies); `request`: more for the zygote's command to read (python_zygote.serve).
        Raises SandboxUnavailable when the zygote does not answer: discard it."""
        if not self.alive():
            raise SandboxUnavailable("the zygote is not running")
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        cpu = max(1, math.ceil(self.limits.cpu_seconds))
        cgroups: _RunCgroups | None = None
        try:
            socket.send_fds(
                self._control,
                [json.dumps({**request, "cpu": [cpu, cpu + 1]}).encode()],
                [stdin_read, stdout_write, stderr_write, *pass_fds],
            )
            for fd in (stdin_read, stdout_write, stderr_write):
                os.close(fd)
            stdin_read = stdout_write = stderr_write = -1
            reply = self._receive(_ZYGOTE_ANSWER_SECONDS)
            if "status" in reply:
                raise SandboxUnavailable("the zygote's child ended at once")
            self._busy = True
            pid = self._child_host_pid(reply["pid"])
            cgroups = _RunCgroups.create(
                memory_bytes=self.limits.memory_mb * 1024 * 1024, owner=None
            )
            for procs in cgroups.procs_files:
                procs.write_text(str(pid))
            return ForkedSandbox(self, pid, stdin_write, stdout_read, stderr_read, cgroups)
        except (OSError, ValueError, SandboxUnavailable) as exc:
            # Whatever was forked waits on a stdin that closes now; and the zygote's answers
            # would be out of step with our questions: it goes, the next run starts another.
            ends = (stdin_read, stdout_write, stderr_write, stdin_write, stdout_read, stderr_read)
            for fd in ends:
                if fd >= 0:
                    os.close(fd)
            if cgroups is not None:
                cgroups.kill_all()
                cgroups.remove()
            self.discard()
            raise SandboxUnavailable(f"the zygote could not start a process: {exc}") from exc

    def _receive(self, timeout: float) -> dict[str, Any]:
        if not select.select([self._control], [], [], timeout)[0]:
            raise SandboxUnavailable("the zygote did not answer")
        message = self._control.recv(4096)
        if not message:
            raise SandboxUnavailable("the zygote ended")
        reply = json.loads(message)
        if not isinstance(reply, dict) or not isinstance(reply.get("pid"), int):
            raise SandboxUnavailable(f"the zygote answered {message[:200]!r}")
        return reply

    def _child_host_pid(self, pid: object) -> int:
        """The host's pid of the zygote's child `pid` (a pid of the sandbox's namespace)."""
        if self._host_pid is None:  # bwrap -> the namespace's init -> the zygote
            inits = _children(self._sandbox.pid)
            zygotes = _children(inits[0]) if len(inits) == 1 else []
            if len(zygotes) != 1:
                raise SandboxUnavailable("the zygote's process was not found")
            self._host_pid = zygotes[0]
        for child in _children(self._host_pid):
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{child}/status").read_text()
                found = re.search(r"^NSpid:\s.*?(\d+)$", status, re.MULTILINE)
                if found and int(found.group(1)) == pid:
                    return child
        raise SandboxUnavailable(f"the zygote's child {pid} was not found")

    def ended(self, timeout: float) -> dict[str, Any] | None:
        """The zygote's report of its child's end (None: none came; the zygote is discarded)."""
        try:
            reply = self._receive(timeout)
        except (SandboxUnavailable, OSError, ValueError):
            self.discard()
            return None
        finally:
            self._busy = False
        return reply

    @property
    def control_fd(self) -> int:
        return self._control.fileno()

    def discard(self) -> None:
        """End the zygote and its sandbox (and a child it still has)."""
        with contextlib.suppress(OSError):
            self._control.shutdown(socket.SHUT_RDWR)
        self._sandbox.discard()
        self._control.close()


class ForkedSandbox:
    """One process of a SandboxZygote, supervised as StartedSandbox supervises its command:
    its own memory and CPU cgroups, the run's limits; `go()` once, or `discard()`."""

    def __init__(
        self,
        zygote: SandboxZygote,
        pid: int,
        stdin: int,
        stdout: int,
        stderr: int,
        cgroups: _RunCgroups,
    ) -> None:
        self._zygote = zygote
        self.pid = pid
        self._pidfd = os.pidfd_open(pid)  # (OSError: it is gone already)
        self._stdin, self._stdout, self._stderr = stdin, stdout, stderr
        self._cgroups = cgroups
        self._limits = zygote.limits
        self._done = False

    def alive(self) -> bool:
        return not self._done and not select.select([self._pidfd], [], [], 0)[0]

    def go(self, message: bytes = b"") -> SandboxResult:
        if self._done:
            raise RuntimeError("this sandbox has already run")
        self._done = True
        started = time.monotonic()
        cpu_before = self._cgroups.cpu_seconds() or 0.0
        if len(message) <= _PIPE_CAPACITY:
            _write_and_close(os.fdopen(self._stdin, "wb", buffering=0), message)
        else:
            stdin = os.fdopen(self._stdin, "wb", buffering=0)
            threading.Thread(target=_write_and_close, args=(stdin, message), daemon=True).start()
        return self._supervise(started, cpu_before)

    def _supervise(self, started: float, cpu_before: float) -> SandboxResult:
        streams = {"stdout": self._stdout, "stderr": self._stderr}
        pumped = _Pumped({}, {}, False, False, False)
        report: dict[str, Any] | None = None
        try:
            try:
                pumped = _pump(
                    streams,
                    self._zygote.control_fd,
                    self._limits,
                    self._cgroups,
                    started,
                    cpu_before,
                )
            finally:
                if not pumped.exited:
                    self.kill()
                report = self._zygote.ended(_ZYGOTE_ANSWER_SECONDS)
                self._cgroups.kill_all()
                for fd in (self._stdout, self._stderr, self._pidfd):
                    os.close(fd)
            # (read while the cgroups are there: their CPU time and OOM kills go with them)
            return self._result(pumped, report, started, cpu_before)
        finally:
            self._cgroups.remove()

    def _result(
        self, pumped: _Pumped, report: dict[str, Any] | None, started: float, cpu_before: float
    ) -> SandboxResult:
        cpu = self._cgroups.cpu_seconds()
        status = report.get("status") if report else None
        if cpu is None:
            cpu = float(report.get("cpu") or 0.0) if report else 0.0
        returncode: int | None = None
        signal: int | None = signals.SIGKILL  # the zygote ended with it: its sandbox is gone
        if isinstance(status, int):
            code = os.waitstatus_to_exitcode(status)
            returncode, signal = (code, None) if code >= 0 else (128 - code, -code)
        return _result(
            pumped,
            limits=self._limits,
            cgroups=self._cgroups,
            started=started,
            cpu=max(0.0, cpu - cpu_before),
            returncode=returncode,
            signal=signal,
        )

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            signals.pidfd_send_signal(self._pidfd, signals.SIGKILL)
        self._cgroups.kill_all()

    def discard(self) -> None:
        """Unused: it ends at once (its stdin closes), else it is killed."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            os.close(self._stdin)
        if not select.select([self._pidfd], [], [], 1.0)[0]:
            self.kill()
        self._zygote.ended(_ZYGOTE_ANSWER_SECONDS)
        self._cgroups.kill_all()
        self._cgroups.remove()
        for fd in (self._stdout, self._stderr, self._pidfd):
            os.close(fd)


# A zygote lives as long as its worker process: its own CPU limit is no limit (each fork gets
# the run's); it answers a request at once, or is taken for broken.
_ZYGOTE_CPU_SECONDS = 10**7
_ZYGOTE_ANSWER_SECONDS = 5.0


_PIPE_CAPACITY = 65536  # Linux's default pipe buffer


def _write_and_close(pipe: Any, message: bytes) -> None:
    with contextlib.suppress(OSError):  # (it died waiting, or was killed: supervised apart)
        pipe.write(message)
    with contextlib.suppress(OSError):
        pipe.close()


# The sandbox's own, private tmpfs mounts (not the host's).
_TMP = "/tmp"  # noqa: S108
_SHM = "/dev/shm"  # noqa: S108


def private_mount_sizes(limits: Limits, work: WorkMount = WorkMount.MEMORY) -> dict[str, int]:
    """Each private tmpfs of a sandbox with `limits` (its path -> bytes)."""
    return _tmpfs_sizes(limits, work, memory_cgroup="memory" in _own_cgroups()[1])


def _tmpfs_sizes(limits: Limits, work: WorkMount, *, memory_cgroup: bool) -> dict[str, int]:
    """Bytes for each private tmpfs. With a memory cgroup each may take the whole limit: their
    pages count in it with the processes'. Without one, nothing counts them (RLIMIT_AS is per
    process, address space only), so they share the limit instead of tripling it."""
    limit = limits.memory_mb * 1024 * 1024
    mounts = [_TMP, _SHM, *([SANDBOX_WORKDIR] if work is WorkMount.MEMORY else [])]
    if memory_cgroup:
        return dict.fromkeys(mounts, limit)
    shares = {_TMP: 2, _SHM: 1, SANDBOX_WORKDIR: 2}
    total = sum(shares[mount] for mount in mounts)
    page = 4096  # (the kernel rounds a tmpfs's size up to whole pages)
    return {mount: limit * shares[mount] // total // page * page for mount in mounts}


def _bwrap_command(
    bwrap: str,
    argv: Sequence[str],
    workdir: Path | None,
    limits: Limits,
    env: Mapping[str, str],
    ro_binds: Sequence[tuple[str, str]],
    rw_binds: Sequence[tuple[str, str]] = (),
    work: WorkMount = WorkMount.HOST,
    *,
    staged: Mapping[str, str] = {},
    read_only_mounts: bool = False,
) -> list[str]:
    """`staged`: bind sources the sandbox uid cannot reach, and where they are staged."""
    sizes = private_mount_sizes(limits, work)
    command = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    # Debian's merged /usr: /bin, /lib, /lib64, /sbin are symlinks into /usr.
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            command += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            command += ["--ro-bind", top, top]
    command += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(sizes[_SHM]),
        "--tmpfs",
        _SHM,
        "--size",
        str(sizes[_TMP]),
        "--tmpfs",
        _TMP,
    ]
    if work is WorkMount.MEMORY or workdir is None:
        command += ["--size", str(sizes[SANDBOX_WORKDIR]), "--tmpfs", SANDBOX_WORKDIR]
    else:
        command += ["--bind", staged.get(str(workdir), str(workdir)), SANDBOX_WORKDIR]
    for source, target in ro_binds:
        command += ["--ro-bind", staged.get(source, source), target]
    for source, target in rw_binds:
        command += ["--bind", staged.get(source, source), target]
    if read_only_mounts:
        for mount in sizes:
            command += ["--remount-ro", mount]
    command += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", SANDBOX_WORKDIR]
    command += ["--clearenv"]
    for key, value in {"PATH": SANDBOX_PATH, **env}.items():
        command += ["--setenv", key, value]
    return [*command, "--", *argv]


def reachable_by(path: str, uid: int, gid: int) -> bool:
    """Whether `uid` (in group `gid` only, as the sandbox runs) may look `path` up: every
    folder above it, as written and with symlinks resolved, lets it pass (mode bits; an ACL
    that would let it is not read, which only stages what did not need it)."""
    for chain in {Path(path), Path(os.path.realpath(path))}:
        for folder in chain.parents:
            try:
                info = os.stat(folder)
            except OSError:
                return False
            if info.st_uid == uid:
                bit = stat.S_IXUSR
            elif info.st_gid == gid:
                bit = stat.S_IXGRP
            else:
                bit = stat.S_IXOTH
            if not info.st_mode & bit:
                return False
    return True


def _stage_points(sources: Sequence[str], uid: int, gid: int) -> dict[str, str]:
    """A mount point in GRADER_STAGE_DIR for each source the sandbox uid cannot reach."""
    unreachable = [
        source for source in dict.fromkeys(sources) if not reachable_by(source, uid, gid)
    ]
    if not unreachable:
        return {}
    _stage_dir_ready()
    points = {}
    for index, source in enumerate(unreachable):
        is_dir = os.path.isdir(source)
        point = settings.GRADER_STAGE_DIR / f"{'d' if is_dir else 'f'}{index}"
        if not os.path.lexists(point):
            if is_dir:
                point.mkdir(mode=0o755)
            else:
                point.touch(mode=0o644)
        if point.is_symlink() or point.is_dir() != is_dir:
            raise SandboxUnavailable(f"{point} is not a mount point this sandbox made")
        points[source] = str(point)
    return points


def _stage_dir_ready() -> None:
    """GRADER_STAGE_DIR exists, is root's and nobody else may write in it (what is mounted
    over its entries becomes what learner code runs with: another user must not swap them)."""
    stage_dir = settings.GRADER_STAGE_DIR
    with contextlib.suppress(FileExistsError):
        stage_dir.mkdir(mode=0o755, parents=True)
    info = os.lstat(stage_dir)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxUnavailable(
            f"{stage_dir} must be a folder of root's that only root may write to "
            "(set GRADER_STAGE_DIR to another one)"
        )


@cache
def _unshare_path() -> str | None:
    return shutil.which("unshare", path=SANDBOX_PATH + os.pathsep + "/usr/sbin:/sbin")


def _stager_command(staged: Mapping[str, str], setpriv: str | None) -> list[str]:
    """What runs first, as root: a private mount namespace with the staged binds in it."""
    unshare = _unshare_path()
    if unshare is None or setpriv is None or shutil.which("mount", path=SANDBOX_PATH) is None:
        raise SandboxUnavailable(
            "the sandbox cannot reach files under a folder only its owner may enter, and "
            "util-linux's unshare, mount and setpriv are needed to bind them for it: install "
            "util-linux and mount (apt-get install util-linux mount)"
        )
    pairs = [path for source, point in staged.items() for path in (source, point)]
    # unshare makes the new namespace's mounts private: nothing propagates to the host.
    return [unshare, "--mount", "/bin/sh", "-c", _STAGER, "zachet-stage", str(len(staged)), *pairs]


def _unsandboxed_command(
    argv: Sequence[str],
    workdir: Path,
    env: Mapping[str, str],
    ro_binds: Sequence[tuple[str, str]],
) -> tuple[list[str], dict[str, str]]:
    """Map sandbox paths to host paths: /work/... to the work directory, bind targets to sources."""
    binds = [(target, source) for source, target in ro_binds]
    binds.append((SANDBOX_WORKDIR, str(workdir)))

    def host_path(value: str) -> str:
        for inside, outside in binds:
            if value == inside or value.startswith(inside + "/"):
                return outside + value[len(inside) :]
        return value

    return [host_path(arg) for arg in argv], {
        "PATH": SANDBOX_PATH,
        **{key: host_path(value) for key, value in env.items()},
    }


@dataclass
class _Pumped:
    """What _pump read from a running command, and why it stopped."""

    buffers: dict[str, bytearray]
    truncated: dict[str, bool]
    timed_out: bool
    cpu_exceeded: bool
    exited: bool


def _pump(
    streams: Mapping[str, int],
    exit_fd: int,
    limits: Limits,
    cgroups: _RunCgroups,
    started: float,
    cpu_before: float,
) -> _Pumped:
    """Read `streams` (stdout and stderr, capped at the output limit; "status", a small
    uncapped report) until the command exits (`exit_fd` turns readable) and they end; stop at
    the wall-clock deadline, at the output cap, or when all its processes together used up the
    CPU time (counted from `cpu_before`, what a warm start used before its work arrived)."""
    cap = limits.output_kb * 1024
    deadline = started + limits.wall_seconds
    pumped = _Pumped({name: bytearray() for name in streams}, {}, False, False, False)
    buffers, truncated = pumped.buffers, pumped.truncated
    exit_grace: float | None = None
    cpu_poll = 0.1 if cgroups.cpu else None
    selector = selectors.DefaultSelector()
    for name, fd in streams.items():
        selector.register(fd, selectors.EVENT_READ, name)
        if name != "status":
            truncated[name] = False
    selector.register(exit_fd, selectors.EVENT_READ, "exit")
    try:
        while selector.get_map():
            now = time.monotonic()
            if exit_grace is None and now >= deadline:
                pumped.timed_out = True
                break
            if exit_grace is not None and now >= exit_grace:
                break  # it exited; whatever still holds a pipe dies with its namespace
            if cpu_poll and exit_grace is None:
                used = cgroups.cpu_seconds()
                if used is not None and used - cpu_before >= limits.cpu_seconds:
                    pumped.cpu_exceeded = True
                    break
            wait = (exit_grace or deadline) - now
            for key, _ in selector.select(min(wait, cpu_poll or wait)):
                if key.data == "exit":
                    pumped.exited = True
                    exit_grace = time.monotonic() + 1.0
                    selector.unregister(exit_fd)
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer = buffers[key.data]
                if key.data == "status":
                    buffer += chunk[: 4096 - len(buffer)]
                    continue
                room = cap - len(buffer)
                buffer += chunk[:room]
                truncated[key.data] |= len(chunk) > room
            if any(truncated.values()):
                break
    finally:
        selector.close()
    return pumped


def _result(
    pumped: _Pumped,
    *,
    limits: Limits,
    cgroups: _RunCgroups,
    started: float,
    cpu: float,
    returncode: int | None,
    signal: int | None,
) -> SandboxResult:
    """The result of a command whose end `pumped` saw: `returncode` (128 + N for a command
    killed by signal N, with `signal` N; None when we killed it), `cpu` its CPU seconds."""
    killed = not pumped.exited
    if killed:
        returncode, signal = None, signals.SIGKILL
    # RLIMIT_CPU (per process) sends SIGXCPU at the soft and SIGKILL at the hard limit.
    cpu_exceeded = pumped.cpu_exceeded or signal == signals.SIGXCPU
    cpu_exceeded |= signal == signals.SIGKILL and not killed and cpu >= limits.cpu_seconds
    return SandboxResult(
        returncode=returncode,
        stdout=bytes(pumped.buffers["stdout"]),
        stderr=bytes(pumped.buffers["stderr"]),
        stdout_truncated=pumped.truncated["stdout"],
        stderr_truncated=pumped.truncated["stderr"],
        timed_out=pumped.timed_out,
        cpu_exceeded=cpu_exceeded,
        memory_exceeded=cgroups.oom_killed(),
        wall_seconds=time.monotonic() - started,
        cpu_seconds=cpu,
        signal=signal,
    )


def _supervise(
    process: subprocess.Popen[bytes],
    limits: Limits,
    cgroups: _RunCgroups,
    started: float,
    status_fd: int,
    cpu_before: float = 0.0,
) -> SandboxResult:
    """Supervise bwrap (see _pump) to its end, then reap it and its namespace's init."""
    assert process.stdout is not None
    assert process.stderr is not None
    pidfd = os.pidfd_open(process.pid)
    streams = {
        "stdout": process.stdout.fileno(),
        "stderr": process.stderr.fileno(),
        "status": status_fd,
    }
    pumped = _Pumped({}, {}, False, False, False)
    try:
        pumped = _pump(streams, pidfd, limits, cgroups, started, cpu_before)
    finally:
        if not pumped.exited:
            _kill_sandbox(process.pid, pidfd)
        process.stdout.close()
        process.stderr.close()
        _, status, usage = os.wait4(process.pid, 0)
        os.close(pidfd)
        # bwrap has exited: what it reported and the loop did not read (a run stopped at
        # once) is in the pipe, and names the init to reap.
        report = pumped.buffers.setdefault("status", bytearray())
        while len(report) < 4096 and select.select([status_fd], [], [], 0)[0]:
            chunk = os.read(status_fd, 4096)
            if not chunk:
                break
            report += chunk[: 4096 - len(report)]
        os.close(status_fd)
        process.returncode = os.waitstatus_to_exitcode(status)
        init_usage = _reap_orphaned_init(bytes(report))
        cgroups.kill_all()
    cpu = cgroups.cpu_seconds()
    if cpu is None:  # without a cgroup: what the namespace's init reaped (a lower bound)
        cpu = usage.ru_utime + usage.ru_stime + init_usage
    returncode: int | None = process.returncode
    signal: int | None = None
    if process.returncode < 0:  # the launcher or bwrap itself died of a signal
        returncode, signal = 128 - process.returncode, -process.returncode
    elif 128 < process.returncode <= 128 + 64:
        signal = process.returncode - 128
    return _result(
        pumped,
        limits=limits,
        cgroups=cgroups,
        started=started,
        cpu=max(0.0, cpu - cpu_before),
        returncode=returncode,
        signal=signal,
    )


_subreaper_lock = threading.Lock()
_subreaper_users = 0


@contextlib.contextmanager
def _subreaper() -> Iterator[None]:
    """Be a child subreaper while sandboxes run, so the namespace init bwrap leaves behind
    becomes our child (to reap at once) instead of a zombie of the host's init, counting
    against the sandbox uid's RLIMIT_NPROC until that init gets round to it."""
    global _subreaper_users
    with _subreaper_lock:
        if _subreaper_users == 0:
            _set_child_subreaper(1)
        _subreaper_users += 1
    try:
        yield
    finally:
        with _subreaper_lock:
            _subreaper_users -= 1
            if _subreaper_users == 0:
                _set_child_subreaper(0)


def _set_child_subreaper(value: int) -> None:
    pr_set_child_subreaper = 36
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, value, 0, 0, 0)


def _reap_orphaned_init(status: bytes) -> float:
    """Reap the namespace init whose pid bwrap reported (bwrap exits on the init's exit report
    without waiting for it); the CPU seconds it and its reaped children used."""
    match = re.search(rb'"child-pid"\s*:\s*(\d+)', status)
    if not match:
        return 0.0
    pid = int(match.group(1))
    deadline = time.monotonic() + 2
    while True:
        try:
            reaped, _, usage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            return 0.0  # bwrap reaped it, or it was never ours
        if reaped:
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            return 0.0
        time.sleep(0.002)


def _kill_sandbox(pid: int, pidfd: int) -> None:
    """Kill bwrap's child, the init of the sandbox's PID namespace: the kernel then kills every
    learner process (setsid or not) and bwrap, still the init's parent, reaps it and exits.
    (Killing bwrap first would orphan the init: a zombie until the host's init reaps it.)"""
    for child in _children(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(child, signals.SIGKILL)
    if not select.select([pidfd], [], [], 1.0)[0]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signals.SIGKILL)


def _children(pid: int) -> list[int]:
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, ValueError):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                children += [int(child) for child in text.split()]
    return children


def _processes_of(uid: int) -> int:
    """Tasks (threads count for RLIMIT_NPROC) the uid already has: 0 for a dedicated sandbox uid;
    for an unprivileged worker running learner code as itself, its own processes."""
    if os.geteuid() == 0:
        return 0
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


class _RunCgroups:
    """Per-run children of our own cgroups, where we may create them: memory (a hard limit on
    the resident memory of all processes together, tmpfs included) and CPU accounting (the CPU
    time of every process, which rusage cannot give: bwrap never reaps its PID-namespace init)."""

    def __init__(self, memory: Path | None, cpu: Path | None, version: int) -> None:
        self.memory = memory
        self.cpu = cpu
        self.version = version

    @property
    def procs_files(self) -> list[Path]:
        return [
            path / "cgroup.procs" for path in dict.fromkeys(p for p in (self.memory, self.cpu) if p)
        ]

    @classmethod
    def create(cls, *, memory_bytes: int, owner: int | None) -> _RunCgroups:
        name = f"zachet-{secrets.token_hex(6)}"
        version, parents = _own_cgroups()
        groups = cls(None, None, version)
        for controller in ("memory", "cpuacct"):
            parent = parents.get(controller)
            if parent is None:
                continue
            path = parent / name
            try:
                path.mkdir(exist_ok=True)
                if controller == "memory":
                    groups._limit_memory(path, memory_bytes)
                if owner is not None:
                    # The launcher runs as the sandbox uid and moves itself in.
                    os.chown(path / "cgroup.procs", owner, -1)
            except OSError as exc:
                logger.info("cgroup %s unusable (%s); doing without", path, exc)
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            if controller == "memory":
                groups.memory = path
            else:
                groups.cpu = path
        return groups

    def _limit_memory(self, path: Path, limit_bytes: int) -> None:
        if self.version == 1:
            (path / "memory.limit_in_bytes").write_text(str(limit_bytes))
            with contextlib.suppress(OSError):  # no swap accounting: nothing to limit
                (path / "memory.memsw.limit_in_bytes").write_text(str(limit_bytes))
        else:
            (path / "memory.max").write_text(str(limit_bytes))
            with contextlib.suppress(OSError):
                (path / "memory.swap.max").write_text("0")

    def oom_killed(self) -> bool:
        if self.memory is None:
            return False
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        return _keyed_value(self.memory / name, "oom_kill") > 0

    def cpu_seconds(self) -> float | None:
        if self.cpu is None:
            return None
        try:
            if self.version == 1:
                return int((self.cpu / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            return None
        return _keyed_value(self.cpu / "cpu.stat", "usage_usec") / 1e6

    def kill_all(self) -> None:
        for procs in self.procs_files:
            try:
                pids = [int(pid) for pid in procs.read_text().split()]
            except (OSError, ValueError):
                continue
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signals.SIGKILL)

    def remove(self) -> None:
        deadline = time.monotonic() + 5
        for path in dict.fromkeys(p for p in (self.memory, self.cpu) if p):
            while True:
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        logger.warning("could not remove cgroup %s: %s", path, exc)
                        break
                    self.kill_all()
                    time.sleep(0.01)


def _keyed_value(path: Path, key: str) -> int:
    """A value from a cgroup file of `key value` lines (0 when missing)."""
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


@cache
def _own_cgroups() -> tuple[int, dict[str, Path]]:
    """The cgroup version and this process's writable memory and cpuacct cgroup directories
    (v1), or its v2 cgroup for both where it delegates the controllers."""
    if not settings.GRADER_SANDBOX_CGROUP:
        return 1, {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return 1, {}
    found: dict[str, Path] = {}
    for line in lines:
        hierarchy, controllers, relative = line.split(":", 2)
        for controller in ("memory", "cpuacct"):
            if controller in controllers.split(","):
                base = Path("/sys/fs/cgroup", controllers) / relative.lstrip("/")
                if base.is_dir() and os.access(base, os.W_OK) and " " not in str(base):
                    found[controller] = base
        if hierarchy == "0" and controllers == "" and not found:
            base = Path("/sys/fs/cgroup") / relative.lstrip("/")
            try:
                enabled = (base / "cgroup.subtree_control").read_text().split()
            except OSError:
                continue
            if os.access(base, os.W_OK) and " " not in str(base):
                if "memory" in enabled:
                    found["memory"] = base
                if "cpu" in enabled:
                    found["cpuacct"] = base
                return 2, found
    return 1, found
