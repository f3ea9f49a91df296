"""A zygote: one long-lived process of a sandbox that forks a process for each run, already loaded.

Runs inside the sandboxes (standard library only), in both of a Python run's processes: the
test process (python_harness.py --zygote) and the learner process (python_learner.py --zygote).
The worker's side is SandboxZygote in grader/sandbox.py.

Each request comes on the control socket (SOCK_SEQPACKET) as JSON ({"cpu": [soft, hard]}, and
what the caller's `before_fork` and `child` read) with the child's descriptors attached
(SCM_RIGHTS: its stdin, stdout, stderr, then the run's own); the reply is {"pid": n} once the
child is forked, then {"pid": n, "status": wait status, "cpu": seconds} when it has ended. An
empty request, or the worker gone, ends the zygote. One child at a time; before each fork,
every other process of the sandbox is killed.

The learner's zygote runs learner code in its children, so each child first makes itself a
sandbox of its own inside the zygote's (`isolate`): a user, mount and IPC namespace of its own,
new empty tmpfs mounts over /work, /tmp and /dev/shm, every capability dropped. Nothing a run
leaves (files, IPC objects) reaches the next, which may be another learner's, and nothing in the
child reaches the zygote (which is not dumpable: no ptrace, no /proc/2/mem or /proc/2/root).
"""

from __future__ import annotations

import fcntl
import os
import resource
import signal
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def serve(
    control_fd: int,
    child_fds: int,
    before_fork: Callable[[dict], None],
    prepare: Callable[[list[int], dict], None],
    run: Callable[[], int],
) -> None:
    """Serve the worker's requests on `control_fd`: `before_fork(request)` in the zygote (after
    the last child's processes are gone), then in the forked child `prepare(fds, request)` and
    `run()`, whose return is its exit status. The zygote answers {"pid": n} only once the child
    is prepared; a child that could not be ends with the zygote's answer {"pid": n, "status":
    ...} instead (the worker's SandboxZygote.fork raises: nothing of a run's is charged)."""
    import gc
    import json
    import socket

    if os.getpid() != 2:  # not bwrap's PID namespace (its init is 1): cleaning up would
        raise SystemExit("the zygote runs only as the command of its own sandbox")
    _prctl(PR_SET_DUMPABLE, 0)  # (a learner's child of the same uid must not reach us)
    control = socket.socket(fileno=control_fd)
    inherited = _inherited()
    gc.freeze()  # what is loaded now is shared with every child, never copied
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 4096, child_fds)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        if not isinstance(request, dict) or len(fds) != child_fds:
            raise SystemExit(f"a request came with {len(fds)} descriptors, not {child_fds}")
        kill_others()
        if _inherited() != inherited:  # (its uid's processes may lower them: no way back up)
            raise SystemExit("the zygote's limits or scheduling were changed: it ends")
        before_fork(request)
        gc.freeze()  # (what before_fork loaded too)
        ready_read, ready_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            status = 70
            try:
                control.close()
                os.close(ready_read)
                _ready[:] = [ready_write]
                prepare(fds, request)  # (which ends with become_child: it says "ready")
                if _ready:
                    raise SystemExit("the child was prepared without become_child")
                status = run()
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(status)
        for fd in (*fds, ready_write):
            os.close(fd)
        prepared = os.read(ready_read, 1) == b"1"
        os.close(ready_read)
        if prepared:
            control.send(json.dumps({"pid": pid}).encode())
        _, status, usage = os.wait4(pid, 0)
        cpu = usage.ru_utime + usage.ru_stime
        control.send(json.dumps({"pid": pid, "status": status, "cpu": cpu}).encode())


_ready: list[int] = []  # in a child: the pipe on which it tells its zygote it is prepared


def become_child(fds: list[int], request: dict, workdir: str) -> None:
    """The forked child's own descriptors (0, 1, 2, ... as sent, nothing else), session and
    CPU limit; its other limits are the zygote's (the sandbox's, of the run's limits). The
    last step of a child's preparing: then it tells its zygote it is ready."""
    os.setsid()
    soft, hard = request["cpu"]
    resource.setrlimit(resource.RLIMIT_CPU, (int(soft), int(hard)))
    os.chdir(workdir)
    # Each copied above every target first, so that no dup2 overwrites a source.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, len(fds)) for fd in fds]
    ready = fcntl.fcntl(_ready.pop(), fcntl.F_DUPFD, len(fds))
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(len(fds), ready)
    os.closerange(ready + 1, 65536)
    os.write(ready, b"1")
    os.close(ready)


_IOPRIO_GET = {"x86_64": 252, "aarch64": 31}  # (glibc has no ioprio_get of its own)


def _inherited() -> tuple[object, ...]:
    """What each child inherits of the zygote that another process of the same uid may change
    with no ptrace access (prlimit, setpriority, sched_setscheduler, sched_setaffinity,
    ioprio_set): a learner's child could set them for every later child, another learner's
    (smaller limits, an idle CPU priority). Raising a limit back needs a capability we lack."""
    limits = [getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")]
    ioprio = _IOPRIO_GET.get(os.uname().machine)
    return (
        [resource.getrlimit(limit) for limit in sorted(limits)],
        os.getpriority(os.PRIO_PROCESS, 0),
        os.sched_getscheduler(0),
        os.sched_getparam(0).sched_priority,
        sorted(os.sched_getaffinity(0)),
        None if ioprio is None else _c().syscall(ioprio, 1, 0),  # type: ignore[attr-defined]
    )


def kill_others() -> None:
    """Every other process of the sandbox killed (init, pid 1, and this one are spared by
    kill(-1)), and gone: nothing of the last child runs when the next one starts."""
    try:  # noqa: SIM105 - (contextlib would cost an import)
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass  # (nothing else runs)
    for _ in range(500):  # until the killed are gone (init reaps them): at most ~1 s
        others = [pid for pid in os.listdir("/proc") if pid.isdigit() and pid not in ("1", "2")]
        if not others:
            return
        time.sleep(0.002)
    raise SystemExit("the last run's processes would not end")


# --- a learner's child: a sandbox of its own --------------------------------------------------

PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
MS_NOSUID, MS_NODEV = 2, 4
KEYCTL_JOIN_SESSION_KEYRING = 1
_KEYCTL_SYSCALL = {"x86_64": 250, "aarch64": 219}  # (glibc has no keyctl of its own)
_CAPABILITY_VERSION_3 = 0x20080522

_libc = None


def _c() -> object:
    global _libc
    if _libc is None:
        import ctypes

        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def prepare_isolation() -> None:
    """Load what `isolate` uses in the zygote, once (ctypes costs ~4 ms an import)."""
    _c()


def _checked(result: int, what: str) -> None:
    if result != 0:
        import ctypes

        raise SystemExit(f"{what}: {os.strerror(ctypes.get_errno())}")


def _prctl(option: int, value: int, what: str = "prctl") -> None:
    _checked(_c().prctl(option, value, 0, 0, 0), what)  # type: ignore[attr-defined]


def isolate(mounts: dict) -> None:
    """Make this process (a learner's child of the zygote) a sandbox of its own: new user,
    mount and IPC namespaces (with them, keyrings of its own: a new session keyring), an
    empty tmpfs of the given size over each of `mounts` (path ->
    bytes), no capabilities in any namespace (bounding set, permitted, effective, inheritable,
    ambient), no new privileges. Fails closed: any step that does not take ends the child."""
    import ctypes

    libc = _c()
    uid, gid = os.geteuid(), os.getegid()
    _prctl(PR_SET_DUMPABLE, 1, "dumpable")  # (its own /proc files, for the maps below)
    _checked(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC), "unshare")  # type: ignore[attr-defined]
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):  # fmt: skip
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)
    keyctl = _KEYCTL_SYSCALL.get(os.uname().machine)
    if keyctl is not None:  # a new session keyring: the zygote's would be every child's
        libc.syscall.restype = ctypes.c_long  # type: ignore[attr-defined]
        joined = libc.syscall(keyctl, KEYCTL_JOIN_SESSION_KEYRING, None)  # type: ignore[attr-defined]
        if joined < 0:
            raise SystemExit(f"a session keyring: {os.strerror(ctypes.get_errno())}")
    for path, size in mounts.items():
        options = f"size={int(size)},mode=0755".encode()
        _checked(
            libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options),  # type: ignore[attr-defined]
            f"mount {path}",
        )
    with open("/proc/sys/kernel/cap_last_cap") as file:
        last = int(file.read())
    for capability in range(last + 1):
        _prctl(PR_CAPBSET_DROP, capability, "capability bounding set")
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, "ambient capabilities")
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: twice, all empty
    _checked(libc.capset(header, data), "capset")  # type: ignore[attr-defined]
    _prctl(PR_SET_NO_NEW_PRIVS, 1, "no new privileges")
    with open("/proc/self/status") as file:
        status = dict(line.split(":", 1) for line in file.read().splitlines() if ":" in line)
    for field in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        if int(status[field].strip(), 16):
            raise SystemExit(f"capabilities left after dropping them: {field}")
    if status["NoNewPrivs"].strip() != "1":
        raise SystemExit("no_new_privs did not take")
