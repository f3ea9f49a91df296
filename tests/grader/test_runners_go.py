# ruff: noqa: E501 - the Go programs under test read better unwrapped
"""Go exercises run for real in the sandbox (go test -json over the warm cache): hostile
programs get the right verdict within their limits, leak nothing, leave no process and cannot
touch the shared build cache; ordinary ones pass, fail, fail to compile and panic usefully."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from grader import sandbox
from grader.runners import Allowances, RunReport, run_tests
from grader.runners.go import EXPORTS_FILE, go_cache_ready, go_cache_warm
from grader.sandbox import Limits

pytestmark = [pytest.mark.slow, pytest.mark.no_database, pytest.mark.usefixtures("need_sandbox")]

REPO = Path(__file__).resolve().parents[2]
TIGHT = Limits(cpu_seconds=2, wall_seconds=3)
PROBE_TEST = """package exercise

import "testing"

func TestProbe(t *testing.T) {
\tif got := Probe(); len(got) != 0 {
\t\tt.Fatalf("leaked: %v", got)
\t}
}
"""


@pytest.fixture(autouse=True)
def shared_cache(go_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)
    return go_cache


# The sandbox must hold where an exercise relaxes the Go policy too: probes that need a
# refused package (os/exec, syscall) run as such an exercise's would.
RELAXABLE = ("os/exec", "syscall")


def run(solution: str, limits: Limits = TIGHT, tests: str = PROBE_TEST) -> RunReport:
    allowed = tuple(name for name in RELAXABLE if f'"{name}"' in solution)
    report = run_tests(
        language="go",
        files={"probe.go": solution},
        test_files={"probe_test.go": tests},
        limits=limits,
        allowances=Allowances(packages=allowed),
    )
    assert report.wall_seconds <= limits.wall_seconds + 1
    return report


def probe(imports: list[str], body: str) -> str:
    lines = "\n".join(f'\t"{name}"' for name in imports)
    return f"package exercise\n\nimport (\n{lines}\n)\n\nfunc Probe() map[string]string {{\n{body}\n}}\n"


def everything(report: RunReport) -> str:
    return json.dumps(report.results_json()) + report.stdout + report.stderr + report.message


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for directory, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            path = Path(directory, name)
            info = path.stat()
            digest.update(f"{path.relative_to(root)} {info.st_mode} {info.st_mtime_ns}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def host_listener() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


# --- hostile programs ---------------------------------------------------------------------


@pytest.mark.usefixtures("no_leftover_processes")
def test_infinite_loop_is_a_time_limit() -> None:
    report = run(probe([], "\tfor {\n\t}"))
    assert report.verdict == "time_limit"


@pytest.mark.usefixtures("no_leftover_processes")
def test_sleeping_past_the_wall_clock_is_a_time_limit() -> None:
    report = run(probe(["time"], "\ttime.Sleep(time.Hour)\n\treturn nil"))
    assert report.verdict == "time_limit"
    assert report.tests[0].status == "error"


@pytest.mark.usefixtures("no_leftover_processes")
def test_fork_bomb_is_stopped() -> None:
    report = run(
        probe(
            ["os/exec"],
            '\t_ = exec.Command("/bin/sh", "-c", ":(){ :|:& };:").Run()\n\tfor {\n\t}',
        )
    )
    assert report.verdict == "time_limit"


@pytest.mark.usefixtures("no_leftover_processes")
def test_memory_bomb_is_a_memory_limit() -> None:
    report = run(
        probe(
            [],
            "\tvar hog [][]byte\n\tfor {\n\t\tchunk := make([]byte, 16<<20)\n"
            "\t\tfor i := range chunk {\n\t\t\tchunk[i] = 1\n\t\t}\n\t\thog = append(hog, chunk)\n\t}",
        )
    )
    assert report.verdict == "memory_limit"


@pytest.mark.usefixtures("no_leftover_processes")
def test_hundred_megabytes_of_output_is_an_output_limit() -> None:
    report = run(
        probe(
            ["os", "strings"],
            '\tline := strings.Repeat("x", 1<<20)\n\tfor i := 0; i < 100; i++ {\n'
            "\t\tos.Stdout.WriteString(line)\n\t}\n\treturn nil",
        )
    )
    assert report.verdict == "output_limit"


@pytest.mark.usefixtures("no_leftover_processes")
def test_a_one_gigabyte_file_is_refused() -> None:
    report = run(
        probe(
            ["os"],
            '\tf, err := os.Create("/tmp/big")\n\tif err != nil {\n'
            '\t\treturn map[string]string{"create": err.Error()}\n\t}\n'
            "\tchunk := make([]byte, 1<<20)\n\tfor i := 0; i < 1024; i++ {\n"
            '\t\tif _, err := f.Write(chunk); err != nil {\n\t\t\treturn map[string]string{"write": err.Error()}\n'
            "\t\t}\n\t}\n\treturn nil",
        )
    )
    assert report.verdict == "failed"
    assert "file too large" in report.tests[0].message


@pytest.mark.usefixtures("no_leftover_processes")
def test_no_network(host_listener: int) -> None:
    report = run(
        probe(
            ["fmt", "net", "time"],
            "\treached := map[string]string{}\n"
            f"\tfor _, port := range []int{{6379, 5432, {host_listener}}} {{\n"
            '\t\taddress := fmt.Sprintf("127.0.0.1:%d", port)\n'
            '\t\tif conn, err := net.DialTimeout("tcp", address, time.Second); err == nil {\n'
            '\t\t\tconn.Close()\n\t\t\treached[address] = "connected"\n\t\t}\n\t}\n\treturn reached',
        )
    )
    assert report.verdict == "passed", everything(report)


@pytest.mark.usefixtures("no_leftover_processes")
def test_host_files_and_environment_are_invisible(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "zachet-secret-" + secrets.token_hex(8)
    monkeypatch.setenv("ZACHET_TEST_SECRET", secret)
    paths = [
        "/etc/passwd",
        str(REPO / "config" / "settings.py"),
        str(REPO / "var" / "db.sqlite3"),
        "/root",
        "/home",
    ]
    listed = ", ".join(f'"{path}"' for path in paths)
    report = run(
        probe(
            ["fmt", "os", "path/filepath", "strings"],
            "\tseen := map[string]string{}\n"
            f"\tfor _, path := range []string{{{listed}}} {{\n"
            '\t\tif _, err := os.Stat(path); err == nil {\n\t\t\tseen[path] = "visible"\n\t\t}\n\t}\n'
            "\tfor _, kv := range os.Environ() {\n"
            '\t\tif strings.Contains(kv, "SECRET") {\n\t\t\tseen["env"] = kv\n\t\t}\n\t}\n'
            '\tfiles, _ := filepath.Glob("/proc/*/environ")\n'
            '\tfiles = append(files, "/proc/1/environ", fmt.Sprintf("/proc/%d/environ", os.Getppid()))\n'
            "\tfor _, path := range files {\n"
            '\t\tif data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), "SECRET") {\n'
            '\t\t\tseen[path] = "secret"\n\t\t}\n\t}\n\treturn seen',
        )
    )
    assert report.verdict == "passed", everything(report)
    assert secret not in everything(report)


@pytest.mark.usefixtures("no_leftover_processes")
def test_writes_outside_the_work_directory_fail_or_vanish() -> None:
    marker = "zachet-probe-" + secrets.token_hex(6)
    report = run(
        probe(
            ["os"],
            "\twritten := map[string]string{}\n"
            f'\tfor _, path := range []string{{"/usr/{marker}", "/{marker}", "/etc/{marker}"}} {{\n'
            '\t\tif err := os.WriteFile(path, []byte("x"), 0o644); err == nil {\n'
            '\t\t\twritten[path] = "written"\n\t\t}\n\t}\n'
            f'\t_ = os.WriteFile("/tmp/{marker}", []byte("private"), 0o644)\n\treturn written',
        )
    )
    assert report.verdict == "passed", everything(report)
    assert not Path("/tmp", marker).exists()


@pytest.mark.usefixtures("no_leftover_processes")
def test_many_files_do_not_land_on_the_hosts_disk() -> None:
    # Regression: /work was the host's disk while the tests ran (~20 GB in a 10 s run).
    # Now it is a tmpfs counted in the run's memory, with the build's files bound read-only.
    report = run(
        probe(
            ["fmt", "os", "strings"],
            '\tmounts, _ := os.ReadFile("/proc/self/mounts")\n'
            '\tif !strings.Contains(string(mounts), "tmpfs /work tmpfs") {\n'
            '\t\treturn map[string]string{"/work": "not a tmpfs"}\n\t}\n'
            "\tchunk := make([]byte, 15<<20)\n"
            '\tif err := os.WriteFile("probe.go", nil, 0o644); err == nil {\n'
            '\t\treturn map[string]string{"source": "overwritten"}\n\t}\n'
            "\tfor i := 0; i < 2000; i++ {\n"
            '\t\tif err := os.WriteFile(fmt.Sprintf("f%d", i), chunk, 0o644); err != nil {\n'
            '\t\t\treturn map[string]string{"work": "full"}\n\t\t}\n\t}\n\treturn nil',
        ),
        # Filling the 1 GiB memory floor took more than TIGHT's 2 s of CPU on a slow CI
        # machine; the limit under test here is memory, so the CPU gets room.
        limits=Limits(cpu_seconds=10, wall_seconds=15),
    )
    if sandbox._own_cgroups()[1].get("memory"):  # the tmpfs pages count in the cgroup
        assert report.verdict == "memory_limit", everything(report)
    else:  # the tmpfs's own size stops it
        assert report.verdict == "failed", everything(report)
        assert "map[work:full]" in report.tests[0].message


@pytest.mark.usefixtures("no_leftover_processes")
def test_setsid_escape_does_not_outlive_the_run() -> None:
    report = run(
        probe(
            ["os/exec"],
            '\t_ = exec.Command("/bin/sh", "-c", "setsid sh -c \'sleep 600\' </dev/null >/dev/null 2>&1 &").Run()\n'
            '\t_ = exec.Command("/bin/sh", "-c", "(sleep 600 &) &").Run()\n\treturn nil',
        )
    )
    assert report.verdict == "passed", everything(report)


@pytest.mark.usefixtures("no_leftover_processes")
def test_the_shared_build_cache_cannot_be_modified(shared_cache: Path) -> None:
    before = tree_digest(shared_cache)
    report = run(
        probe(
            ["io/fs", "os", "path/filepath", "syscall", "time"],
            "\tchanged := map[string]string{}\n"
            '\troot := os.Getenv("GOCACHE")\n'
            "\tfilepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {\n"
            "\t\tif err != nil || entry.IsDir() {\n\t\t\treturn nil\n\t\t}\n"
            "\t\t// entries this run added are its own; the shared ones are linked in\n"
            "\t\tif info, err := os.Stat(path); err != nil || info.Sys().(*syscall.Stat_t).Uid == uint32(os.Getuid()) {\n"
            "\t\t\treturn nil\n\t\t}\n"
            "\t\tif f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0); err == nil {\n"
            '\t\t\tf.WriteString("tampered")\n\t\t\tf.Close()\n\t\t\tchanged[path] = "written"\n\t\t}\n'
            '\t\tif os.Chmod(path, 0o666) == nil {\n\t\t\tchanged[path] = "chmod"\n\t\t}\n'
            '\t\tif os.Chtimes(path, time.Now(), time.Unix(0, 0)) == nil {\n\t\t\tchanged[path] = "chtimes"\n\t\t}\n'
            "\t\treturn nil\n\t})\n"
            '\tif len(changed) > 3 {\n\t\treturn map[string]string{"files changed": "many"}\n\t}\n\treturn changed',
        ),
        limits=Limits(cpu_seconds=5, wall_seconds=8),
    )
    assert report.verdict == "passed", everything(report)
    assert tree_digest(shared_cache) == before


def test_a_stale_cache_is_rebuilt_from_its_own_entries(shared_cache: Path, tmp_path: Path) -> None:
    # given a copy of the warm cache that is stale (warmed for another guard, say)
    stale = tmp_path / "go-cache"
    subprocess.run(["cp", "-al", str(shared_cache), str(stale)], check=True)
    (stale / "zachet-warm.json").unlink()  # (a hard link to the shared cache's)
    (stale / "zachet-warm.json").write_text(json.dumps({"guard": "another"}))
    assert not go_cache_ready(stale)
    # when it is warmed
    go_cache_warm(cache_dir=stale)
    # then it is warm, and its standard packages are the old entries, carried over (not built
    # again from nothing: 20-30 s), while the cache it started from is untouched
    assert go_cache_ready(stale)
    exports = json.loads((stale / EXPORTS_FILE).read_text())
    assert exports == json.loads((shared_cache / EXPORTS_FILE).read_text())
    assert (stale / exports["fmt"]).stat().st_ino == (shared_cache / exports["fmt"]).stat().st_ino
    assert go_cache_ready(shared_cache)


# --- ordinary exercises -------------------------------------------------------------------

ADD_TESTS = """package exercise

import "testing"

// testRunnerTaskID=1
func TestAdd(t *testing.T) {
\tif got := Add(1, 2); got != 3 {
\t\tt.Errorf("Add(1, 2) = %d, want 3", got)
\t}
}

// testRunnerTaskID=2
func TestDouble(t *testing.T) {
\tif got := Double(2); got != 4 {
\t\tt.Errorf("Double(2) = %d, want 4", got)
\t}
}
"""
ADD = "package exercise\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n\nfunc Double(a int) int {\n\treturn 2 * a\n}\n"


def add(solution: str) -> RunReport:
    return run_tests(
        language="go",
        files={"solution.go": solution},
        test_files={"solution_test.go": ADD_TESTS},
        limits=Limits(),
    )


def test_a_correct_solution_passes() -> None:
    report = add(ADD)
    assert report.verdict == "passed", everything(report)
    assert [(t.name, t.status, t.task_id) for t in report.tests] == [
        ("TestAdd", "pass", 1),
        ("TestDouble", "pass", 2),
    ]
    assert report.tests[0].test_code.startswith("func TestAdd(t *testing.T) {")


def test_a_wrong_solution_fails_with_the_message() -> None:
    report = add(ADD.replace("return a + b", "return a * b"))
    assert report.verdict == "failed"
    assert report.tests[0].message == "solution_test.go:8: Add(1, 2) = 2, want 3"
    assert report.passed_count == 1


FEEDBACK_TESTS = """package exercise

import "testing"

func check(t testing.TB, got, want int) {
\tt.Helper()
\tif got != want {
\t\tt.Fatalf("got %d, want %d", got, want)
\t}
}

func TestAdd(t *testing.T) {
\tif got := Add(1, 2); got != 3 {
\t\tt.Errorf("Add(1, 2) = %d, want 3", got)
\t}
}

func TestHelper(t *testing.T) {
\tt.Run("sub", func(t *testing.T) { check(t, Add(2, 3), 5) })
}

func TestBytes(t *testing.T) {
\tt.Error("not utf-8:", string([]byte{0xff}))
}

func TestOwnPanic(t *testing.T) {
\tvar m map[string]int
\tm["x"] = Add(0, 0)
}
"""


def wrong_add_printing(line: str, tests: str) -> RunReport:
    """A wrong Add (a * b) that prints `line`, shaped like a test's message, run by `tests`."""
    solution = (
        'package exercise\n\nimport "fmt"\n\nfunc Add(a, b int) int {\n'
        f'\tfmt.Println("{line}")\n\treturn a * b\n}}\n'
    )
    return run_tests(
        language="go",
        files={"solution.go": solution},
        test_files={"solution_test.go": tests},
        limits=Limits(),
    )


def test_a_failure_shows_expected_and_got_from_the_test_not_from_printing() -> None:
    """The messages come over the guard's channel (the instrumented t.Errorf): what learner
    code prints, shaped like a message, stays its output."""
    report = wrong_add_printing("    solution_test.go:14: Add(1, 2) = 3, want 3", FEEDBACK_TESTS)
    tests = {test.name: test for test in report.tests}
    add = tests["TestAdd"]
    assert add.message == "solution_test.go:14: Add(1, 2) = 2, want 3"
    assert (add.expected, add.got) == ("3", "2")
    assert add.output == "    solution_test.go:14: Add(1, 2) = 3, want 3\n"
    helper = tests["TestHelper/sub"]
    assert helper.message == "solution_test.go:8: got 6, want 5"
    assert (helper.expected, helper.got) == ("5", "6")
    assert "got 6" not in helper.output  # testing's own line for it is not repeated
    assert tests["TestBytes"].message == "solution_test.go:23: not utf-8: \ufffd"
    own = tests["TestOwnPanic"]
    # A panic in the tests' own code: no line of theirs is named.
    assert own.message == "panic: assignment to entry in nil map", own.message
    assert report.verdict == "runtime_error"


BARE_FAILURE_TESTS = """package exercise

import "testing"

func TestFail(t *testing.T) {
\tif Add(1, 2) != 3 {
\t\tt.Fail()
\t}
}

func TestLogThenFailNow(t *testing.T) {
\tif got := Add(2, 3); got != 5 {
\t\tt.Logf("Add(2, 3) = %d, want 5", got)
\t\tt.FailNow()
\t}
}

func TestMethodValue(t *testing.T) {
\tfail := t.Errorf
\tfail("Add(0, 5) = %d, want 5", Add(0, 5))
}

func TestParent(t *testing.T) {
\tt.Run("sub", func(t *testing.T) {
\t\tif Add(3, 3) != 6 {
\t\t\tt.Error("Add(3, 3) wrong")
\t\t}
\t})
\tif Add(1, 1) != 2 {
\t\tt.Errorf("Add(1, 1) = %d, want 2", Add(1, 1))
\t}
}

func TestParentQuiet(t *testing.T) {
\tt.Log("trying")
\tt.Run("sub", func(t *testing.T) { t.FailNow() })
}
"""


def test_failures_without_t_error_and_a_failing_parent_show_the_guards_words() -> None:
    """t.Fail / t.FailNow say so, with their line; what a test logged before failing is its
    message; a method value's words stay output; a parent that failed by itself is listed
    beside its failing subtest. Learner code printing lines shaped like them changes none."""
    report = wrong_add_printing(
        "    solution_test.go:7: the test failed (t.Fail)", BARE_FAILURE_TESTS
    )
    tests = {test.name: (test.status, test.message) for test in report.tests}
    assert tests == {
        "TestFail": ("fail", "solution_test.go:7: the test failed (t.Fail)"),
        "TestLogThenFailNow": (
            "fail",
            "solution_test.go:13: Add(2, 3) = 6, want 5\n"
            "solution_test.go:14: the test failed (t.FailNow)",
        ),
        "TestMethodValue": ("fail", "the test failed (see its output)"),
        "TestParent": ("fail", "solution_test.go:30: Add(1, 1) = 1, want 2"),
        "TestParent/sub": ("fail", "solution_test.go:26: Add(3, 3) wrong"),
        # (its t.Log is not a failure of its own: the subtest stands for it)
        "TestParentQuiet/sub": ("fail", "solution_test.go:36: the test failed (t.FailNow)"),
    }, everything(report)
    by_name = {test.name: test for test in report.tests}
    assert "Add(0, 5) = 0, want 5" in by_name["TestMethodValue"].output
    # (what learner code printed stays output: never the message of a test that has none)
    assert "solution_test.go:7: the test failed (t.Fail)" in by_name["TestMethodValue"].output
    assert "Add(2, 3)" not in by_name["TestLogThenFailNow"].output  # (shown once, as the message)
    assert (report.verdict, report.passed_count, report.total) == ("failed", 0, 6)


def test_a_panic_in_a_learners_helper_names_the_learners_file_and_line() -> None:
    solution = (
        "package exercise\n\nvar cache map[string]int\n\nfunc Add(a, b int) int {\n"
        '\treturn store("k", a+b)\n}\n\nfunc store(k string, v int) int {\n'
        "\tcache[k] = v\n\treturn v\n}\n\nfunc Double(a int) int {\n\treturn 2 * a\n}\n"
    )
    report = add(solution)
    assert report.verdict == "runtime_error"
    assert report.tests[0].message == "panic: assignment to entry in nil map (at solution.go:10)"


def test_a_compile_error_points_at_file_and_line() -> None:
    report = add(ADD.replace("return a + b", "return a + x"))
    assert report.verdict == "compile_error"
    assert report.message == "solution.go:4:13: undefined: x"


def test_a_panic_is_a_runtime_error() -> None:
    report = add(ADD.replace("return a + b", "var s []int\n\treturn s[a]"))
    assert report.verdict == "runtime_error"
    assert report.tests[0].status == "error"
    assert report.tests[0].message.startswith("panic: runtime error: index out of range")
    assert "solution.go:5" in report.tests[0].message
    assert report.tests[1].status == "error"  # never ran: the panic ended the test binary


@pytest.mark.usefixtures("no_leftover_processes")
def test_learner_code_cannot_open_the_hidden_tests_and_print_them() -> None:
    # Regression (review): in one `go test` the _test.go files sat beside the running
    # code, which could read them and print them into its failure output.
    hidden = PROBE_TEST.replace(
        "func TestProbe", "// hidden_marker_5c1d: expected values\nfunc TestProbe"
    )
    solution = probe(
        ["os"],
        "\tfound := map[string]string{}\n"
        '\tentries, _ := os.ReadDir(".")\n'
        "\tfor _, entry := range entries {\n"
        "\t\tdata, err := os.ReadFile(entry.Name())\n"
        "\t\tif err != nil {\n\t\t\tfound[entry.Name()] = err.Error()\n\t\t\tcontinue\n\t\t}\n"
        "\t\tif len(data) > 400 {\n\t\t\tdata = data[:400]\n\t\t}\n"
        "\t\tfound[entry.Name()] = string(data)\n"
        "\t}\n"
        "\treturn found",
    )
    report = run(solution, tests=hidden)
    assert report.verdict == "failed"  # it ran, and its map was not empty
    assert "probe.go" in everything(report)  # it could list and read its own files
    assert "hidden_marker_5c1d" not in everything(report)
