"""Our Python test harness: the test process of a run; runs inside the sandbox, standard
library only (no pytest per run).

    python3 -I -S -B harness.py --wait READ_FD WRITE_FD
    python3 -I -S -B harness.py --zygote CONTROL_FD

Learner code never runs in this process: it runs in the learner process (python_learner.py, a
sandbox of its own, another uid), and the tests use it through the pipe pair READ_FD/WRITE_FD
(python_wire.py). `import solution` in a test file gives a proxy module whose functions,
classes and objects are called over there; what the tests pass in (a fake clock, a callback)
stays here and the learner gets handles to it that serve public behaviour only. So nothing
here is reachable from learner code: the results, the nonce, the tests' code and values.

The harness starts ahead of its work (a warm start): it imports what tests usually need, then
reads one JSON line on stdin, {"nonce", "results", "tests": [paths], "files": {path: text},
"learner": [module names], "compiled": the tests' code, marshalled (hex), when the worker
compiled them for this interpreter}; stdin is /dev/null from then on. It writes the exercise's files
(and, as plain data, the learner's) into the work directory; the tests' sources stay in this
process, never on disk.

Collects unittest TestCase classes, plain `test_*` functions and `Test*` classes from the test
files, runs each with its stdout/stderr captured, and appends JSON results to the results
file, each line starting with the nonce it got before any learner code ran: what learner code
prints cannot pass for results. A line as each test starts and ends (a run killed by a limit
still tells which tests finished and which one was running), then the whole result, written
over that log and whatever learner code wrote to the file.

Bare `assert left == right` in test files is rewritten (AST) so a failure says
"expected X, got Y"; a minimal `pytest` module (mark.task, mark.parametrize, raises, approx,
fail, skip) is put into sys.modules for test files written for pytest.
"""

from __future__ import annotations

import io
import json
import marshal
import os
import sys
import types

TYPE_CHECKING = False  # (typing is not imported at run time: it costs every run's start)
if TYPE_CHECKING:
    from typing import Any

WORKDIR = os.getcwd()

if __package__:
    from grader.runners import python_wire as wire
else:  # in the sandbox: the wire module was bound beside this one
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _zachet_wire as wire  # type: ignore[no-redef]

    del sys.path[0]
OUTPUT_CAP = 2000
REPR_CAP = 300
_SKIP = "skip"


class HarnessError(Exception):
    """The exercise's tests are broken (not the learner's fault)."""


class Skipped(Exception):
    pass


# --- the minimal pytest -------------------------------------------------------------------


def _decorator_setting(attribute: str, value: object, *, append: bool = False):
    def decorate(function):
        if append:
            setattr(function, attribute, [*getattr(function, attribute, []), value])
        else:
            setattr(function, attribute, value)
        return function

    return decorate


class _Mark:
    def task(self, taskno: int | None = None, **_: object):
        return _decorator_setting("_zachet_task", taskno)

    def parametrize(self, argnames, argvalues, ids=None, **_: object):
        names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else argnames
        return _decorator_setting(
            "_zachet_params", (list(names), list(argvalues), ids), append=True
        )

    def skip(self, *args: object, **_: object):
        if len(args) == 1 and callable(args[0]):
            args[0]._zachet_skip = True  # type: ignore[attr-defined]
            return args[0]
        return _decorator_setting("_zachet_skip", True)

    def __getattr__(self, name: str):
        # Any other mark (timeout, xfail, slow, ...) is accepted and ignored.
        def mark(*args: object, **kwargs: object):
            if len(args) == 1 and callable(args[0]) and not kwargs:
                return args[0]
            return lambda function: function

        return mark


class _Raises:
    def __init__(self, expected: object, match: str | None) -> None:
        self.expected = expected
        self.match = match
        self.value: BaseException | None = None

    def __enter__(self) -> _Raises:
        return self

    def __exit__(self, kind, value, traceback) -> bool:
        if kind is None:
            raise AssertionError(
                f"DID NOT RAISE {getattr(self.expected, '__name__', self.expected)}"
            )
        if not issubclass(kind, self.expected):  # type: ignore[arg-type]
            return False
        if self.match is not None:
            import re

            if not re.search(self.match, str(value)):
                raise AssertionError(f"Regex {self.match!r} does not match {str(value)!r}")
        self.value = value
        return True


def _raises(expected, *args, match=None, **kwargs):
    context = _Raises(expected, match)
    if args:
        with context:
            args[0](*args[1:], **kwargs)
    return context


class _Approx:
    def __init__(self, expected, rel=None, abs=None) -> None:
        self.expected = expected
        self.rel = 1e-6 if rel is None else rel
        self.abs = 1e-12 if abs is None else abs

    def _close(self, actual: object, expected: object) -> bool:
        if isinstance(expected, (list, tuple)):
            return (
                isinstance(actual, (list, tuple))
                and len(actual) == len(expected)
                and all(self._close(a, e) for a, e in zip(actual, expected, strict=True))
            )
        if isinstance(expected, dict):
            return (
                isinstance(actual, dict)
                and actual.keys() == expected.keys()
                and all(self._close(actual[k], expected[k]) for k in expected)
            )
        if actual == expected:
            return True
        numbers = (int, float, complex)
        if not (isinstance(actual, numbers) and isinstance(expected, numbers)):
            return False
        return abs(actual - expected) <= max(self.rel * abs(expected), self.abs)

    def __eq__(self, actual: object) -> bool:
        return self._close(actual, self.expected)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.expected!r} ± {self.rel:g}"


def _fail(reason: str = "", pytrace: bool = True) -> None:
    raise AssertionError(reason)


def _skip(reason: str = "", **_: object) -> None:
    raise Skipped(reason)


def _fake_pytest() -> types.ModuleType:
    module = types.ModuleType("pytest")
    module.mark = _Mark()  # type: ignore[attr-defined]
    module.raises = _raises  # type: ignore[attr-defined]
    module.approx = _Approx  # type: ignore[attr-defined]
    module.fail = _fail  # type: ignore[attr-defined]
    module.skip = _skip  # type: ignore[attr-defined]
    module.fixture = lambda *a, **k: a[0] if a and callable(a[0]) else (lambda f: f)  # type: ignore[attr-defined]
    return module


# --- assertion rewriting ------------------------------------------------------------------


def _short_repr(value: object) -> str:
    try:
        text = repr(value)
    except Exception as exc:
        text = f"<unrepresentable {type(value).__name__}: {exc}>"
    return text if len(text) <= REPR_CAP else text[: REPR_CAP - 3] + "..."


# Builtin types whose instances cannot carry a learner's __eq__ (they cannot be
# replaced, and exact-type checks rule out subclasses).
_SCALARS = (str, bytes, int, float, complex, bool, type(None))


def _strict_equal(left, right, depth=0):
    """`left == right`, but a learner's object cannot pass for a builtin value.

    Plain `==` lets an object whose __eq__ always returns True match any expected
    value, also inside lists and dicts (the comparison is handed to it). Where
    either side is a builtin scalar or container, the other must be one too, of
    the same kind, compared element by element. Other types compare with ==.
    """
    if depth > 200 or isinstance(left, _Approx) or isinstance(right, _Approx):
        return left == right  # (pytest.approx is ours: its tolerance decides)
    kinds = (type(left), type(right))
    if kinds[0] in _SCALARS or kinds[1] in _SCALARS:
        numbers = (int, float, complex, bool)
        if not (kinds[0] in numbers and kinds[1] in numbers) and kinds[0] is not kinds[1]:
            return False
        return left == right
    for container in (list, tuple):
        if container in kinds:
            if kinds[0] is not kinds[1] or len(left) != len(right):
                return False
            return all(_strict_equal(a, b, depth + 1) for a, b in zip(left, right, strict=True))
    for container in (set, frozenset, dict):
        if container in kinds:
            if kinds[0] is not kinds[1] or len(left) != len(right):
                return False
            if any(type(key) not in (*_SCALARS, tuple) for key in (*left, *right)):
                return left == right  # keys of other types: plain comparison
            if container is dict:
                return left.keys() == right.keys() and all(
                    _strict_equal(left[key], right[key], depth + 1) for key in left
                )
            return left == right
    return left == right


class Compared(AssertionError):
    """A failed equality, with what was expected and what came (repr'd and capped here, in
    the test process): the result's `expected` and `got`. Only this harness raises it (learner
    code runs in another process; its exceptions come back as builtin ones)."""

    def __init__(self, text: str, expected: str, got: str) -> None:
        super().__init__(text)
        self.zachet_expected = expected
        self.zachet_got = got


def _assert_failed(left, right, op, source, actual_on_left, message=None):
    if op == "==":
        actual, expected = (left, right) if actual_on_left else (right, left)
        shown_expected, shown_actual = _short_repr(expected), _short_repr(actual)
        detail = f"expected {shown_expected}, got {shown_actual}"
        if type(actual) is not type(expected) and shown_actual == shown_expected:
            detail += f" ({type(actual).__name__} instead of {type(expected).__name__})"
        text = f"assert {source}: {detail}"
        text = f"{message}\n{text}" if message is not None else text
        return Compared(text, shown_expected, shown_actual)
    detail = f"{_short_repr(left)} {op} {_short_repr(right)} is false"
    text = f"assert {source}: {detail}"
    return AssertionError(f"{message}\n{text}" if message is not None else text)


def _plain_assert_failed(source, message=None):
    text = f"assert {source}"
    return AssertionError(f"{message}\n{text}" if message is not None else text)


# --- collection ---------------------------------------------------------------------------


class TestCase:
    __slots__ = ("call", "name", "task_id")

    def __init__(self, name: str, call, task_id: object) -> None:
        self.name = name
        self.call = call
        self.task_id = task_id if isinstance(task_id, int) else None


def _param_id(value: object, name: str, index: int) -> str:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return str(value)
    return f"{name}{index}"


def _expand(name: str, function, call_with):
    """(name, call) pairs: one per parametrize combination, or the plain test."""
    combos: list[tuple[str, dict[str, object]]] = [("", {})]
    for names, values, ids in reversed(getattr(function, "_zachet_params", [])):
        expanded = []
        for index, value in enumerate(values):
            row = value if len(names) > 1 else (value,)
            if ids is not None and index < len(ids):
                label = str(ids[index])
            else:
                label = "-".join(_param_id(v, n, index) for n, v in zip(names, row, strict=False))
            for prefix, kwargs in combos:
                joined = f"{prefix}-{label}" if prefix else label
                expanded.append((joined, {**kwargs, **dict(zip(names, row, strict=False))}))
        combos = expanded
    return [
        (f"{name}[{label}]" if label else name, (lambda kw=kwargs: call_with(**kw)))
        for label, kwargs in combos
    ]


def collect(module: types.ModuleType) -> list[TestCase]:
    tests: list[TestCase] = []
    unittest = sys.modules.get("unittest")
    for attribute, value in list(vars(module).items()):
        if isinstance(value, type) and getattr(value, "__module__", None) == module.__name__:
            is_case = unittest is not None and issubclass(value, unittest.TestCase)
            if not (is_case or attribute.startswith("Test")):
                continue
            names: list[str] = []
            for klass in reversed(value.__mro__):
                for method in vars(klass):
                    if method.startswith("test") and callable(getattr(value, method)):
                        names.append(method)
            for method in dict.fromkeys(names):
                function = getattr(value, method)
                if getattr(function, "_zachet_skip", False):
                    continue
                qualified = f"{attribute}.{method}"
                if is_case:
                    calls = [(qualified, _unittest_call(value, method))]
                else:
                    calls = _expand(qualified, function, _plain_method_call(value, method))
                for name, call in calls:
                    tests.append(TestCase(name, call, getattr(function, "_zachet_task", None)))
        elif (
            attribute.startswith("test")
            and isinstance(value, types.FunctionType)
            and value.__module__ == module.__name__
            and not getattr(value, "_zachet_skip", False)
        ):
            for name, call in _expand(attribute, value, value):
                tests.append(TestCase(name, call, getattr(value, "_zachet_task", None)))
    return tests


def _plain_method_call(klass, method):
    def call(**kwargs):
        instance = klass()
        if hasattr(instance, "setup_method"):
            instance.setup_method(getattr(instance, method))
        try:
            getattr(instance, method)(**kwargs)
        finally:
            if hasattr(instance, "teardown_method"):
                instance.teardown_method(getattr(instance, method))

    return call


def _strict_unittest() -> None:
    """unittest's assertEqual (and its aliases) with the same strict equality as `assert`."""
    import unittest

    original = unittest.TestCase.assertEqual
    if getattr(original, "_zachet_strict", False):
        return

    def assert_equal(self, first, second, msg=None):
        # assertEqual(got, expected): the order of Exercism's tests and of most others.
        if not _strict_equal(first, second):
            got, expected = _short_repr(first), _short_repr(second)
            detail = f"{got} != {expected}"
            if type(first) is not type(second):
                detail += f" ({type(first).__name__} vs {type(second).__name__})"
            raise Compared(self._formatMessage(msg, detail), expected, got)
        original(self, first, second, msg)

    assert_equal._zachet_strict = True  # type: ignore[attr-defined]
    unittest.TestCase.assertEqual = assert_equal  # type: ignore[method-assign]
    unittest.TestCase.assertEquals = assert_equal


def _unittest_call(klass, method):
    import unittest

    _strict_unittest()

    class Result(unittest.TestResult):
        def __init__(self) -> None:
            super().__init__()
            self.problem: BaseException | None = None
            self.skip = False

        def _note(self, error) -> None:
            if self.problem is None:
                self.problem = error[1]

        def addFailure(self, test, err) -> None:
            self._note(err)

        def addError(self, test, err) -> None:
            self._note(err)

        def addSubTest(self, test, subtest, err) -> None:
            if err is not None:
                self._note(err)

        def addSkip(self, test, reason) -> None:
            self.skip = True

        def addUnexpectedSuccess(self, test) -> None:
            self.problem = AssertionError("unexpected success of a test marked expectedFailure")

    def call() -> None:
        if not getattr(klass, "_zachet_class_ready", False):
            klass._zachet_class_ready = True
            klass.setUpClass()
        result = Result()
        klass(method).run(result)
        if result.problem is not None:
            raise result.problem
        if result.skip:
            raise Skipped()

    return call


# --- running ------------------------------------------------------------------------------


class Capture(io.TextIOBase):
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.size < OUTPUT_CAP:
            self.parts.append(text[: OUTPUT_CAP - self.size])
        self.size += len(text)
        return len(text)

    def text(self) -> str:
        joined = "".join(self.parts)
        return joined + "\n[... output truncated]" if self.size > OUTPUT_CAP else joined


def _location(traceback, test_files: set[str]) -> str:
    """file:line of the innermost frame in the learner's code (else in the tests)."""
    harness = main.__code__.co_filename
    learner = tests = ""
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.startswith(WORKDIR + os.sep) and filename != harness:
            place = f"{os.path.relpath(filename, WORKDIR)}:{traceback.tb_lineno}"
            if os.path.relpath(filename, WORKDIR) in test_files:
                tests = place
            else:
                learner = place
        traceback = traceback.tb_next
    return learner or tests


def describe(error: BaseException, test_files: set[str]) -> str:
    if isinstance(error, AssertionError):
        text = str(error) or "AssertionError"
    else:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    # Raised by learner code: where, in the learner's files (the learner process said); a
    # failed assertion: the test's line that asserted.
    where = vars(error).get("_zachet_where") or _location(error.__traceback__, test_files)
    if where:
        text += f"\n(at {where})" if "\n" in text else f" (at {where})"
    return text


class Results:
    def __init__(self, path: str, nonce: str, fd: int | None = None) -> None:
        """`fd`: the results file, opened by the worker for appending (a zygote's child);
        else it is opened at `path` (bound into /work) when first written."""
        self.path = path
        self.nonce = nonce
        self.data: dict[str, object] = {
            "nonce": nonce,
            "done": False,
            "error": None,
            "memory_error": False,
            "running": None,
            "tests": [],
        }
        self._log: int | None = fd

    def log(self, **event: object) -> None:
        """Append one event line (O(1) a test, where rewriting everything was O(tests)). Each
        starts on a line of its own, whatever learner code wrote to the file before it."""
        try:  # noqa: SIM105 - (contextlib.suppress would cost an import at start-up)
            self._write(json.dumps({"nonce": self.nonce, **event}))
        except OSError:  # learner code broke the file or our descriptor: the final save counts
            pass

    def save(self) -> None:
        """The whole result, in place of the log (and of whatever learner code wrote)."""
        if self._log is None:
            self._log = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.ftruncate(self._log, 0)
        self._write(json.dumps({"nonce": self.nonce, **self.data}))

    def _write(self, text: str) -> None:
        if self._log is None:
            self._log = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        data = ("\n" + text + "\n").encode("utf-8")
        while data:
            data = data[os.write(self._log, data) :]


def compile_error_message(error: SyntaxError) -> str:
    filename = os.path.relpath(error.filename or "?", WORKDIR)
    place = f"{filename}:{error.lineno or 0}"
    if error.offset:
        place += f":{error.offset}"
    return f"{place}: {type(error).__name__}: {error.msg}"


def write_work_file(path: str, text: str) -> None:
    full = os.path.normpath(os.path.join(WORKDIR, path))
    if not full.startswith(WORKDIR + os.sep):
        raise HarnessError(f"file name outside the work directory: {path!r}")
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as file:
        file.write(text)


def compile_tests(path: str, source: str) -> types.CodeType:
    """The tests compiled with rewritten asserts (python_rewrite.py, imported only here: the
    worker compiles them ahead, and `ast` costs ~5 ms of every sandbox's start)."""
    if __package__:
        from grader.runners import python_rewrite as rewrite
    else:
        import _zachet_rewrite as rewrite  # type: ignore[no-redef]
    try:
        code = rewrite.compile_rewritten(path, source)
    except SyntaxError as exc:
        raise HarnessError(f"the tests do not compile: {compile_error_message(exc)}") from exc
    # No test source is kept, nor written to the results file (which learner code can read):
    # the runner takes each test's code (results.json's test_code) from the files on the host.
    return code  # type: ignore[return-value]


def load_test_module(path: str, code: types.CodeType) -> types.ModuleType:
    name = os.path.splitext(os.path.basename(path))[0]
    module = types.ModuleType(name)
    module.__file__ = path
    module.__dict__["_zachet_assert_failed"] = _assert_failed
    module.__dict__["_zachet_equal"] = _strict_equal
    module.__dict__["_zachet_plain_assert_failed"] = _plain_assert_failed
    sys.modules[name] = module
    exec(code, module.__dict__)  # noqa: S102 - the exercise's tests, inside the sandbox
    return module


class LearnerFinder:
    """Imports of the learner's modules (and packages) give proxies of them, imported in the
    learner process; nothing of theirs is imported here, even as a file in /work."""

    def __init__(self, channel: wire.Channel, names: set[str]) -> None:
        self.channel = channel
        self.names = names
        self.imported: dict[str, Any] = {}

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> Any:
        if fullname.partition(".")[0] not in self.names:
            return None
        from importlib.machinery import ModuleSpec

        module = self.channel.request("import", None, (fullname,))
        if not isinstance(module, wire.PeerModule):
            raise ImportError(f"the learner process did not give module {fullname}")
        self.imported[fullname] = module
        return ModuleSpec(fullname, self, is_package=module._zachet_package)  # type: ignore[arg-type]

    def create_module(self, spec: Any) -> Any:
        return self.imported.pop(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass  # (it ran over there)


def program_module(channel: wire.Channel) -> types.ModuleType:
    """`import zachet_program` in a test: the learner's module run as a program with a given
    standard input (CodeRunner's tests), in the learner process. What it printed comes back
    as text, and the test compares it here."""
    module = types.ModuleType("zachet_program")

    def run(name: str, stdin: str = "", *, echo_input: bool = False) -> str:
        """Run the learner's module `name` as `__main__` with `stdin`; what it printed."""
        printed = channel.request("run", None, (name, stdin, echo_input))
        if type(printed) is not str:
            raise AssertionError("the program's output did not come back as text")
        return printed

    def feed(stdin: str, *, echo_input: bool = False) -> None:
        """The standard input the learner's code reads from now on (input() echoes the line
        it read with `echo_input`, as CodeRunner's python3_w_input type does)."""
        channel.request("stdin", None, (stdin, echo_input))

    def readline() -> str:
        """A line of the learner process's standard input ("" at its end): the test code's
        input() reads the same stream as the learner's code, as in one CodeRunner program."""
        line = channel.request("readline", None, ())
        if type(line) is not str:
            raise AssertionError("a line of standard input did not come back as text")
        return line

    module.run = run  # type: ignore[attr-defined]
    module.feed = feed  # type: ignore[attr-defined]
    module.readline = readline  # type: ignore[attr-defined]
    return module


def learner_channel(read_fd: int, write_fd: int) -> wire.Channel:
    channel = wire.Channel(read_fd, write_fd, guarded=True)
    # What learner code printed during a call: into the current test's output.
    channel.output_sink = lambda text: sys.stdout.write(text)
    channel.own_exception_class = wire.stdlib_exception  # type: ignore[method-assign]
    return channel


def main(work: dict, read_fd: int, write_fd: int, results_fd: int | None = None) -> int:
    nonce = work["nonce"]
    results = Results(os.path.join(WORKDIR, work["results"]), nonce, results_fd)
    test_paths = list(work["tests"])
    test_files = set(test_paths)
    files = work.pop("files")
    sys.path.insert(0, WORKDIR)
    sys.modules["pytest"] = _fake_pytest()
    sys.dont_write_bytecode = True
    channel = learner_channel(read_fd, write_fd)
    sys.modules["zachet_program"] = program_module(channel)
    sys.meta_path.insert(0, LearnerFinder(channel, set(work["learner"])))
    wire.share_cpu(work.get("cpu"))

    modules = []
    learner_code_ran = False
    try:
        # Every test file is compiled and its source dropped before any learner code runs:
        # never on disk, and not in a variable learner code could find up the stack.
        ready = work.pop("compiled", None)
        if ready is not None:  # compiled by the worker (once per exercise), as below
            codes = marshal.loads(bytes.fromhex(ready))  # noqa: S302 - the worker's, not learner's
            compiled = [(path, codes[path]) for path in test_paths]
            for path in test_paths:
                files.pop(path)
        else:
            compiled = [
                (path, compile_tests(os.path.join(WORKDIR, path), files.pop(path)))
                for path in test_paths
            ]
        for path, text in files.items():  # the exercise's other files and the learner's
            write_work_file(path, text)
        del files
        learner_code_ran = True  # from here on: the tests import the learner's modules
        for path, code in compiled:
            modules.append(load_test_module(os.path.join(WORKDIR, path), code))
    except HarnessError as exc:
        if learner_code_ran:
            # Learner code can reach our class (sys.modules["__main__"], gc) and raise it:
            # taken as ours, it forced an internal error with a message of its choosing,
            # three runs and a submission in `error`. Only what fails before it runs is ours.
            results.data["error"] = {"kind": "runtime_error", "message": describe(exc, test_files)}
        else:
            results.data["error"] = {"kind": "internal_error", "message": str(exc)}
    except SyntaxError as exc:  # the learner's module (the tests' own are HarnessError)
        results.data["error"] = {"kind": "compile_error", "message": compile_error_message(exc)}
    except ImportError as exc:
        results.data["error"] = {"kind": "compile_error", "message": describe(exc, test_files)}
    except MemoryError as exc:
        results.data["memory_error"] = True
        results.data["error"] = {"kind": "runtime_error", "message": describe(exc, test_files)}
    except BaseException as exc:
        results.data["error"] = {"kind": "runtime_error", "message": describe(exc, test_files)}
    if channel.broken is not None:
        results.data["learner_ended"] = channel.broken
        message = f"the program ended while the tests imported it: {channel.broken}"
        results.data["error"] = {"kind": "runtime_error", "message": message}
    if results.data["error"] is not None:
        results.data["done"] = True
        results.save()
        return 0

    cases: list[TestCase] = []
    for module in modules:
        for case in collect(module):
            if len(modules) > 1:
                case.name = f"{module.__name__}.{case.name}"
            cases.append(case)
    entries: list[dict[str, object]] = []
    results.data["tests"] = entries
    real_stdout, real_stderr = sys.stdout, sys.stderr
    for index, case in enumerate(cases):
        results.log(running=case.name)
        capture = Capture()
        status, message = "pass", ""
        compared: Compared | None = None
        sys.stdout = sys.stderr = capture
        try:
            case.call()
        except Skipped:
            status = _SKIP
        except AssertionError as exc:
            status, message = "fail", describe(exc, test_files)
            compared = exc if type(exc) is Compared else None
        except MemoryError as exc:
            results.data["memory_error"] = True
            results.log(memory_error=True)
            status, message = "error", describe(exc, test_files)
        except BaseException as exc:
            status, message = "error", describe(exc, test_files)
        finally:
            sys.stdout, sys.stderr = real_stdout, real_stderr
        if channel.broken is not None:
            # The learner process is gone (an exit, a crash, a limit, a malformed message):
            # this test failed whatever it caught, and the rest cannot run.
            learner_ended(results, entries, cases, index, channel.broken, capture.text())
            return 0
        if status == _SKIP:
            results.log(skipped=case.name)
            continue
        entry: dict[str, object] = {
            "name": case.name,
            "status": status,
            "message": message,
            "output": capture.text(),
            "task_id": case.task_id,
        }
        if compared is not None:
            entry["expected"], entry["got"] = compared.zachet_expected, compared.zachet_got
        entries.append(entry)
        results.log(test=entry)
    results.data["running"] = None
    results.data["done"] = True
    results.save()
    return 0


def learner_ended(
    results: Results,
    entries: list[dict[str, object]],
    cases: list[TestCase],
    index: int,
    reason: str,
    output: str,
) -> None:
    case = cases[index]
    entries.append(
        {
            "name": case.name,
            "status": "error",
            "message": f"the program ended during this test: {reason}",
            "output": output,
            "task_id": case.task_id,
            "ended": True,
        }
    )
    for other in cases[index + 1 :]:
        entries.append(
            {
                "name": other.name,
                "status": "error",
                "message": "not run: the program had ended",
                "output": "",
                "task_id": other.task_id,
            }
        )
    results.data["learner_ended"] = reason
    results.data["error"] = {
        "kind": "runtime_error",
        "message": f"the program ended during {case.name}: {reason}",
    }
    results.data["running"] = None
    results.data["done"] = True
    results.save()


def wait_for_work() -> dict | None:
    """The run's work (see the module's docstring), once the runner sends it."""
    import unittest  # noqa: F401 - most tests import it: loaded before the clock starts

    line = sys.stdin.buffer.readline()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    if not line:
        return None  # discarded unused
    work = json.loads(line)
    if not (
        isinstance(work, dict)
        and isinstance(work.get("nonce"), str)
        and isinstance(work.get("results"), str)
        and isinstance(work.get("tests"), list)
        and isinstance(work.get("files"), dict)
        and isinstance(work.get("learner"), list)
        and all(isinstance(path, str) and path in work["files"] for path in work["tests"])
        and all(isinstance(k, str) and isinstance(v, str) for k, v in work["files"].items())
    ):
        raise SystemExit("bad work")
    return work


# --- the zygote -------------------------------------------------------------------------------
# A worker's Python runs start as forks of one long-lived test process per worker process (one
# sandbox, started once), not as a new sandbox and interpreter each: the interpreter, unittest
# and this harness are already loaded, which was ~38 ms of CPU in every run's ~80. Only the
# test process: the learner process stays a fresh sandbox of its own every run. What runs here
# is ours and the exercise's tests, never learner code; a child is forked only after the last
# one ended, everything it left (processes, files in /work, /tmp, /dev/shm) is gone.

# A child's descriptors: its stdin, stdout and stderr, the pipe pair with the learner process,
# the results file (see Results): sent by the worker with each request (SCM_RIGHTS).
CHILD_FDS = 6
LEARNER_READ_FD, LEARNER_WRITE_FD, RESULTS_FD = 3, 4, 5


def zygote(control_fd: int) -> None:
    """Serve the worker's requests on `control_fd` (python_zygote.serve): each child gets
    CHILD_FDS descriptors and waits for its work on stdin, as --wait does. Before each fork,
    the private mounts are emptied of what the last child left (not our bound files)."""
    import unittest  # noqa: F401 - loaded once here, for every child

    zygote_module = _zygote_module()

    def before_fork(_request: dict) -> None:
        for folder in (WORKDIR, "/tmp", "/dev/shm"):  # noqa: S108 - the sandbox's own tmpfs
            _empty(folder)

    def prepare(fds: list[int], request: dict) -> None:
        zygote_module.become_child(fds, request, WORKDIR)

    def run() -> int:
        work = wait_for_work()
        return 0 if work is None else main(work, LEARNER_READ_FD, LEARNER_WRITE_FD, RESULTS_FD)

    zygote_module.serve(control_fd, CHILD_FDS, before_fork, prepare, run)


def _zygote_module() -> types.ModuleType:
    if __package__:
        from grader.runners import python_zygote
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import _zachet_zygote as python_zygote  # type: ignore[no-redef]

        del sys.path[0]
    return python_zygote


def _empty(folder: str) -> None:
    """Remove what is in `folder`, but for what is mounted there (our files, bound in)."""
    device = os.stat(folder).st_dev
    for entry in os.scandir(folder):
        if entry.stat(follow_symlinks=False).st_dev != device:
            continue
        if entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, 0o700)  # (a `chmod 500` would keep its entries)
            _empty(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--zygote":
        zygote(int(sys.argv[2]))
        raise SystemExit(0)
    if len(sys.argv) != 4 or sys.argv[1] != "--wait":
        raise SystemExit("usage: harness.py --wait READ_FD WRITE_FD (the work comes on stdin)")
    work = wait_for_work()
    status = 0 if work is None else main(work, int(sys.argv[2]), int(sys.argv[3]))
    # The results are written (os.write, no buffer): skip the interpreter's teardown (GC,
    # modules, a few ms of every run's CPU), as the learner process does.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
