"""The pure parts of the runners: file names, go test -json parsing, verdicts, results.json."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from grader.runners import run_tests
from grader.runners.files import validate_files
from grader.runners.go import (
    TrustedResults,
    compared_sides,
    go_report,
    go_test_functions,
    parse_go_test_json,
    read_trusted,
)
from grader.runners.python import (
    RESULTS_MAX_BYTES,
    combined_result,
    python_report,
    read_results,
)
from grader.runners.report import RunReport, TestCaseResult
from grader.sandbox import Limits, SandboxResult
from grader.scoring import code_score


def sandbox_result(**overrides: object) -> SandboxResult:
    values: dict[str, object] = {
        "returncode": 0,
        "stdout": b"",
        "stderr": b"",
        "stdout_truncated": False,
        "stderr_truncated": False,
        "timed_out": False,
        "cpu_exceeded": False,
        "memory_exceeded": False,
        "wall_seconds": 0.1,
        "cpu_seconds": 0.1,
        "signal": None,
    }
    values.update(overrides)
    return SandboxResult(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "../x.py",
        "a/../../x.py",
        "a\\b.py",
        ".hidden.py",
        "_zachet_harness.py",
        "",
        "x\0.py",
        "a/b/c/d/e.py",
        "x" * 300,
    ],
)
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message names the file
        validate_files({name: ""}, {"test_x.py": ""}, {})


def test_too_many_or_too_large_files_are_refused() -> None:
    with pytest.raises(ValueError, match="too many"):
        validate_files({f"f{i}.py": "" for i in range(21)}, {"test_x.py": ""}, {})
    with pytest.raises(ValueError, match="too large"):
        validate_files({"a.py": "x" * (256 * 1024 + 1)}, {"test_x.py": ""}, {})


def test_a_solution_file_may_not_replace_a_test() -> None:
    with pytest.raises(ValueError, match="twice"):
        validate_files({"test_x.py": "def test_x(): pass"}, {"test_x.py": ""}, {})


def test_run_tests_validates_before_running() -> None:
    with pytest.raises(ValueError, match="relative"):
        run_tests(language="python", files={"/x.py": ""}, test_files={"t.py": ""}, limits=Limits())


def test_plain_nested_names_are_accepted() -> None:
    validate_files({"pkg/solution.py": "", "main.go": ""}, {"pkg/test_solution.py": ""}, {})


GO_TESTS = """package exercise

import "testing"

// Adds numbers.
// testRunnerTaskID=2
func TestAdd(t *testing.T) {
\tif Add(1, 2) != 3 {
\t\tt.Fatal("no")
\t}
}

func TestSub(t *testing.T) {
}
"""


def test_go_test_functions_find_task_ids_and_code() -> None:
    found = go_test_functions(
        {"solution_test.go": GO_TESTS, "solution.go": "func TestNot(t *testing.T) {}"}
    )
    assert list(found) == ["TestAdd", "TestSub"]
    assert found["TestAdd"].task_id == 2
    assert found["TestAdd"].code.startswith("func TestAdd(t *testing.T) {")
    assert found["TestAdd"].code.endswith("\n}")
    assert found["TestSub"].task_id is None


def event(action: str, test: str | None = None, output: str | None = None, **extra: object) -> str:
    data: dict[str, object] = {"Action": action, "Package": "exercise", **extra}
    if test:
        data["Test"] = test
    if output is not None:
        data["Output"] = output
    return json.dumps(data)


def go_stream(*events: str) -> bytes:
    return ("\n".join(events) + "\n").encode()


NONCE = "0123456789abcdef0123456789abcdef"
BUILT = sandbox_result(stdout=go_stream(event("zachet-tests", Tests=["TestAdd", "TestSub"])))


def channel(*reports: tuple[str, str], nonce: str = NONCE, ready: bool = True) -> bytes:
    """The guard's report lines: its start, then (status, test name) each."""
    return b"".join(
        f"{nonce} {number} {status} {name.encode().hex()}\n".encode()
        for number, (status, name) in enumerate([("ready", "")] * ready + list(reports), start=1)
    )


def trusted(*reports: tuple[str, str]) -> TrustedResults:
    return read_trusted(channel(*reports), NONCE)


def test_go_json_parsing_folds_output_per_test() -> None:
    stream = go_stream(
        event("start"),
        event("run", "TestAdd"),
        event("output", "TestAdd", "=== RUN   TestAdd\n", OutputType="frame"),
        event("output", "TestAdd", "debug print\n"),
        event("output", "TestAdd", "    solution_test.go:9: Add(1, 2) = 4, want 3\n"),
        event("output", "TestAdd", "        more detail\n"),
        event("output", "TestAdd", "--- FAIL: TestAdd (0.00s)\n"),
        event("fail", "TestAdd"),
        event("run", "TestSub"),
        event("pass", "TestSub"),
        event("fail"),
    )
    events = parse_go_test_json(stream.decode())
    assert events.order == ["TestAdd", "TestSub"]
    assert events.status == {"TestAdd": "fail", "TestSub": "pass"}
    assert events.output["TestAdd"][0] == "debug print\n"

    report = go_report(
        BUILT,
        sandbox_result(returncode=1, stdout=stream),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(
            ("run", "TestAdd"),
            ("say", "TestAdd\0solution_test.go:9: Add(1, 2) = 4, want 3\nmore detail"),
            ("fail", "TestAdd"),
            ("run", "TestSub"),
            ("pass", "TestSub"),
        ),
    )
    assert report.verdict == "failed"
    assert [(t.name, t.status, t.task_id) for t in report.tests] == [
        ("TestAdd", "fail", 2),
        ("TestSub", "pass", None),
    ]
    assert report.tests[0].message == "solution_test.go:9: Add(1, 2) = 4, want 3\nmore detail"
    assert report.tests[0].output == "debug print\n"
    assert report.passed_count == 1
    assert report.total == 2


def test_go_build_failure_is_a_compile_error_pointing_at_the_file() -> None:
    stream = go_stream(
        event("zachet-tests", Tests=["TestAdd"]),
        event(
            "build-output",
            output="# exercise [exercise.test]\n",
            ImportPath="exercise [exercise.test]",
        ),
        event("build-output", output="./solution.go:12:5: undefined: x\n", ImportPath="exercise"),
        event("build-fail", ImportPath="exercise [exercise.test]"),
        event("output", output="FAIL\texercise [build failed]\n"),
        event("fail", FailedBuild="exercise [exercise.test]"),
    )
    report = go_report(sandbox_result(returncode=1, stdout=stream), expected={}, limits=Limits())
    assert report.verdict == "compile_error"
    assert report.message == "solution.go:12:5: undefined: x"
    assert report.results_json()["status"] == "error"


def test_go_refused_code_is_a_compile_error_with_each_reason() -> None:
    stream = go_stream(
        event("zachet-refused", output='solution.go:3:2: import "os/exec" is not allowed: it runs'),
        event("zachet-refused", output="solution.go:9:2: os.Exit is not allowed: it ends"),
    )
    report = go_report(sandbox_result(returncode=1, stdout=stream), expected={}, limits=Limits())
    assert report.verdict == "compile_error"
    assert report.message.splitlines() == [
        'solution.go:3:2: import "os/exec" is not allowed: it runs',
        "solution.go:9:2: os.Exit is not allowed: it ends",
    ]
    assert report.tests == ()


def test_go_a_broken_check_is_an_internal_error() -> None:
    stream = go_stream(event("zachet-internal", output="go.mod has no module line"))
    report = go_report(sandbox_result(returncode=2, stdout=stream), expected={}, limits=Limits())
    assert report.verdict == "internal_error"


def test_go_subtests_replace_their_parent() -> None:
    stream = go_stream(
        event("run", "TestSub"),
        event("run", "TestSub/one"),
        event("pass", "TestSub/one"),
        event("run", "TestSub/two"),
        event("output", "TestSub/two", "    solution_test.go:3: bad\n"),
        event("fail", "TestSub/two"),
        event("fail", "TestSub"),
        event("run", "TestAdd"),
        event("pass", "TestAdd"),
        event("fail"),
    )
    report = go_report(
        BUILT,
        sandbox_result(returncode=1, stdout=stream),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(
            ("run", "TestSub"),
            ("run", "TestSub/one"),
            ("pass", "TestSub/one"),
            ("run", "TestSub/two"),
            ("say", "TestSub/two\0solution_test.go:3: bad"),
            ("fail", "TestSub/two"),
            ("fail", "TestSub"),
            ("run", "TestAdd"),
            ("pass", "TestAdd"),
        ),
    )
    assert [(t.name, t.status) for t in report.tests] == [
        ("TestSub/one", "pass"),
        ("TestSub/two", "fail"),
        ("TestAdd", "pass"),
    ]
    assert report.tests[1].message == "solution_test.go:3: bad"
    assert report.verdict == "failed"


def test_go_a_parent_that_fails_by_itself_is_listed_with_its_passing_subtests() -> None:
    report = go_report(
        BUILT,
        sandbox_result(returncode=1, stdout=go_stream(event("fail"))),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(
            ("run", "TestSub"),
            ("run", "TestSub/one"),
            ("pass", "TestSub/one"),
            ("fail", "TestSub"),
            ("run", "TestAdd"),
            ("pass", "TestAdd"),
        ),
    )
    assert [(t.name, t.status) for t in report.tests] == [
        ("TestSub", "fail"),
        ("TestSub/one", "pass"),
        ("TestAdd", "pass"),
    ]
    assert report.verdict == "failed"


def sub_report(*reports: tuple[str, str], stream: bytes = b"") -> RunReport:
    """TestSub (with its subtests, as `reports` tell) and a passing TestAdd."""
    return go_report(
        BUILT,
        sandbox_result(returncode=1, stdout=stream or go_stream(event("fail"))),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(
            ("run", "TestSub"),
            *reports,
            ("fail", "TestSub"),
            ("run", "TestAdd"),
            ("pass", "TestAdd"),
        ),
    )


@pytest.mark.parametrize(
    ("reports", "listed", "passed"),
    [
        # A subtest fails; the parent has nothing of its own to say: the subtests stand for it.
        (
            [("run", "TestSub/a"), ("say", "TestSub/a\0x_test.go:5: a"), ("fail", "TestSub/a")],
            [("TestSub/a", "fail", "x_test.go:5: a"), ("TestAdd", "pass", "")],
            1,
        ),
        # Both fail, each with its own message (the parent's after its subtest ran): both listed,
        # the parent's failure counted as a test of its own.
        (
            [
                ("run", "TestSub/a"), ("say", "TestSub/a\0x_test.go:5: a"), ("fail", "TestSub/a"),
                ("say", "TestSub\0x_test.go:9: setup broke"),
            ],
            [
                ("TestSub", "fail", "x_test.go:9: setup broke"),
                ("TestSub/a", "fail", "x_test.go:5: a"),
                ("TestAdd", "pass", ""),
            ],
            1,
        ),
        # The parent fails first (t.Fail before t.Run), a subtest passes and another fails.
        (
            [
                ("say", "TestSub\0x_test.go:3: the test failed (t.Fail)"),
                ("run", "TestSub/a"), ("pass", "TestSub/a"),
                ("run", "TestSub/b"), ("say", "TestSub/b\0x_test.go:7: b"), ("fail", "TestSub/b"),
            ],
            [
                ("TestSub", "fail", "x_test.go:3: the test failed (t.Fail)"),
                ("TestSub/a", "pass", ""),
                ("TestSub/b", "fail", "x_test.go:7: b"),
                ("TestAdd", "pass", ""),
            ],
            2,
        ),
        # The parent only logged: not a failure of its own.
        (
            [
                ("log", "TestSub\0x_test.go:2: starting"),
                ("run", "TestSub/a"), ("say", "TestSub/a\0x_test.go:5: a"), ("fail", "TestSub/a"),
            ],
            [("TestSub/a", "fail", "x_test.go:5: a"), ("TestAdd", "pass", "")],
            1,
        ),
    ],
)  # fmt: skip
def test_go_a_parent_is_listed_beside_its_failing_subtests_when_it_failed_by_itself(
    reports: list[tuple[str, str]], listed: list[tuple[str, str, str]], passed: int
) -> None:
    report = sub_report(*reports)

    assert [(t.name, t.status, t.message) for t in report.tests] == listed
    assert (report.passed_count, report.total) == (passed, len(listed))
    assert report.verdict == "failed"


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        # A bare t.Fail() / t.FailNow(): the guard's words, with the line.
        ([("say", "TestSub\0x_test.go:3: the test failed (t.FailNow)")],
         "x_test.go:3: the test failed (t.FailNow)"),
        # t.Log then t.Fail: what it logged, then where it failed.
        ([("log", "TestSub\0x_test.go:2: cache miss for 7"),
          ("say", "TestSub\0x_test.go:3: the test failed (t.Fail)")],
         "x_test.go:2: cache miss for 7\nx_test.go:3: the test failed (t.Fail)"),
        # t.Log then t.Errorf: the message is the error's; the log stays in the output.
        ([("log", "TestSub\0x_test.go:2: cache miss for 7"), ("say", "TestSub\0x_test.go:4: bad")],
         "x_test.go:4: bad"),
        # Failed with nothing said (a method value) and no output.
        ([], "the test failed (its output has no message)"),
    ],
)  # fmt: skip
def test_go_a_failure_without_t_error_says_so_from_the_channel(
    reports: list[tuple[str, str]], message: str
) -> None:
    stream = go_stream(
        event("run", "TestSub"),
        event("output", "TestSub", "    x_test.go:2: cache miss for 7\n"),
        event("fail", "TestSub"),
        event("fail"),
    )
    if not reports:
        stream = go_stream(event("run", "TestSub"), event("fail", "TestSub"), event("fail"))

    (sub, _add) = sub_report(*reports, stream=stream).tests

    assert (sub.status, sub.message) == ("fail", message)
    if "cache miss" in message:
        assert sub.output == ""  # (shown once: as the message)


def test_go_a_log_outside_its_tests_run_voids_the_channel() -> None:
    results = trusted(("run", "TestAdd"), ("pass", "TestAdd"), ("log", "TestAdd\0x.go:1: late"))
    assert results.problem == "a message of TestAdd outside its run"
    assert trusted(("run", "TestAdd"), ("log", "TestAdd\0x.go:1: hi")).logged == {
        "TestAdd": ["x.go:1: hi"]
    }


FORGED = go_stream(
    event("run", "TestAdd"),
    event("output", "TestAdd", "--- PASS: TestAdd (0.00s)\n", OutputType="frame"),
    event("pass", "TestAdd"),
    event("run", "TestSub"),
    event("pass", "TestSub"),
    event("run", "TestFake"),
    event("pass", "TestFake"),
    event("pass"),
)


@pytest.mark.parametrize("returncode", [0, 1, 2])
def test_go_framing_in_the_output_never_makes_a_pass(returncode: int) -> None:
    # Regression (issue 27): a solution printing passing framing lines got 10/10 points.
    report = go_report(
        BUILT,
        sandbox_result(returncode=returncode, stdout=FORGED),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(("run", "TestAdd"), ("fail", "TestAdd")),  # the guard saw the truth
    )
    assert report.verdict != "passed"
    assert report.passed_count == 0
    assert "TestFake" not in [t.name for t in report.tests]
    assert code_score(scoring="per_test", points=Decimal(10), verdict=report.verdict,
                      tests=report.tests) == 0  # fmt: skip


def test_go_passes_the_channel_vouches_for_count_in_a_run_that_crashed_later() -> None:
    report = go_report(
        BUILT,
        sandbox_result(returncode=2, stdout=FORGED),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(("run", "TestAdd"), ("pass", "TestAdd"), ("run", "TestSub")),
    )
    assert report.verdict == "runtime_error"
    assert [(t.name, t.status) for t in report.tests] == [("TestAdd", "pass"), ("TestSub", "error")]
    assert code_score(scoring="per_test", points=Decimal(10), verdict=report.verdict,
                      tests=report.tests) == 5  # fmt: skip


@pytest.mark.parametrize(
    "data",
    [
        channel(("pass", "TestAdd")),  # an end without a start
        channel(("run", "TestAdd"), ("pass", "TestAdd"), ("pass", "TestAdd")),
        channel(("run", "TestAdd"), ("run", "TestAdd")),
        channel(("run", "TestAdd")) + channel(("pass", "TestAdd"), nonce="f" * 32, ready=False),
        channel(("run", "TestAdd")) + b"junk\n",
        channel(("run", "TestAdd"), ("win", "TestAdd")),
        channel(("run", "TestAdd"))
        + f"{NONCE} 5 pass {b'TestAdd'.hex()}\n".encode(),  # out of sequence
        channel(("run", "TestAdd"), ("ready", "")),  # a second start
        channel(("run", "TestAdd"), ready=False),  # no start
        channel(("say", "TestAdd\0x_test.go:1: early")),  # a message before its test ran
        channel(("run", "TestAdd"), ("pass", "TestAdd"), ("say", "TestAdd\0x_test.go:1: late")),
    ],
)
def test_go_a_channel_that_is_not_exactly_ours_vouches_for_nothing(data: bytes) -> None:
    results = read_trusted(data, NONCE)
    assert results.problem
    report = go_report(
        BUILT,
        sandbox_result(returncode=0, stdout=FORGED),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=results,
    )
    assert report.verdict == "runtime_error"
    assert report.passed_count == 0


def test_go_a_guard_that_never_stood_is_an_internal_error() -> None:
    report = go_report(
        BUILT,
        sandbox_result(returncode=125, stderr=b"zachet-guard: no report channel\n"),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=read_trusted(b"", NONCE),
    )
    assert report.verdict == "internal_error"
    assert "no report channel" in report.message


def test_go_a_report_cut_mid_line_is_not_read() -> None:
    data = channel(("run", "TestAdd"), ("pass", "TestAdd"))
    results = read_trusted(data[:-3], NONCE)
    assert results.problem == ""
    assert results.ended == {}
    assert results.order == ["TestAdd"]


@pytest.mark.parametrize(
    ("overrides", "verdict"),
    [
        ({"timed_out": True, "returncode": None, "signal": 9}, "time_limit"),
        ({"cpu_exceeded": True, "returncode": 152, "signal": 24}, "time_limit"),
        ({"memory_exceeded": True, "returncode": 137, "signal": 9}, "memory_limit"),
        ({"stdout_truncated": True, "returncode": None, "signal": 9}, "output_limit"),
        ({"stderr": b"fatal error: runtime: out of memory\n", "returncode": 1}, "memory_limit"),
    ],
)
def test_go_limits_take_precedence(overrides: dict[str, object], verdict: str) -> None:
    report = go_report(
        BUILT,
        sandbox_result(**overrides),
        expected={},
        limits=Limits(),
        trusted=trusted(("run", "TestAdd"), ("pass", "TestAdd")),
    )
    assert report.verdict == verdict
    assert code_score(scoring="per_test", points=Decimal(10), verdict=report.verdict,
                      tests=report.tests) == 0  # fmt: skip


def test_go_run_with_no_test_events_but_expected_tests_is_a_runtime_error() -> None:
    # e.g. learner code whose init() ends the program
    report = go_report(
        BUILT,
        sandbox_result(stdout=go_stream(event("pass"))),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(),
    )
    assert report.verdict == "runtime_error"
    assert [t.status for t in report.tests] == ["error", "error"]


def test_go_the_tests_the_build_instrumented_are_the_expected_ones() -> None:
    # TestSub sits in a file its build constraints leave out: the check did not instrument it.
    built = sandbox_result(stdout=go_stream(event("zachet-tests", Tests=["TestAdd"])))
    report = go_report(
        built,
        sandbox_result(returncode=0),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(("run", "TestAdd"), ("pass", "TestAdd")),
    )
    assert report.verdict == "passed"
    assert [(t.name, t.task_id) for t in report.tests] == [("TestAdd", 2)]


def test_a_pass_nothing_vouches_for_is_an_error() -> None:
    result = TestCaseResult(name="a", status="pass")
    assert result.status == "error"
    assert TestCaseResult(name="a", status="pass", vouched=True).status == "pass"


def test_results_json_is_exercism_v3() -> None:
    report = RunReport(
        verdict="failed",
        tests=(
            TestCaseResult(name="a", status="pass", test_code="x", task_id=1, vouched=True),
            TestCaseResult(name="b", status="fail", message="expected 1, got 2", output="o" * 600),
        ),
    )
    results = report.results_json()
    assert results["version"] == 3
    assert results["status"] == "fail"
    assert results["tests"][0] == {"name": "a", "status": "pass", "test_code": "x", "task_id": 1}
    second = results["tests"][1]
    assert second["message"] == "expected 1, got 2"
    assert len(second["output"]) <= 500
    assert "task_id" not in second
    json.dumps(results)

    error = RunReport(verdict="compile_error", message="x.py:1: SyntaxError").results_json()
    assert error == {"version": 3, "status": "error", "message": "x.py:1: SyntaxError", "tests": []}
    assert RunReport(verdict="passed").results_json()["status"] == "pass"


def harness_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "nonce": "n",
        "done": True,
        "error": None,
        "memory_error": False,
        "running": None,
        "tests": [
            {
                "name": "test_a",
                "status": "pass",
                "message": "",
                "output": "",
                "test_code": "",
                "task_id": None,
            }
        ],
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("result", "data", "verdict"),
    [
        ({}, harness_data(), "passed"),
        ({}, harness_data(tests=[{"name": "t", "status": "fail"}]), "failed"),
        ({}, harness_data(tests=[]), "internal_error"),
        ({}, harness_data(error={"kind": "compile_error", "message": "a.py:1"}), "compile_error"),
        ({"returncode": 0}, None, "runtime_error"),
        ({"returncode": 139, "signal": 11}, None, "runtime_error"),
        ({}, harness_data(done=False, running="test_a"), "runtime_error"),
        (
            {"timed_out": True, "returncode": None},
            harness_data(done=False, running="t"),
            "time_limit",
        ),
        ({}, harness_data(memory_error=True), "memory_limit"),
        ({"stdout_truncated": True}, None, "output_limit"),
    ],
)
def test_python_verdicts(
    result: dict[str, object], data: dict[str, object] | None, verdict: str
) -> None:
    report = python_report(sandbox_result(**result), data, limits=Limits(), test_files={"t.py": ""})
    assert report.verdict == verdict


def test_python_results_need_our_nonce_and_a_plain_file(tmp_path: Path) -> None:
    good = tmp_path / "r.json"
    good.write_text(json.dumps(harness_data(nonce="right")))
    assert read_results(good, "right") is not None
    assert read_results(good, "wrong") is None
    # A symlink planted by learner code must not make the worker read a host file.
    link = tmp_path / "link.json"
    os.symlink(good, link)
    assert read_results(link, "right") is None
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    assert read_results(fifo, "right") is None
    assert read_results(tmp_path / "missing.json", "right") is None


def test_python_results_survive_junk_learner_code_wrote_before_them(tmp_path: Path) -> None:
    # Learner code can write to the results file (up to RLIMIT_FSIZE); the harness's whole
    # result is the last line, and the end of a file past the read cap is what counts.
    path = tmp_path / "r.json"
    junk = (b"x" * 1000 + b"\n") * (RESULTS_MAX_BYTES // 1000 + 50)
    path.write_bytes(junk + json.dumps(harness_data(nonce="right")).encode() + b"\n")
    assert path.stat().st_size > RESULTS_MAX_BYTES

    data = read_results(path, "right")

    assert data is not None
    assert data["done"] is True


def test_python_results_lines_built_to_break_the_parser_are_skipped(tmp_path: Path) -> None:
    # Regression (review): learner code can write to the results file; these lines raised
    # RecursionError and UnicodeEncodeError in the worker, an internal error run 3 times.
    path = tmp_path / "r.json"
    bombs = ["[" * 5000, '{"nonce": "\\ud800"}', '{"nonce": "right", "tests": ' + "[" * 5000]
    path.write_text("\n".join([*bombs, json.dumps(harness_data(nonce="right"))]) + "\n")

    data = read_results(path, "right")

    assert data is not None
    assert data["done"] is True


def test_python_results_log_of_a_run_cut_short(tmp_path: Path) -> None:
    # The harness logs each test as it starts and ends; a run killed in test_b leaves this.
    entry = harness_data()["tests"][0]  # type: ignore[index]
    lines = [
        {"nonce": "right", "running": "test_a"},
        {"nonce": "right", "test": entry},
        {"nonce": "right", "running": "test_b"},
        {"nonce": "forged", "test": {**entry, "name": "test_b"}},  # learner code's line
        {"nonce": "ключ", "test": {**entry, "name": "test_b"}},  # not even ASCII
    ]
    path = tmp_path / "r.json"
    path.write_text("\n".join(json.dumps(line) for line in lines) + '\n{"nonce": "right", "te')

    data = read_results(path, "right")

    assert data is not None
    assert (data["done"], data["running"], data["tests"]) == (False, "test_b", [entry])
    report = python_report(sandbox_result(), data, limits=Limits(), test_files={"t.py": ""})
    assert report.verdict == "runtime_error"
    assert [test.name for test in report.tests] == ["test_a", "test_b"]


def test_python_results_whole_result_wins_over_the_log(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    final = harness_data(nonce="right")
    path.write_text(
        json.dumps({"nonce": "right", "running": "test_a"})
        + "\n"
        + json.dumps(final)
        + "\n"
        + json.dumps({"nonce": "wrong", **harness_data(tests=[])})
    )
    assert read_results(path, "right") == final


ENDED = harness_data(
    learner_ended="the other process ended",
    error={"kind": "runtime_error", "message": "the program ended during test_b: ..."},
    tests=[
        {"name": "test_a", "status": "pass"},
        {"name": "test_b", "status": "error", "message": "ended", "ended": True},
        {"name": "test_c", "status": "error", "message": "not run: the program had ended"},
    ],
)


@pytest.mark.parametrize(
    ("learner", "verdict", "message_of_b"),
    [
        ({}, "runtime_error", "ended"),
        ({"cpu_exceeded": True, "signal": 9}, "time_limit", "CPU time limit exceeded (5 s)"),
        ({"memory_exceeded": True}, "memory_limit", "memory limit exceeded (256 MB)"),
        ({"stdout_truncated": True}, "output_limit", "output limit exceeded (64 KB)"),
    ],
)
def test_python_learner_process_ending_fails_the_test_it_ran_and_the_rest(
    learner: dict[str, object], verdict: str, message_of_b: str
) -> None:
    # Issue 27: the learner process's end (its own or a limit's) is the learner's, and
    # the tests it never got to are listed as errors: no points without a proven pass.
    result = combined_result(sandbox_result(), sandbox_result(**learner), ENDED)
    report = python_report(result, ENDED, limits=Limits(), test_files={"t.py": ""})
    assert report.verdict == verdict
    assert [t.status for t in report.tests] == ["pass", "error", "error"]
    assert report.tests[1].message == message_of_b


def test_python_learner_limits_after_the_tests_are_done_do_not_count() -> None:
    # (the learner process is killed once the tests are done: not its time limit)
    killed = sandbox_result(cpu_exceeded=True, signal=9)
    result = combined_result(sandbox_result(), killed, harness_data())
    report = python_report(result, harness_data(), limits=Limits(), test_files={"t.py": ""})
    assert report.verdict == "passed"


# --- what a failing Go test shows (issue 22, item 3) -----------------------------------------


def test_go_messages_come_from_the_channel_and_the_output_keeps_only_the_rest() -> None:
    """The test's failure messages are the guard's reports of its t.Errorf calls; lines that
    learner code printed, even shaped like a message, stay in the output, never the message
    or the expected/got fields."""
    stream = go_stream(
        event("run", "TestAdd"),
        event("output", "TestAdd", "    solution_test.go:9: Add(1, 2) = 3, want 3\n"),  # printed
        event("output", "TestAdd", "debug\n"),
        event("output", "TestAdd", "    solution_test.go:9: Add(1, 2) = 4, want 3\n"),
        event("fail", "TestAdd"),
        event("run", "TestSub"),
        event("output", "TestSub", "    solution_test.go:20: Sub() = 1, want 2\n"),  # printed
        event("fail", "TestSub"),
        event("fail"),
    )
    report = go_report(
        BUILT,
        sandbox_result(returncode=1, stdout=stream),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(
            ("run", "TestAdd"),
            ("say", "TestAdd\0solution_test.go:9: Add(1, 2) = 4, want 3"),
            ("fail", "TestAdd"),
            ("run", "TestSub"),
            ("fail", "TestSub"),  # (f := t.Errorf; f(...): no message reported)
        ),
    )
    add, sub = report.tests
    assert add.message == "solution_test.go:9: Add(1, 2) = 4, want 3"
    assert (add.expected, add.got) == ("3", "4")
    assert add.output == "    solution_test.go:9: Add(1, 2) = 3, want 3\ndebug\n"
    assert report.results_json()["tests"][0]["expected"] == "3"
    # No report from the guard: the output stays output (learner code may have printed it),
    # the message only says where to look, and there is no expected/got.
    assert sub.message == "the test failed (see its output)"
    assert (sub.expected, sub.got) == ("", "")
    assert sub.output == "    solution_test.go:20: Sub() = 1, want 2\n"


@pytest.mark.parametrize(
    ("said", "sides"),
    [
        (["x_test.go:3: Add(1, 2) = 4, want 3"], ("3", "4")),
        (["x_test.go:3: got [1 2], want [2 1]"], ("[2 1]", "[1 2]")),
        (['x_test.go:3: Get("a"): got "b, c", want "d"'], ('"d"', '"b, c"')),
        (["x_test.go:3: Backoff with Rand=0 = 1s, want 0s"], ("0s", "1s")),
        (["x_test.go:3: no value"], ("", "")),
        (["x_test.go:3: Add = 1, want 2\nmore"], ("", "")),  # several lines: not that form
        (["x_test.go:3: calls = 2"], ("", "")),
        (["x_test.go:3: first", "x_test.go:4: n = 1, want 2"], ("2", "1")),
    ],
)
def test_go_expected_and_got_from_the_conventional_message(
    said: list[str], sides: tuple[str, str]
) -> None:
    assert compared_sides(said) == sides


PANIC_TRACE = [
    "panic: assignment to entry in nil map [recovered, repanicked]\n",
    "\n",
    "goroutine 7 [running]:\n",
    "testing.tRunner.func1.2({0x6c5668, 0x6fdf30})\n",
    "\t/usr/lib/go/src/testing/testing.go:2125 +0x232\n",
    "exercise.Put(...)\n",
    "\t/work/cache/store.go:12\n",
    "exercise.TestAdd.func1()\n",
    "\t/work/solution_test.go:9 +0x1d\n",
    "\n",
    "goroutine 1 [chan receive]:\n",
    "exercise.Other()\n",
    "\t/work/cache/other.go:3\n",
]


@pytest.mark.parametrize(
    ("learner", "message"),
    [
        (["cache/store.go"], "panic: assignment to entry in nil map (at cache/store.go:12)"),
        # Only in the tests' code, or in another goroutine's stack: no line is named (never
        # a line of the hidden tests).
        ([], "panic: assignment to entry in nil map"),
        (["cache/other.go"], "panic: assignment to entry in nil map"),
    ],
)
def test_go_a_panic_names_the_learners_line_only(learner: list[str], message: str) -> None:
    stream = go_stream(
        event("run", "TestAdd"),
        *(event("output", "TestAdd", line) for line in PANIC_TRACE),
        event("output", "TestAdd", "FAIL\texercise\t0.01s\n"),
    )
    report = go_report(
        BUILT,
        sandbox_result(returncode=2, stdout=stream),
        expected=go_test_functions({"solution_test.go": GO_TESTS}),
        limits=Limits(),
        trusted=trusted(("run", "TestAdd")),
        learner_files=learner,
    )
    assert report.verdict == "runtime_error"
    assert report.tests[0].message == message
    assert "solution_test.go:9" not in report.tests[0].message
