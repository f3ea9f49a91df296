# ruff: noqa: E501 - the programs under test read better unwrapped
"""Our own forgers (issue 27 item 4, Python): learner code that knows our open-source harness
and tries every route to a pass it did not earn. Each runs through the real runner in the real
sandbox; none may be `passed`, and each gets a clear verdict. The learner's `add` is wrong in
all of them: a pass could only come from forging it.

Learner code runs in its own process (another sandbox, uid and PID namespace) and reaches the
tests only through the pipe, so most routes find nothing at all; the tests also check that
they found nothing (what each hostile program found is printed into its test's output)."""

from __future__ import annotations

import json

import pytest

from grader.runners import RunReport, run_tests
from grader.sandbox import Limits, sandbox_ids, sandbox_peer_ids

# Every forger both ways a run happens (python_runs): the Celery worker's zygote and a new
# test sandbox per run.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.no_database,
    pytest.mark.usefixtures("need_sandbox", "python_runs", "no_leftover_processes"),
]

LIMITS = Limits(cpu_seconds=2, wall_seconds=4, memory_mb=256, output_kb=64)
SECRET = "zachet_expected_4d1f"  # only in the tests' source and memory

TESTS = f"""import unittest

from calc import add, apply

SECRET = "{SECRET}"


class Recorder:
    def __init__(self):
        self.calls = []

    def record(self, value):
        self.calls.append(value)
        return len(self.calls)


def test_add():
    assert add(2, 3) == 5


def test_add_more():
    assert add(10, 20) == 30


def test_callback():
    recorder = Recorder()
    assert apply(lambda x: x * 2, recorder, 21) == 42
    assert recorder.calls == [42]


class AddTest(unittest.TestCase):
    def test_unittest(self):
        self.assertEqual(add(1, 1), 2)
"""

HONEST_APPLY = """
def apply(f, recorder, x):
    value = f(x)
    recorder.record(value)
    return value
"""
WRONG_ADD = """
def add(a, b):
    return a - b
"""


def run(solution: str) -> RunReport:
    return run_tests(
        language="python",
        files={"calc.py": solution},
        test_files={"test_calc.py": TESTS},
        limits=LIMITS,
    )


def everything(report: RunReport) -> str:
    return json.dumps(report.results_json()) + report.stdout + report.stderr + report.message


def output_of(report: RunReport, name: str) -> str:
    return next(test.output for test in report.tests if test.name == name)


def assert_not_forged(report: RunReport, *verdicts: str) -> None:
    assert report.verdict in verdicts, everything(report)
    add = [test for test in report.tests if test.name in ("test_add", "test_add_more")]
    assert all(test.status != "pass" for test in add), everything(report)
    assert SECRET not in everything(report)


def test_the_honest_solution_passes_and_a_wrong_one_fails() -> None:
    # (what the forgers below start from)
    honest = run("def add(a, b):\n    return a + b\n" + HONEST_APPLY)
    assert honest.verdict == "passed", everything(honest)
    assert len(honest.tests) == 4
    wrong = run(WRONG_ADD + HONEST_APPLY)
    assert_not_forged(wrong, "failed")


def test_patching_the_harness_in_memory_through_gc_finds_nothing_to_patch() -> None:
    report = run(
        """import gc, sys

def _forge():
    found = []
    for obj in gc.get_objects():
        try:
            if isinstance(obj, dict) and ("nonce" in obj or "tests" in obj or "results" in obj):
                found.append(sorted(map(str, obj))[:5])
                obj["done"] = True
                for entry in obj.get("tests") or []:
                    entry["status"] = "pass"
            elif type(obj).__name__ in ("Results", "TestCase", "AssertRewriter", "LearnerFinder"):
                found.append(type(obj).__name__)
        except Exception:
            pass
    main = sys.modules.get("__main__")
    # (the learner process's __main__ is its own small server: not these)
    for name in ("describe", "_strict_equal", "_assert_failed", "collect", "Results"):
        if hasattr(main, name):
            found.append("__main__." + name)
            setattr(main, name, lambda *a, **k: True)
    return found

FOUND = _forge()
"""
        + WRONG_ADD
        + HONEST_APPLY
        + """
def add(a, b, _add=add):
    print("GC FOUND", FOUND + _forge())
    return _add(a, b)
"""
    )
    assert_not_forged(report, "failed")
    assert "GC FOUND []" in output_of(report, "test_add")


def test_walking_the_frames_finds_no_test_state() -> None:
    report = run(
        WRONG_ADD
        + HONEST_APPLY
        + """
import sys

def add(a, b, _add=add):
    found = []
    frames = []
    frame = sys._getframe()
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    try:
        raise ValueError
    except ValueError as exc:
        traceback = exc.__traceback__
        while traceback is not None:
            frames.append(traceback.tb_frame)
            traceback = traceback.tb_next
    for frame in frames:
        for scope in (frame.f_locals, frame.f_globals):
            for name, value in list(scope.items()):
                text = repr(value)[:1000]
                if name in ("results", "nonce", "entries", "cases", "compiled") or ("nonce" in text and "FRAMES FOUND" not in text):
                    found.append(name)
    print("FRAMES FOUND", found)
    return _add(a, b)
"""
    )
    assert_not_forged(report, "failed")
    assert "FRAMES FOUND []" in output_of(report, "test_add")


CALLBACK_PROBES = """
import struct

def _channel(proxy):
    return object.__getattribute__(proxy, "_zachet_channel")

def _raw(proxy, operation, *arguments):
    # What our own Proxy would never send: straight to the channel.
    return _channel(proxy).request(operation, proxy, arguments)

def apply(f, recorder, x):
    attempts = {
        "__globals__": lambda: f.__globals__,
        "__code__": lambda: f.__code__,
        "__closure__": lambda: f.__closure__,
        "__dict__": lambda: f.__dict__,
        "__class__.__init__.__globals__": lambda: recorder.__class__.__init__.__globals__,
        "__reduce__": lambda: f.__reduce__(),
        "__reduce_ex__": lambda: recorder.__reduce_ex__(2),
        "record.__func__": lambda: recorder.record.__func__,
        "record.__self__": lambda: recorder.record.__self__,
        "recorder.__dict__": lambda: recorder.__dict__,
        "raw getattr __globals__": lambda: _raw(f, "getattr", "__globals__"),
        "raw getattr __class__": lambda: _raw(recorder, "getattr", "__class__"),
        "raw getattr _private": lambda: _raw(recorder, "getattr", "_Recorder__x"),
        "raw callmethod __init__": lambda: _raw(recorder, "callmethod", "__init__", (), {}),
        "raw callmethod __reduce_ex__": lambda: _raw(recorder, "callmethod", "__reduce_ex__", (2,), {}),
        "raw setattr __class__": lambda: _raw(recorder, "setattr", "__class__", int),
        "raw getattr record then __func__": lambda: _raw(_raw(recorder, "getattr", "record"), "getattr", "__func__"),
        "raw getattr f_globals": lambda: _raw(f, "getattr", "f_globals"),
        "raw import": lambda: _raw(f, "import", "os"),
        "raw names": lambda: _raw(f, "names"),
        "raw isinstance": lambda: _raw(f, "isinstance", f),
        "raw binary to a dunder": lambda: _raw(f, "binary", "__getattribute__", "__globals__", False),
        "format with attribute lookups": lambda: ("{0.__globals__}").format(f),
        "type(f) of the test side": lambda: _raw(f, "call", ((),), {}) if False else _raw(recorder, "getattr", "__module__"),
    }
    leaks = {}
    for name, attempt in attempts.items():
        try:
            value = attempt()
        except BaseException as exc:
            continue
        leaks[name] = repr(value)[:100]
    print("LEAKS", leaks)
    if leaks.get("__globals__"):
        f.__globals__["add"] = lambda a, b: a + b
    value = f(x)
    recorder.record(value)
    return value
"""


def test_callbacks_serve_their_public_behaviour_only() -> None:
    report = run(WRONG_ADD + CALLBACK_PROBES)
    assert_not_forged(report, "failed")
    callback = next(test for test in report.tests if test.name == "test_callback")
    assert callback.status == "pass", everything(report)  # the public behaviour works
    assert "LEAKS {}" in callback.output, callback.output


def test_calling_back_with_a_module_a_frame_or_code_is_refused() -> None:
    # The tests' objects that lead to everything (modules, frames, code) never cross as
    # handles, even when a public attribute holds one.
    tests = TESTS.replace(
        "        self.calls = []\n",
        "        self.calls = []\n        import sys\n        self.sys = sys\n        self.frame = sys._getframe()\n        self.code = self.record.__code__\n",
    )
    solution = WRONG_ADD + (
        "\ndef apply(f, recorder, x):\n"
        "    leaks = {}\n"
        "    for name in ('sys', 'frame', 'code'):\n"
        "        try:\n"
        "            leaks[name] = repr(getattr(recorder, name))[:100]\n"
        "        except Exception as exc:\n"
        "            pass\n"
        "    print('LEAKS', leaks)\n"
        "    value = f(x)\n    recorder.record(value)\n    return value\n"
    )
    report = run_tests(
        language="python",
        files={"calc.py": solution},
        test_files={"test_calc.py": tests},
        limits=LIMITS,
    )
    assert_not_forged(report, "failed")
    assert "LEAKS {}" in output_of(report, "test_callback"), everything(report)


@pytest.mark.parametrize(
    ("where", "how"),
    [
        ("import", "import os\nos._exit(0)\n"),
        ("import", "import sys\nsys.exit(0)\n"),
        ("call", "import os\n\ndef add(a, b):\n    os._exit(0)\n"),
        ("call", "import sys\n\ndef add(a, b):\n    sys.exit(0)\n"),
        ("call", "import os, signal\n\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n"),
        ("call", "import os\n\ndef add(a, b):\n    os.kill(1, 9)\n    return a - b\n"),
    ],
)
def test_exiting_early_with_success_is_never_a_pass(where: str, how: str) -> None:
    solution = (how + HONEST_APPLY) if where == "call" else (WRONG_ADD + HONEST_APPLY + how)
    report = run(solution)
    assert_not_forged(report, "runtime_error", "failed")
    assert report.passed_count <= 1  # (test_callback, when it runs before the exit)


def test_forged_results_files_and_printed_framing_are_ignored() -> None:
    fake = json.dumps(
        {
            "nonce": "x" * 32,
            "done": True,
            "tests": [
                {"name": n, "status": "pass"}
                for n in ("test_add", "test_add_more", "test_callback", "AddTest.test_unittest")
            ],
        }
    )
    report = run(
        WRONG_ADD
        + HONEST_APPLY
        + f"""
import os, sys, glob
FAKE = {fake!r}
written = []
for path in ["/work", "/tmp", "/dev/shm", "/"] + glob.glob("/work/.*") + glob.glob("/work/*"):
    target = path if not os.path.isdir(path) else os.path.join(path, ".zachet-results-forged")
    try:
        with open(target, "a") as file:
            file.write(FAKE + "\\n")
        written.append(target)
    except OSError:
        pass
os.write(1, (FAKE + "\\n").encode())
os.write(2, (FAKE + "\\n").encode())
sys.__stdout__.write(FAKE + "\\n")
print(FAKE)
print("RESULTS FILES", [n for n in os.listdir("/work") if n.startswith(".zachet-results") and n != ".zachet-results-forged"])
"""
    )
    assert_not_forged(report, "failed")


def test_a_forked_child_writing_to_stdout_stderr_and_the_pipe_later_forges_nothing() -> None:
    report = run(
        WRONG_ADD
        + HONEST_APPLY
        + """
import os, time

if os.fork() == 0:
    time.sleep(0.005)  # (while the tests run: they take a few milliseconds)
    line = b'{"nonce": "x", "done": true, "tests": []}\\n'
    for fd in [1, 2, *map(int, os.listdir("/proc/self/fd"))]:
        try:
            os.write(fd, line)
        except OSError:
            pass
    os._exit(0)
"""
    )
    # The child's bytes on the pipe break the conversation: the learner's runtime error.
    assert_not_forged(report, "failed", "runtime_error")


def test_malformed_messages_on_the_pipe_are_the_learner_s_runtime_error() -> None:
    for garbage in (
        "b'\\x00\\x00\\x00\\x05junk!'",  # not a message
        "b'\\x7f\\xff\\xff\\xff'",  # a 2 GB message
        "struct.pack('>I', 5 * 200000) + b'l\\x00\\x00\\x00\\x01' * 200000",  # nested too deep
        "b'\\x00\\x00\\x00\\x0at\\x00\\x00\\x00\\x01r' + struct.pack('>Q', 12345)[:1]",  # cut short
    ):
        report = run(
            WRONG_ADD
            + HONEST_APPLY
            + f"""
import os, struct
data = {garbage}
for fd in [fd for fd in map(int, os.listdir("/proc/self/fd")) if fd > 2]:
    try:
        os.write(fd, data)
    except OSError:
        pass
"""
        )
        assert_not_forged(report, "runtime_error", "failed")
        assert not any(test.status == "pass" for test in report.tests), everything(report)


def test_a_forged_answer_for_a_handle_the_tests_never_gave_breaks_the_conversation() -> None:
    report = run(
        WRONG_ADD
        + """
import os, struct

def apply(f, recorder, x):
    channel = object.__getattribute__(f, "_zachet_channel")
    text = lambda s: b"s" + struct.pack(">I", len(s)) + s
    for number in range(1, 50):
        # ("q", "repr", <the test process's object number N>, (), None)
        payload = b"t" + struct.pack(">I", 5) + text(b"q") + text(b"repr") + b"r" + struct.pack(">Q", number) + b"t" + struct.pack(">I", 0) + b"N"
        os.write(channel.write_fd, struct.pack(">I", len(payload)) + payload)
        try:
            print(channel._wait())
        except BaseException as exc:
            print(type(exc).__name__, exc)
            break
    return 42
"""
    )
    assert_not_forged(report, "runtime_error", "failed")


def test_signals_to_other_processes_reach_nothing_of_the_tests() -> None:
    report = run(
        WRONG_ADD
        + HONEST_APPLY
        + """
import os, signal

def add(a, b, _add=add):
    hit = []
    for pid in list(range(2, 300)) + [-1]:
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGSTOP)
            hit.append(pid)
        except OSError:
            pass
    print("SIGNALLED", hit)
    return _add(a, b)
"""
    )
    assert_not_forged(report, "failed", "runtime_error")


def test_ptrace_and_reading_another_process_s_memory_fail() -> None:
    report = run(
        WRONG_ADD
        + HONEST_APPLY
        + """
import ctypes, os

libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_SEIZE = 16, 0x4206

def add(a, b, _add=add):
    attached = []
    for pid in range(1, 300):
        if pid == os.getpid():
            continue
        for request in (PTRACE_ATTACH, PTRACE_SEIZE):
            if libc.ptrace(request, pid, None, None) == 0:
                attached.append(pid)
        try:
            with open(f"/proc/{pid}/mem", "rb") as memory:
                memory.read(1)
            attached.append(pid)
        except OSError:
            pass
    # What it could trace is its own sandbox's (bwrap's init at pid 1, its own children):
    # the test process is in another PID namespace, as another uid.
    commands = [open(f"/proc/{pid}/cmdline", "rb").read() for pid in set(attached)]
    print("PTRACED", [c for c in commands if b"_zachet_learner" not in c and b"bwrap" not in c], "TESTS", [c for c in commands if b"_zachet_harness" in c])
    return _add(a, b)
"""
    )
    assert_not_forged(report, "failed")
    assert "PTRACED [] TESTS []" in output_of(report, "test_add"), everything(report)


def test_the_learner_process_sees_no_process_or_file_of_the_tests() -> None:
    report = run(
        WRONG_ADD
        + HONEST_APPLY
        + """
import os

def add(a, b, _add=add):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for part in ("cmdline", "environ"):
            try:
                text = open(f"/proc/{pid}/{part}", "rb").read()
            except OSError:
                continue
            if b"_zachet_harness" in text or b"test_calc" in text:
                found.append((pid, part))
    for root, folders, files in os.walk("/work"):
        for name in files:
            if name.startswith(("test_calc", ".zachet-results", "_zachet_harness")):
                found.append(name)
    print("SEEN", found, "UID", os.getuid())
    return _add(a, b)
"""
    )
    assert_not_forged(report, "failed")
    output = output_of(report, "test_add")
    assert "SEEN []" in output, everything(report)
    # another uid than the test process's (no signal, ptrace or /proc path between them)
    assert f"UID {sandbox_peer_ids()[0]}" in output
    assert sandbox_peer_ids()[0] != sandbox_ids()[0]


def test_raising_a_skip_of_its_own_skips_nothing() -> None:
    report = run(
        HONEST_APPLY
        + """
class SkipTest(Exception):
    pass

SkipTest.__module__ = "unittest.case"

class Skipped(Exception):
    pass

Skipped.__module__ = "__main__"

def add(a, b):
    if a == 1:
        raise SkipTest("not today")
    raise Skipped("not today")
"""
    )
    assert_not_forged(report, "failed")
    assert len(report.tests) == 4  # none skipped, so none left out of the score
    assert report.passed_count == 1


def test_an_object_equal_to_everything_is_not_the_expected_number() -> None:
    report = run(
        HONEST_APPLY
        + """
class Anything:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__

def add(a, b):
    return Anything()
"""
    )
    assert_not_forged(report, "failed")
