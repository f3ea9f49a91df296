# ruff: noqa: E501 - the learner module under test reads better unwrapped
"""The pipe between a Python run's two processes (python_wire.py), in one process and without
a sandbox: plain values cross by value and come back equal, anything else a learner process
could send is a value, a proxy or a dead conversation (never an object of its choosing), and
the test process serves public behaviour only."""

from __future__ import annotations

import builtins
import contextlib
import datetime
import math
import os
import secrets
import struct
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.runners import python_learner
from grader.runners import python_wire as wire

# --- the codec --------------------------------------------------------------------------------


def encode(value: Any, channel: wire.Channel | None = None) -> bytes:
    encoder = wire._Encoder(channel or wire.Channel(-1, -1, guarded=True))
    encoder.value(value)
    return b"".join(encoder.out)


def decode(data: bytes, channel: wire.Channel | None = None) -> Any:
    decoder = wire._Decoder(channel or wire.Channel(-1, -1, guarded=True), data)
    value = decoder.value()
    if decoder.position != len(data):
        raise wire.WireError("junk after the message")
    return value


def same(left: Any, right: Any) -> bool:
    """Equal, of the same types all the way down (True is not 1), NaN equal to NaN."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    return bool(left == right)


hashable = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=8,
)
plain = st.recursive(
    hashable
    | st.dates()
    | st.datetimes(timezones=st.none() | st.just(datetime.UTC))
    | st.times()
    | st.timedeltas()
    | st.decimals(allow_nan=False)
    | st.fractions()
    | st.complex_numbers(allow_nan=False)
    | st.floats()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.builds(bytearray, st.binary()),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(hashable, inner, max_size=4)
        | st.sets(hashable, max_size=4)
    ),
    max_leaves=20,
)


@given(plain)
@settings(max_examples=300, deadline=None)
def test_plain_values_cross_by_value_and_come_back_the_same(value: Any) -> None:
    assert same(decode(encode(value)), value)


@given(st.binary(max_size=200))
@settings(max_examples=500, deadline=None)
def test_any_bytes_decode_to_a_value_or_a_wire_error_never_anything_else(data: bytes) -> None:
    with contextlib.suppress(wire.WireError):
        decode(data)


def test_surrogates_big_integers_and_builtin_classes_cross() -> None:
    for value in ("\ud800 lone", 1 << 200, -(1 << 200), float("inf"), int, ValueError, KeyError):
        assert same(decode(encode(value)), value) or decode(encode(value)) is value
    for singleton in (NotImplemented, Ellipsis):
        assert decode(encode(singleton)) is singleton
    zone = datetime.timezone(datetime.timedelta(hours=3), "MSK")
    moment = datetime.datetime(2024, 2, 29, 23, 59, 1, 5, tzinfo=zone)
    assert decode(encode(moment)) == moment
    assert decode(encode(moment)).tzname() == "MSK"


def test_a_list_holding_itself_crosses_as_a_list_holding_a_handle() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    decoded = decode(encode(loop), wire.Channel(-1, -1, guarded=False))
    assert decoded[0] == 1
    assert type(decoded[1]) is wire.Proxy


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"l" + struct.pack(">I", 1), "past the end"),
        (b"i\x00\x01", "cut short"),
        (b"l\x00\x00\x00\x01" * 150 + b"N", "nested too deeply"),
        (b"s" + struct.pack(">I", 10**9), "past the end"),
        (b"s" + struct.pack(">I", 2) + b"\xff\xfe", "not UTF-8"),
        (b"d" + struct.pack(">I", 1) + b"l" + struct.pack(">I", 0) + b"N", "unhashable"),
        (b"S" + struct.pack(">I", 1) + b"h" + struct.pack(">Q", 1) + b"o" + b"N", "as a key"),
        (b"r" + struct.pack(">Q", 7), "never gave"),
        (b"h" + struct.pack(">Q", 7) + b"=", "never described"),
        (b"B" + struct.pack(">I", 4) + b"eval", "not a builtin type"),
        (b"V" + encode(("date", (2024, 13, 1))), "a bad date value"),
        (b"V" + encode(("Decimal", (5,))), "a bad value description"),
        (b"V" + encode(("open", ("/etc/passwd",))), "a bad value description"),
        (b"\x80", "unknown tag"),
    ],
)
def test_malformed_values_are_wire_errors(data: bytes, reason: str) -> None:
    with pytest.raises(wire.WireError, match=reason):
        decode(data)


def test_dicts_and_sets_with_objects_for_keys_cross_as_handles() -> None:
    # Decoding them by value would hash proxies: a call back in the middle of a message.
    key = object()
    decoded = decode(encode({key: 1}), wire.Channel(-1, -1, guarded=False))
    assert type(decoded) is wire.Proxy


def test_the_test_process_never_hands_over_modules_frames_or_code() -> None:
    for value in (
        sys,
        sys._getframe(),
        test_plain_values_cross_by_value_and_come_back_the_same.__code__,
    ):
        with pytest.raises(wire.Refused):
            encode(value)


# --- two channels: a test process and a learner process in one process --------------------


class Pair:
    def __init__(self) -> None:
        to_learner = os.pipe()
        to_tests = os.pipe()
        self.fds = [*to_learner, *to_tests]
        self.tests = wire.Channel(to_tests[0], to_learner[1], guarded=True)
        self.tests.own_exception_class = wire.stdlib_exception  # type: ignore[method-assign]
        self.learner = wire.Channel(
            to_learner[0], to_tests[1], guarded=False, local=python_learner.SERVED
        )
        self.learner.location = python_learner.location  # type: ignore[method-assign]
        self.output: list[str] = []
        self.tests.output_sink = self.output.append
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(wire.PeerGone):
            self.learner.serve_forever()

    def module(self, source: str) -> Any:
        """`source` as a learner module, and its proxy in the test process."""
        name = f"zachet_wire_probe_{secrets.token_hex(4)}"
        module = types.ModuleType(name)
        sys.modules[name] = module
        exec(compile(source, f"/work/{name}.py", "exec"), module.__dict__)
        return self.tests.request("import", None, (name,))

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.thread.join(5)


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    monkeypatch.setattr(python_learner, "WORKDIR", "/work")  # where Pair.module's files "are"
    made = Pair()
    yield made
    made.close()


LEARNER = """
import enum

class ConfigError(ValueError):
    def __init__(self, message, path):
        super().__init__(message)
        self.path = path

class StrictConfigError(ConfigError):
    pass

class Color(enum.Enum):
    RED = 1
    GREEN = 2

class Counter:
    def __init__(self, clock):
        self.clock = clock
        self.count = 0

    def tick(self, step=1):
        self.count += step
        return self.clock() + self.count

    def __len__(self):
        return self.count

    def __eq__(self, other):
        return isinstance(other, Counter) and other.count == self.count

    __hash__ = None

def fail(path):
    raise StrictConfigError("bad value", path)

def divide(a, b):
    return a / b

def numbers(n):
    yield from range(n)

def twice(callback, value):
    print("calling back")
    return callback(callback(value))

def attack(callback):
    found = {}
    for name in ("__globals__", "__code__", "__closure__", "__dict__", "__class__", "__reduce_ex__", "f_globals", "gi_frame"):
        try:
            found[name] = object.__getattribute__(callback, "_zachet_channel").request("getattr", callback, (name,))
        except Exception as exc:
            pass
    return found
"""


def test_functions_classes_objects_and_callbacks_work_through_the_pipe(pair: Pair) -> None:
    module = pair.module(LEARNER)
    now = [100]
    counter = module.Counter(lambda: now[0])
    assert isinstance(counter, module.Counter)
    assert not isinstance(counter, module.ConfigError)
    assert counter.tick() == 101
    now[0] = 200
    assert counter.tick(step=2) == 203
    assert counter.count == 3
    assert len(counter) == 3
    counter.count = 10
    assert len(counter) == 10
    assert counter == counter
    assert list(module.numbers(3)) == [0, 1, 2]
    assert module.Color["RED"] == module.Color.RED
    assert [color.name for color in module.Color] == ["RED", "GREEN"]
    assert module.twice(lambda x: x * 3, 2) == 18  # test -> learner -> test, twice
    # a value of ours that does not know theirs, and theirs that does not know ours
    assert counter != datetime.date(2024, 1, 1)
    assert datetime.date(2024, 1, 1) != counter
    assert module.divide(datetime.timedelta(hours=1), 2) == datetime.timedelta(minutes=30)


def test_learner_exceptions_arrive_as_exceptions_the_tests_can_catch(pair: Pair) -> None:
    module = pair.module(LEARNER)
    with pytest.raises(ZeroDivisionError) as builtin:
        module.divide(1, 0)
    assert type(builtin.value) is ZeroDivisionError
    assert builtin.value._zachet_where.endswith(".py:37")  # type: ignore[attr-defined]
    with pytest.raises(module.ConfigError) as own:
        module.fail("db.port")
    assert type(own.value) is module.StrictConfigError  # the same class, every time
    assert isinstance(own.value, ValueError)
    assert own.value.path == "db.port"  # type: ignore[attr-defined]  # (from the original)
    assert str(own.value) == "bad value"


def test_the_learner_process_reaches_public_behaviour_only(pair: Pair) -> None:
    module = pair.module(LEARNER)
    secret = "never-crosses"

    def callback(value: Any) -> Any:
        return (secret, value)

    assert module.attack(callback) == {}


def test_a_dead_learner_process_is_peer_gone_for_every_call_after(pair: Pair) -> None:
    module = pair.module(LEARNER)
    os.write(pair.learner.write_fd, b"\x00\x00\x00\x01j")  # (what a broken learner could send)
    with pytest.raises(wire.PeerGone, match="unknown tag"):
        module.divide(4, 2)
    with pytest.raises(wire.PeerGone):
        module.divide(4, 2)


# --- a learner's module run as a program (CodeRunner's stdin tests) ------------------------

PROGRAM = """import sys
name = input("Who? ")
print("Hi,", name)
print(sys.stdin.read().upper(), end="")
if name == "exit":
    raise SystemExit(3)
"""


@pytest.fixture
def program(pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"zachet_program_probe_{secrets.token_hex(4)}"
    (tmp_path / f"{name}.py").write_text(PROGRAM, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    # The learner process's standard input and input() change; here that is pytest's own.
    monkeypatch.setattr(sys, "stdin", sys.stdin)
    monkeypatch.setattr(builtins, "input", builtins.input)
    return name


@pytest.mark.parametrize(
    ("stdin", "echo", "printed"),
    [
        ("Ада\nrest\n", False, "Who? Hi, Ада\nREST\n"),
        # python3_w_input: the line read is printed after the prompt.
        ("Ада\nrest\n", True, "Who? Ада\nHi, Ада\nREST\n"),
        ("Ада", False, "Who? Hi, Ада\n"),
    ],
)
def test_a_program_runs_over_there_on_its_stdin_and_what_it_printed_comes_back(
    pair: Pair, program: str, stdin: str, echo: bool, printed: str
) -> None:
    assert pair.tests.request("run", None, (program, stdin, echo)) == printed
    assert pair.output == []  # (its prints are the answer, not the test's output)


def test_a_program_that_exits_with_a_status_is_an_error_and_one_without_input_too(
    pair: Pair, program: str
) -> None:
    with pytest.raises(RuntimeError, match="exited with status 3"):
        pair.tests.request("run", None, (program, "exit\n", False))
    with pytest.raises(EOFError):
        pair.tests.request("run", None, (program, "", False))


def test_test_code_reads_the_same_stream_as_the_learners_code(pair: Pair, program: str) -> None:
    pair.tests.request("stdin", None, ("first\nsecond\n", False))

    assert pair.tests.request("readline", None, ()) == "first\n"
    assert pair.tests.request("readline", None, ()) == "second\n"
    assert pair.tests.request("readline", None, ()) == ""
