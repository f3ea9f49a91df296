# ruff: noqa: E501 - the Go programs under test read better unwrapped
"""Our own forgers for Go (issue 27): solutions that try to pass a test they fail, each run
through the real runner in the real sandbox. None is ever `passed`, none earns the points of
the test it fails, and each gets a clear verdict.

The exercise: TestAdd and TestDouble; every forger's Add is wrong (a * b) and its Double is
right, so an honest run is `failed` with 5.00 of 10 points.
"""

from __future__ import annotations

import json
import platform
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from grader.runners import Allowances, RunReport, run_tests
from grader.runners.policy import DEFAULT_ALLOWANCES
from grader.sandbox import Limits
from grader.scoring import code_score

pytestmark = [
    pytest.mark.slow,
    pytest.mark.no_database,
    pytest.mark.usefixtures("need_sandbox", "no_leftover_processes"),
]

TESTS = """package exercise

import "testing"

func TestAdd(t *testing.T) {
\tif got := Add(1, 2); got != 3 {
\t\tt.Errorf("Add(1, 2) = %d, want 3", got)
\t}
}

func TestDouble(t *testing.T) {
\tif got := Double(2); got != 4 {
\t\tt.Errorf("Double(2) = %d, want 4", got)
\t}
}
"""
DOUBLE = "\nfunc Double(a int) int {\n\treturn 2 * a\n}\n"
LIMITS = Limits(cpu_seconds=5, wall_seconds=10)
# What a forger prints: framing lines for both tests and the package, with the public marker.
FORGED = r'"\x16=== RUN   TestAdd\n\x16--- PASS: TestAdd (0.00s)\n\x16=== RUN   TestDouble\n\x16--- PASS: TestDouble (0.00s)\n\x16PASS\n"'


@pytest.fixture(autouse=True)
def shared_cache(go_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)
    return go_cache


def solution(imports: list[str], body: str, *, add: str = "return a * b", top: str = "") -> str:
    lines = "\n".join(f"\t{name}" for name in imports)
    return (
        f"package exercise\n\nimport (\n{lines}\n)\n{top}\n"
        f"func Add(a, b int) int {{\n{body}\n\t{add}\n}}\n{DOUBLE}"
    )


def graded(code: str, allowances: Allowances = DEFAULT_ALLOWANCES) -> RunReport:
    return run_tests(
        language="go",
        files={"solution.go": code},
        test_files={"solution_test.go": TESTS},
        limits=LIMITS,
        allowances=allowances,
    )


def points(report: RunReport) -> Decimal:
    return code_score(
        scoring="per_test", points=Decimal(10), verdict=report.verdict, tests=report.tests
    )


def everything(report: RunReport) -> str:
    return json.dumps(report.results_json()) + report.stdout + report.stderr + report.message


def assert_not_forged(report: RunReport, *verdicts: str) -> None:
    assert report.verdict in verdicts, everything(report)
    assert report.verdict != "passed"
    assert "TestAdd" not in [t.name for t in report.tests if t.status == "pass"]
    assert points(report) <= Decimal("5.00")


def test_an_honest_wrong_solution_fails_with_half_the_points() -> None:
    report = graded(solution(['"fmt"'], '\tfmt.Println("working")'))
    assert report.verdict == "failed", everything(report)
    assert points(report) == Decimal("5.00")
    assert report.integrity == "checked"


# --- refused before the build: a compile error with file:line and the reason --------------

RERUN = solution(
    ['"bytes"', '"os"', '"os/exec"'],
    "\treturn a * b",
    top='\nfunc init() {\n\tif os.Getenv("CHILD") == "" {\n'
    "\t\tcmd := exec.Command(os.Args[0], os.Args[1:]...)\n"
    '\t\tcmd.Env = append(os.Environ(), "CHILD=1")\n'
    "\t\tout, _ := cmd.CombinedOutput()\n"
    '\t\tos.Stdout.Write(bytes.ReplaceAll(out, []byte("FAIL"), []byte("PASS")))\n'
    "\t\tos.Exit(0)\n\t}\n}\n",
)
FRAMING_THEN_EXIT = solution(['"fmt"', 'sys "os"'], f"\tfmt.Print({FORGED})\n\tsys.Exit(0)")

REFUSED = {
    "rerun the tests as a child, FAIL -> PASS": (
        RERUN,
        ['import "os/exec" is not allowed', "os.Exit is not allowed"],
    ),
    "forged framing, then os.Exit(0) through an alias": (
        FRAMING_THEN_EXIT,
        ["solution.go:10:6: os.Exit is not allowed"],
    ),
    "os.Exit as a function value through a dot import": (
        solution(['. "os"'], "\tquit := Exit\n\tquit(0)"),
        ["os.Exit is not allowed"],
    ),
    "os.Stdout swapped for a pipe": (
        solution(
            ['"io"', '"os"'],
            "\tr, w, _ := os.Pipe()\n\treal := os.Stdout\n\tos.Stdout = w\n\tgo io.Copy(real, r)",
        ),
        ["os.Pipe is not allowed", "assignment to os.Stdout is not allowed"],
    ),
    "os.Stdout's file swapped through a copy": (
        solution(['"os"'], '\tf, _ := os.Create("/tmp/x")\n\tp := os.Stdout\n\t*p = *f'),
        ["a copy of an os.File is not allowed"],
    ),
    "the address of os.Stdout": (
        solution(['"os"'], "\tp := &os.Stdout\n\t_ = p"),
        ["the address of os.Stdout is not allowed"],
    ),
    "syscall.Exec of a shell printing framing": (
        solution(
            ['"syscall"'],
            '\tsyscall.Exec("/bin/sh", []string{"sh", "-c", "printf ok"}, nil)',
        ),
        ['import "syscall" is not allowed'],
    ),
    "a file descriptor by number": (
        solution(['"os"'], '\tos.NewFile(3, "report").Write([]byte("x"))'),
        ["os.NewFile is not allowed"],
    ),
    "unsafe pointers": (
        solution(['"unsafe"'], "\tp := unsafe.Pointer(&a)\n\t*(*int)(p) = 3"),
        ['import "unsafe" is not allowed'],
    ),
    "//go:linkname to the runtime": (
        solution(
            ['_ "unsafe"'],
            "",
            top="\n//go:linkname nanotime runtime.nanotime\nfunc nanotime() int64\n",
        ),
        ["the //go:linkname directive is not allowed"],
    ),
    "reflect": (
        solution(['"reflect"'], "\t_ = reflect.ValueOf(a)"),
        ['import "reflect" is not allowed'],
    ),
    "runtime internals": (
        solution(['"runtime"', '"runtime/debug"'], "\tdebug.WriteHeapDump(3)\n\truntime.Goexit()"),
        ['import "runtime/debug" is not allowed'],
    ),
    "the tests' own functions": (
        solution(
            ['"testing"'],
            '\ttesting.Main(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{Name: "TestAdd", F: TestDouble}}, nil, nil)',
        ),
        ["undefined: TestDouble"],
    ),
    "the guard package": (
        solution(['"zachet.local/guard"'], "\t_ = guard.Run"),
        ["is the grader's own package"],
    ),
    "//go:embed of the hidden tests": (
        solution(
            ['_ "embed"'],
            "\tprintln(tests)",
            top="\n//go:embed solution_test.go\nvar tests string\n",
        ),
        ["the //go:embed directive is not allowed"],
    ),
    "an assembly file": (None, ["solution.s: files other than .go files are not built here"]),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_forgers_get_a_compile_error_saying_where_and_why(name: str) -> None:
    code, reasons = REFUSED[name]
    if code is None:  # a second file the build would assemble
        report = run_tests(
            language="go",
            files={"solution.go": solution([], "", add="return add(a, b)") + "\nfunc add(a, b int) int\n",
                   "solution.s": "TEXT ·add(SB),$0-24\n\tMOVQ $3, ret+16(FP)\n\tRET\n"},
            test_files={"solution_test.go": TESTS},
            limits=LIMITS,
        )  # fmt: skip
    else:
        report = graded(code)
    assert_not_forged(report, "compile_error")
    for reason in reasons:
        assert reason in report.message, report.message
    assert report.tests == ()


# --- what compiles: the guard's report channel decides -------------------------------------

ALLOWED = {
    "framing printed with fmt": solution(['"fmt"'], f"\tfmt.Print({FORGED})"),
    "framing written to /proc/self/fd/1": solution(
        ['"os"'],
        '\tif f, err := os.OpenFile("/proc/self/fd/1", os.O_WRONLY, 0); err == nil {\n'
        f"\t\tf.WriteString({FORGED})\n\t\tf.Close()\n\t}}",
    ),
    "framing from a goroutine after the test ended": solution(
        ['"fmt"', '"time"'],
        f"\tgo func() {{\n\t\ttime.Sleep(20 * time.Millisecond)\n\t\tfmt.Print({FORGED})\n\t}}()",
        top="\nfunc init() {\n\tgo func() {\n\t\tfor {\n\t\t\ttime.Sleep(5 * time.Millisecond)\n"
        f"\t\t\tfmt.Print({FORGED})\n\t\t}}\n\t}}()\n}}\n",
    ),
    "reports written to every descriptor, our format guessed": solution(
        ['"fmt"', '"os"'],
        '\tline := fmt.Sprintf("%032x 2 pass %x\\n", 0, "TestAdd")\n'
        "\tfor fd := 0; fd < 64; fd++ {\n"
        '\t\tif f, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", fd), os.O_WRONLY, 0); err == nil {\n'
        "\t\t\tf.WriteString(line)\n\t\t\tf.Close()\n\t\t}\n\t}",
    ),
    "exit 0 through the flag package during a test": solution(
        ['"flag"'],
        '\tflags := flag.NewFlagSet("x", flag.ExitOnError)\n\tflags.Parse([]string{"-h"})',
    ),
    "fake tests named like the real ones, run from init": solution(
        ['"testing"'],
        "",
        top="\nfunc init() {\n\ttesting.Main(func(string, string) (bool, error) { return true, nil },\n"
        '\t\t[]testing.InternalTest{{Name: "TestAdd", F: func(*testing.T) {}}, {Name: "TestDouble", F: func(*testing.T) {}}}, nil, nil)\n}\n',
    ),
    "a panic after printing framing": solution(
        ['"fmt"'], f'\tfmt.Print({FORGED})\n\tpanic("done")'
    ),
    "stdout closed so the real framing is lost": solution(
        ['"fmt"', '"os"'], f"\tfmt.Print({FORGED})\n\tos.Stdout.Close()"
    ),
}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_forgers_that_compile_never_pass(name: str) -> None:
    report = graded(ALLOWED[name])
    assert_not_forged(report, "failed", "runtime_error")
    add = [t for t in report.tests if t.name == "TestAdd"]
    assert add, everything(report)
    assert add[0].status in ("fail", "error"), everything(report)


# --- an exercise that relaxes the policy: the seccomp guard and the channel still hold ------

RELAXED = {
    # (allow os/exec and os.Exit: programs may start, and the re-run child finds no channel)
    "rerun the tests as a child, FAIL -> PASS": (
        Allowances(packages=("os/exec",), functions=("os.Exit",)),
        RERUN,
    ),
    "forged framing, then os.Exit(0)": (
        Allowances(functions=("os.Exit",)),
        FRAMING_THEN_EXIT,
    ),
    "os.Stdout swapped for a pipe, output rewritten": (
        Allowances(functions=("os.Pipe", "os.Stdout")),
        solution(
            ['"bufio"', '"os"', '"strings"'],
            "",
            top="\nfunc init() {\n\tr, w, _ := os.Pipe()\n\treal := os.Stdout\n\tos.Stdout = w\n"
            "\tgo func() {\n\t\tlines := bufio.NewScanner(r)\n\t\tfor lines.Scan() {\n"
            '\t\t\treal.WriteString(strings.ReplaceAll(lines.Text(), "FAIL", "PASS") + "\\n")\n'
            "\t\t}\n\t}()\n}\n",
        ),
    ),
}


@pytest.mark.parametrize("name", list(RELAXED))
def test_forgers_of_a_relaxed_exercise_never_pass(name: str) -> None:
    allowances, code = RELAXED[name]
    report = graded(code, allowances)
    assert report.integrity == "in-process"
    assert_not_forged(report, "failed", "runtime_error")


PROCESS_VM_READV = {"x86_64": 310, "aarch64": 270}[platform.machine()]
SECCOMP_PROBE = solution(
    ['"fmt"', '"os"', '"syscall"'],
    "\tvar errs []string\n"
    "\tcheck := func(what string, err error) {\n"
    "\t\tif err != syscall.EPERM && err != syscall.ENOSYS {\n"
    '\t\t\terrs = append(errs, fmt.Sprintf("%s: %v", what, err))\n\t\t}\n\t}\n'
    '\tcheck("exec", syscall.Exec("/bin/true", []string{"true"}, nil))\n'
    '\t_, err := syscall.ForkExec("/bin/true", []string{"true"}, nil)\n'
    '\tcheck("fork+exec", err)\n'
    "\t_, _, e := syscall.RawSyscall(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0)\n"
    '\tcheck("clone", e)\n'
    # fork(2) itself exists on x86-64 only (arm64 forks through clone, probed above)
    + (
        '\t_, _, e = syscall.RawSyscall(57, 0, 0, 0)\n\tcheck("fork", e)\n'
        if platform.machine() == "x86_64"
        else ""
    )
    + "\t_, _, e = syscall.RawSyscall(syscall.SYS_PTRACE, syscall.PTRACE_ATTACH, uintptr(os.Getppid()), 0)\n"
    '\tcheck("ptrace", e)\n'
    # (Go's syscall package has no name for process_vm_readv: its number on each machine)
     + f"\t_, _, e = syscall.RawSyscall({PROCESS_VM_READV}, uintptr(os.Getppid()), 0, 0)\n"
    '\tcheck("process_vm_readv", e)\n'
    "\t_, _, e = syscall.RawSyscall(syscall.SYS_PRCTL, 4, 1, 0)\n"
    '\tcheck("prctl(PR_SET_DUMPABLE)", e)\n'
    '\tif _, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0); err == nil {\n'
    '\t\terrs = append(errs, "/proc/self/mem opened")\n\t}\n'
    '\tif _, err := os.ReadFile("/proc/self/exe"); err == nil {\n'
    '\t\terrs = append(errs, "the test binary is readable")\n\t}\n'
    "\tif len(errs) > 0 {\n\t\treturn len(errs) * 1000\n\t}",
    add="return a + b",
)


def test_the_seccomp_guard_refuses_new_programs_processes_and_tracing() -> None:
    # An exercise that allows package syscall (not starting programs): raw calls reach the
    # kernel, and the filter the guard installed before any learner code answers EPERM.
    report = graded(SECCOMP_PROBE, Allowances(packages=("syscall",)))
    assert report.verdict == "passed", everything(report)
    assert report.integrity == "in-process"
