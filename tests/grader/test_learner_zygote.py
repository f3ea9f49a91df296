"""The learner's zygote: a worker's learner processes are forks of one loaded learner process
(python_learner.zygote), each of which makes itself a sandbox of its own before it reads its
work (python_zygote.isolate). Learner code is hostile here: what one run leaves must not reach
the next (another learner's), and nothing in a child may reach the zygote or keep a capability.
Each check is learner code, run through the runner as a worker runs it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from grader import sandbox
from grader.runners import RunReport, run_tests
from grader.runners import python as python_runner
from grader.sandbox import ForkedSandbox, Limits, StartedSandbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.no_database,
    pytest.mark.usefixtures("need_sandbox", "no_leftover_processes", "zygotes"),
]

LIMITS = Limits(cpu_seconds=2, wall_seconds=3, memory_mb=256, output_kb=64)
OK_TESTS = """import unittest

from probe import probe


class ProbeTest(unittest.TestCase):
    def test_probe(self):
        self.assertEqual(probe(), "ok")
"""


@pytest.fixture
def zygotes(no_leftover_processes: None, settings: Any) -> Iterator[None]:
    # Depends on the leftover check so that the zygotes are gone before it looks.
    settings.GRADER_PYTHON_ZYGOTE = True
    settings.GRADER_PYTHON_LEARNER_ZYGOTE = True
    python_runner._warm_state["learner_failures"] = 0
    python_runner.python_warm_start(True)
    try:
        yield
    finally:
        python_runner.python_warm_start(False)
        python_runner._warm_state["learner_failures"] = 0


def run(solution: str, tests: str = OK_TESTS) -> RunReport:
    return run_tests(
        language="python",
        files={"probe.py": solution},
        test_files={"test_probe.py": tests},
        limits=LIMITS,
    )


def passed(report: RunReport) -> bool:
    return report.verdict == "passed"


def explain(report: RunReport) -> str:
    return f"{report.verdict}: {report.message} {[t.message for t in report.tests]}"


def waiting() -> python_runner._Warm:
    python_runner.python_warm_wait()
    ready = python_runner._warm_state["next"]
    assert ready is not None
    return ready


def learner_zygote_pid() -> int:
    (zygote,) = (found[0] for key, found in python_runner._zygotes.items() if key[0] == "learner")
    return zygote._sandbox.pid


OK = "def probe():\n    return 'ok'\n"


def test_a_worker_s_learner_processes_are_forks_of_one_zygote() -> None:
    first = run(OK)
    ready = waiting()
    zygote = learner_zygote_pid()

    second = run(OK)

    assert passed(first), explain(first)
    assert passed(second), explain(second)
    assert isinstance(ready.learner, ForkedSandbox)
    assert ready.learner_forked
    assert learner_zygote_pid() == zygote
    assert waiting().learner.pid != ready.learner.pid  # a child a run


LEAVE_THINGS_BEHIND = """import ctypes
import os
import time
import subprocess


def probe():
    subprocess.Popen(["sleep", "60"], start_new_session=True)
    for path in ("/tmp/left", "/dev/shm/left", "left.txt"):
        with open(path, "w") as file:
            file.write("left")
    os.makedirs("locked/inner")
    os.chmod("locked", 0o500)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.msgget(0x5A5A, 0o1666) < 0:  # a System V message queue (IPC_CREAT | 0666)
        return "msgget failed"
    libc.syscall.restype = ctypes.c_long
    for keyring in (-3, -4, -5):  # its session, user and user-session keyrings: add_key
        if libc.syscall(ADD_KEY, b"user", b"zachet-left", b"left", 4, ctypes.c_long(keyring)) < 0:
            return f"add_key failed: {os.strerror(ctypes.get_errno())}"
    return "ok"
"""
LOOK_AROUND = """import ctypes
import os
import time


def probe():
    return {
        "tmp": os.listdir("/tmp"),
        "shm": os.listdir("/dev/shm"),
        "work": sorted(os.listdir(".")),
        "others": sorted(
            {int(p) for p in os.listdir("/proc") if p.isdigit()} - {1, 2, os.getpid()}
        ),
        "queue": ctypes.CDLL(None).msgget(0x5A5A, 0),
        "keys": [  # keyctl(KEYCTL_SEARCH, keyring, "user", "zachet-left", 0)
            ctypes.CDLL(None).syscall(KEYCTL, 10, ctypes.c_long(keyring), b"user",
                                      b"zachet-left", 0)
            for keyring in (-3, -4, -5)
        ],
    }
"""
NOTHING_LEFT_TESTS = """import unittest

from probe import probe


class ProbeTest(unittest.TestCase):
    def test_probe(self):
        self.assertEqual(
            probe(),
            {"tmp": [], "shm": [], "work": ["probe.py"], "others": [], "queue": -1,
             "keys": [-1, -1, -1]},
        )
"""


# The keyring system calls' numbers (glibc has no wrapper): add_key and keyctl.
SYSCALLS = {"x86_64": (248, 250), "aarch64": (217, 219)}


def test_nothing_a_learner_leaves_reaches_the_next_run() -> None:
    add_key, keyctl = SYSCALLS[os.uname().machine]
    numbers = f"ADD_KEY, KEYCTL = {add_key}, {keyctl}\n"
    left = run(LEAVE_THINGS_BEHIND.replace("\n\n\ndef", f"\n{numbers}\n\ndef", 1))
    zygote = learner_zygote_pid()

    clean = run(LOOK_AROUND.replace("\n\n\ndef", f"\n{numbers}\n\ndef", 1), NOTHING_LEFT_TESTS)

    assert passed(left), explain(left)
    assert passed(clean), explain(clean)
    assert learner_zygote_pid() == zygote  # the same zygote: its next child saw none of it


REACH_FOR_THE_ZYGOTE = """import ctypes
import os
import time


def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    found = {}
    for path in ("/proc/2/mem", "/proc/2/environ", "/proc/2/maps"):
        try:
            with open(path, "rb") as file:
                file.read(1)
            found[path] = "read"
        except OSError as exc:
            found[path] = exc.errno
    for path in ("/proc/2/root/tmp", "/proc/1/root/tmp", "/proc/2/cwd"):
        try:
            os.listdir(path)
            found[path] = "listed"
        except OSError as exc:
            found[path] = exc.errno
    def refused(result):
        return ctypes.get_errno() if result else "done"

    found["ptrace"] = refused(libc.ptrace(16, 2, 0, 0))  # PTRACE_ATTACH
    found["umount"] = refused(libc.umount2(b"/work", 2))  # MNT_DETACH
    found["mount"] = refused(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None))
    with open("/proc/self/status") as file:
        status = dict(line.split(":", 1) for line in file.read().splitlines() if ":" in line)
    found["capabilities"] = [
        int(status[name], 16) for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
    ]
    found["no_new_privs"] = status["NoNewPrivs"].strip()
    # New namespaces of its own give it capabilities there, but our mounts stay: locked.
    child = os.fork()
    if child == 0:
        if libc.unshare(0x10000000 | 0x00020000):  # CLONE_NEWUSER | CLONE_NEWNS
            os._exit(100)
        os._exit(0 if libc.umount2(b"/work", 2) == 0 else 1)
    found["nested umount"] = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    return found
"""
NOTHING_REACHED_TESTS = """import unittest

from probe import probe

EACCES, EPERM = 13, 1


class ProbeTest(unittest.TestCase):
    def test_probe(self):
        found = probe()
        self.assertEqual(found.pop("nested umount"), 1)  # refused: our mounts are locked
        self.assertEqual(found, {
            "/proc/2/mem": EACCES, "/proc/2/environ": EACCES, "/proc/2/maps": EACCES,
            "/proc/2/root/tmp": EACCES, "/proc/1/root/tmp": EACCES, "/proc/2/cwd": EACCES,
            "ptrace": EPERM, "umount": EPERM, "mount": EPERM,
            "capabilities": [0, 0, 0, 0, 0], "no_new_privs": "1",
        })
"""


def test_a_learner_reaches_nothing_of_its_zygote_and_keeps_no_capability() -> None:
    run(OK)  # (the zygote is warm: the next run is one of its children)

    report = run(REACH_FOR_THE_ZYGOTE, NOTHING_REACHED_TESTS)

    assert isinstance(waiting().learner, ForkedSandbox)
    assert passed(report), explain(report)


KILL_THE_ZYGOTE = """import os
import signal
import time


def probe():
    os.kill(2, signal.SIGKILL)  # its zygote: pid 2 of the sandbox's namespace
    time.sleep(2)
    return "ok"
"""


def test_a_learner_that_kills_its_zygote_loses_its_own_run_only() -> None:
    run(OK)
    zygote = learner_zygote_pid()

    killed = run(KILL_THE_ZYGOTE)
    after = run(OK)

    assert killed.verdict == "runtime_error", explain(killed)
    assert passed(after), explain(after)
    assert learner_zygote_pid() != zygote  # a new one


RANDOM = "import random\n\ndef probe():\n    print(random.random())\n    return 'ok'\n"


def test_each_run_draws_its_own_random_numbers() -> None:
    run(RANDOM)  # (the next child's zygote has imported random ahead)
    assert "random" in waiting().preload

    first, second = run(RANDOM), run(RANDOM)

    assert passed(first), explain(first)
    assert passed(second), explain(second)
    assert first.tests[0].output
    assert first.tests[0].output != second.tests[0].output


def test_a_host_where_children_cannot_isolate_falls_back_to_new_sandboxes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A mount that cannot be made: each child ends before it is ready; no run is charged.
    monkeypatch.setattr(python_runner, "private_mount_sizes", lambda limits: {"/nowhere": 4096})

    reports = [run(OK) for _ in range(python_runner._LEARNER_FORK_TRIES + 1)]

    assert all(passed(report) for report in reports), [explain(r) for r in reports]
    assert isinstance(waiting().learner, StartedSandbox)  # a new learner sandbox, as before
    assert not waiting().learner_forked


# The zygote is the learner's uid: system calls that need no ptrace access (prlimit, the nice
# value, the scheduler, the CPU affinity) reach it from its child, and its later children
# inherit what they set: another learner's run with smaller limits, or starved of CPU.
TAMPER_WITH_THE_ZYGOTE = """import ctypes
import os
import resource


def probe():
    ioprio_set = {"x86_64": 251, "aarch64": 30}[os.uname().machine]
    ctypes.CDLL(None).syscall(ioprio_set, 1, 2, 3 << 13)  # (the process 2, the idle class)
    resource.prlimit(2, resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    resource.prlimit(2, resource.RLIMIT_STACK, (1 << 20, 1 << 20))
    os.setpriority(os.PRIO_PROCESS, 2, 19)
    os.sched_setaffinity(2, {min(os.sched_getaffinity(2))})
    os.sched_setscheduler(2, os.SCHED_IDLE, os.sched_param(0))
    return "ok"
"""
SHOW_MY_PROCESS = """import ctypes
import os
import resource


def probe():
    print(
        [resource.getrlimit(limit) for limit in (resource.RLIMIT_FSIZE, resource.RLIMIT_STACK,
                                                 resource.RLIMIT_NOFILE, resource.RLIMIT_AS)],
        os.getpriority(os.PRIO_PROCESS, 0), sorted(os.sched_getaffinity(0)),
        os.sched_getscheduler(0),
        ctypes.CDLL(None).syscall({"x86_64": 252, "aarch64": 31}[os.uname().machine], 1, 0),
    )
    return "ok"
"""


def test_a_learner_cannot_change_the_limits_or_scheduling_of_the_next_run() -> None:
    run(OK)
    before = run(SHOW_MY_PROCESS)  # a child of the zygote, untouched
    zygote = learner_zygote_pid()

    tampered = run(TAMPER_WITH_THE_ZYGOTE)
    after = run(SHOW_MY_PROCESS)  # the next learner's run

    assert passed(before), explain(before)
    assert passed(tampered), explain(tampered)
    assert passed(after), explain(after)
    assert before.tests[0].output
    assert after.tests[0].output == before.tests[0].output
    waiting()  # (the run after the next one's zygote: started once this run returned)
    assert learner_zygote_pid() != zygote  # a changed zygote ends itself: it forks no more


LEAVE_A_LISTENER = """import os
import socket
import time


def probe():
    if os.fork() == 0:  # a process that keeps changing its pid: each generation forks the next
        os.setsid()
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind("\\0zachet-left")
        unix.listen()
        tcp = socket.socket()
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", 47123))
        tcp.listen()
        while True:
            try:
                if os.fork():
                    os._exit(0)
            except OSError:
                time.sleep(0.001)
    return "ok"
"""
KNOCK = """import socket


def probe():
    found = []
    for family, address in ((socket.AF_UNIX, "\\0zachet-left"),
                            (socket.AF_INET, ("127.0.0.1", 47123))):
        try:
            socket.socket(family).connect(address)
            found.append("connected")
        except OSError as exc:
            found.append(type(exc).__name__)
    return found
"""
NOBODY_LISTENS_TESTS = """import unittest

from probe import probe


class ProbeTest(unittest.TestCase):
    def test_probe(self):
        self.assertEqual(probe(), ["ConnectionRefusedError", "ConnectionRefusedError"])
"""


def test_a_listener_a_learner_leaves_in_the_shared_network_is_gone_for_the_next_run() -> None:
    run(OK)
    zygote = learner_zygote_pid()

    left = run(LEAVE_A_LISTENER)
    knocked = run(KNOCK, NOBODY_LISTENS_TESTS)

    assert passed(left), explain(left)
    assert passed(knocked), explain(knocked)
    assert isinstance(waiting().learner, ForkedSandbox)
    assert learner_zygote_pid() == zygote  # its next child, in the same network namespace


STOP_THE_ZYGOTE = """import os
import signal


def probe():
    os.kill(2, signal.SIGSTOP)
    return "ok"
"""


def test_a_learner_that_stops_its_zygote_delays_only_its_own_run() -> None:
    run(OK)
    zygote = learner_zygote_pid()

    started = time.monotonic()
    stopped = run(STOP_THE_ZYGOTE)
    took = time.monotonic() - started
    after = run(OK)

    assert took < LIMITS.wall_seconds + 2 * sandbox._ZYGOTE_ANSWER_SECONDS, took
    assert passed(after), explain(after)
    assert passed(stopped), explain(stopped)  # (the verdict is the test process's)
    assert learner_zygote_pid() != zygote  # a stopped zygote is discarded, not waited for


def test_learners_who_make_their_zygote_end_itself_do_not_turn_it_off() -> None:
    # Each changed zygote ends itself and fails the next fork (counted as the learner zygote's
    # failures are), but the run after that takes a new zygote, whose fork resets the count:
    # submissions in a row cannot count up to _LEARNER_FORK_TRIES and turn the zygote off.
    run(OK)

    tampered = [run(TAMPER_WITH_THE_ZYGOTE) for _ in range(python_runner._LEARNER_FORK_TRIES + 1)]
    after = run(OK)

    assert all(passed(report) for report in tampered), [explain(r) for r in tampered]
    assert passed(after), explain(after)
    assert isinstance(waiting().learner, ForkedSandbox)
    assert python_runner._warm_state["learner_failures"] == 0


FORK_BOMB = """import ctypes
import os
import signal


def spawn():
    count = 0
    while count < 1000:
        try:
            if os.fork() == 0:
                signal.pause()
                os._exit(0)
        except OSError:
            return count
        count += 1
    return count


def probe():
    read, write = os.pipe()
    if os.fork() == 0:  # a user namespace of its own: a process count of its own?
        ctypes.CDLL(None).unshare(0x10000000)  # CLONE_NEWUSER
        os.write(write, str(spawn()).encode())
        signal.pause()
    nested = int(os.read(read, 16))
    return {"processes": 2 + nested + spawn(), "descriptors": os.listdir("/proc/self/fd")}
"""
NO_MORE_THAN_THE_LIMIT_TESTS = """import unittest

from probe import probe


class ProbeTest(unittest.TestCase):
    def test_probe(self):
        found = probe()
        self.assertGreater(found["processes"], 10)  # (it did fork)
        self.assertLessEqual(found["processes"], LIMIT)
        # Its own (0-4: stdin, stdout, stderr, the pipes with the test process), the pipe it
        # made and the listing's: nothing of its zygote's.
        self.assertEqual(sorted(map(int, found["descriptors"])), [0, 1, 2, 3, 4, 5, 6, 7])
"""


def test_a_learner_s_processes_are_limited_in_a_user_namespace_of_its_own_too() -> None:
    # The zygote's sandbox allows one process more than the run's (the zygote itself), and
    # each child is in a user namespace of its own; the limit is the uid's all the same.
    run(OK)

    report = run(FORK_BOMB, NO_MORE_THAN_THE_LIMIT_TESTS.replace("LIMIT", str(LIMITS.processes)))

    assert isinstance(waiting().learner, ForkedSandbox)
    assert passed(report), explain(report)


REACH_BY_SYSTEM_CALLS = """import ctypes
import os


class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


def probe():
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(2)  # (allowed: it names the process, as kill does)
    # pidfd_getfd (the zygote's descriptors: its control socket among them), same number on
    # every architecture
    taken = [libc.syscall(438, pidfd, fd, 0) for fd in range(16)]
    buffer = ctypes.create_string_buffer(64)
    local = IOVec(ctypes.cast(buffer, ctypes.c_void_p), 64)
    with open("/proc/self/maps") as maps:  # (the zygote's layout is its children's)
        address = int(maps.readline().split("-")[0], 16)
    remote = IOVec(address, 64)
    read = libc.process_vm_readv(2, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    return {"getfd": sorted(set(taken)), "errno": ctypes.get_errno(), "vm_read": read}
"""
NOT_REACHED_TESTS = """import unittest

from probe import probe


class ProbeTest(unittest.TestCase):
    def test_probe(self):
        self.assertEqual(probe(), {"getfd": [-1], "errno": 1, "vm_read": -1})  # EPERM
"""


def test_a_learner_cannot_take_its_zygote_s_descriptors_or_read_its_memory() -> None:
    run(OK)

    report = run(REACH_BY_SYSTEM_CALLS, NOT_REACHED_TESTS)

    assert isinstance(waiting().learner, ForkedSandbox)
    assert passed(report), explain(report)
