"""CodeRunner questions of a Moodle XML file as exercise folders (docs/question-banks.md).

Pure Python, no Django. A CodeRunner question in Python 3 (types python3, python3_w_input) or
Go (a type named go…, or a question whose language is Go) whose tests are test code, standard
input or both, and the output expected, becomes an exercise of that language: the question's
text is the statement, its answer preload the starter, its sample answer the reference, and
each test a test function that runs the learner's code on the test's input and compares what
it printed with the expected output, as CodeRunner's grader compares them (EqualityGrader:
trailing white space of each line and of the whole aside; NearEqualityGrader: also case,
blank lines and runs of spaces). Tests marked "use as example" are the visible examples. The
import then checks it like any exercise: the reference must pass every test, the starter
must not.

Where the learner's code runs is the runner's business, never this module's: in Python the
tests run in the test process and the learner's code in its own sandboxed process (a test
with only standard input asks that process to run the learner's module as a program and
gets back what it printed: `zachet_program.run`); in Go the tests are compiled beside the
learner's package and the verdict comes from the guard's report channel (docs/grader.md).
Either way the comparison is made by the test, never by learner code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from xml.etree.ElementTree import Element

__all__ = [
    "CodeRunnerError",
    "CodeRunnerQuestion",
    "coderunner_read",
    "exercise_folder_write",
    "output_clean",
    "output_near",
]

# CodeRunner's built-in Python 3 types; python3_w_input echoes what input() read.
PYTHON_TYPES: Final = {"python3": False, "python3_w_input": True}
# Go has no built-in CodeRunner type: sites define their own (go, golang, go_program, ...).
GO_TYPE: Final = re.compile(r"go(lang)?([_\-].*)?", re.IGNORECASE)
GO_LANGUAGES: Final = ("go", "golang")
GRADERS: Final = {"": False, "EqualityGrader": False, "NearEqualityGrader": True}
# PHP's trim()/rtrim() default set, which CodeRunner's clean() uses.
_PHP_SPACE: Final = " \t\n\r\0\x0b"


class CodeRunnerError(ValueError):
    """A CodeRunner question we cannot turn into an exercise (the message says why)."""


@dataclass(frozen=True)
class CodeRunnerTest:
    code: str
    expected: str
    example: bool
    stdin: str = ""


@dataclass(frozen=True)
class CodeRunnerQuestion:
    name: str
    statement: str  # HTML (Markdown keeps it)
    answer: str
    preload: str
    tests: tuple[CodeRunnerTest, ...]
    points: str
    line: int
    language: Literal["python", "go"] = "python"
    echo_input: bool = False  # python3_w_input
    near: bool = False  # NearEqualityGrader

    @property
    def reads_stdin(self) -> bool:
        return self.echo_input or any(t.stdin or not t.code.strip() for t in self.tests)


def output_clean(text: str) -> str:
    """CodeRunner's qtype_coderunner_util::clean: white space at the end of each line and
    blank lines at the end removed; all white space is nothing. Blank lines inside and
    leading spaces stay."""
    if not text.strip(_PHP_SPACE):
        return ""
    lines = [line.rstrip(_PHP_SPACE) for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def output_near(text: str) -> str:
    """NearEqualityGrader's reduction of a cleaned output: blank lines dropped, runs of spaces
    and tabs as one space, ASCII letters in lower case (PHP's strtolower)."""
    reduced = re.sub(r"\n\n+", "\n", output_clean(text))
    reduced = re.sub(r"[ \t][ \t]+", " ", reduced.removeprefix("\n"))
    return reduced.translate(_ASCII_LOWER)


def _text(element: Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path) if path else element
    return (found.text or "") if found is not None else ""


def _language(question: Element) -> tuple[Literal["python", "go"], bool]:
    kind = _text(question, "coderunnertype").strip()
    declared = {_text(question, f).strip().lower() for f in ("language", "acelang")}
    if kind in PYTHON_TYPES:
        return "python", PYTHON_TYPES[kind]
    if GO_TYPE.fullmatch(kind) or declared & set(GO_LANGUAGES):
        return "go", False
    raise CodeRunnerError(
        f"CodeRunner questions of type {kind or '?'!r} are not imported (Python 3 and Go only)"
    )


def coderunner_read(question: Element, number: int) -> CodeRunnerQuestion:
    if _text(question, "prototypetype").strip() == "2":
        raise CodeRunnerError("a CodeRunner prototype defines a question type, not a question")
    language, echo_input = _language(question)
    grader = _text(question, "grader").strip()
    if grader not in GRADERS:
        raise CodeRunnerError(
            f"CodeRunner's {grader} is not imported (EqualityGrader and NearEqualityGrader only)"
        )
    answer = _text(question, "answer")
    if not answer.strip():
        raise CodeRunnerError("a CodeRunner question without a sample answer cannot be checked")
    tests = []
    for case in question.findall("testcases/testcase"):
        if case.get("testtype") == "1":
            continue  # a precheck-only test: CodeRunner does not grade with it
        code, stdin = _text(case.find("testcode")), _text(case.find("stdin"))
        tests.append(
            CodeRunnerTest(
                code=code if code.strip() else "",
                expected=_text(case.find("expected")),
                example=case.get("useasexample") == "1",
                stdin=stdin,
            )
        )
    if not tests:
        raise CodeRunnerError("a CodeRunner question without tests")
    return CodeRunnerQuestion(
        name=_text(question.find("name")).strip() or f"coderunner-{number}",
        statement=_text(question.find("questiontext")).strip(),
        answer=answer,
        preload=_text(question, "answerpreload"),
        tests=tuple(tests),
        points=_text(question, "defaultgrade").strip() or "1",
        line=number,
        language=language,
        echo_input=echo_input,
        near=GRADERS[grader],
    )


# --- Python ----------------------------------------------------------------------------------

_PY_HARNESS: Final = '''"""Tests of the CodeRunner question {name!r}: the learner's code run on each
test's input, and what it prints compared with the expected output as CodeRunner's
{grader} compares them."""

import contextlib
import io
import re
{imports}

def _input(prompt=""):
    # The test code's input() reads the learner process's standard input, the one stream
    # the learner's code reads too (one program in CodeRunner).
    print(prompt, end="")
    line = zachet_program.readline()
    if not line:
        raise EOFError("EOF when reading a line")
    line = line.removesuffix("\\n")
    if {echo}:
        print(line)
    return line


def _printed(code):
    out = io.StringIO()
    namespace = dict(globals())
    if {reads_stdin}:
        namespace["input"] = _input
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<test code>", "exec"), namespace)
    return out.getvalue()


def _clean(text):
    if not text.strip({space!r}):
        return ""
    lines = [line.rstrip({space!r}) for line in text.split("\\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\\n".join(lines)


def _near(text):
    reduced = re.sub(r"\\n\\n+", "\\n", _clean(text))
    reduced = re.sub(r"[ \\t][ \\t]+", " ", reduced.removeprefix("\\n"))
    return reduced.translate(str.maketrans({upper!r}, {lower!r}))


_same = {compare}
'''


def _python_test(question: CodeRunnerQuestion, index: int, test: CodeRunnerTest) -> str:
    body = f"\n\ndef test_{index}():\n"
    if not test.code:
        got = f"zachet_program.run('solution', {test.stdin!r}, echo_input={question.echo_input})"
    else:
        if question.reads_stdin:
            body += f"    zachet_program.feed({test.stdin!r}, echo_input={question.echo_input})\n"
        got = f"_printed({test.code!r})"
    return body + f"    assert _same({got}) == _same({test.expected!r})\n"


def _python_module(question: CodeRunnerQuestion, tests: list[CodeRunnerTest]) -> str:
    imports = []
    if question.reads_stdin:
        imports.append("import zachet_program  # the learner's program, run in its process")
    if any(test.code for test in tests):
        imports.append("from solution import *  # noqa: F403 - the test code calls the answer")
    body = [
        _PY_HARNESS.format(
            name=question.name,
            grader="NearEqualityGrader" if question.near else "EqualityGrader",
            imports="\n".join(imports) + "\n",
            space=_PHP_SPACE,
            upper="ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            lower="abcdefghijklmnopqrstuvwxyz",
            compare="_near" if question.near else "_clean",
            echo=question.echo_input,
            reads_stdin=question.reads_stdin,
        )
    ]
    body += [_python_test(question, index, test) for index, test in enumerate(tests, start=1)]
    return "".join(body)


# --- Go --------------------------------------------------------------------------------------

# Packages test code may use without importing them (a CodeRunner Go template imports them).
_GO_PACKAGES: Final = {
    "bufio": "bufio", "bytes": "bytes", "errors": "errors", "fmt": "fmt", "io": "io",
    "maps": "maps", "os": "os",
    "math": "math", "rand": "math/rand", "slices": "slices", "sort": "sort",
    "strconv": "strconv", "strings": "strings", "time": "time", "unicode": "unicode",
    "utf8": "unicode/utf8",
}  # fmt: skip
_GO_HARNESS_PACKAGES: Final = ("io", "os", "strings", "testing")
_GO_PACKAGE_CLAUSE: Final = re.compile(r"^\s*package\s+\w+", re.MULTILINE)
_GO_IMPORT: Final = re.compile(r"^\s*import\b", re.MULTILINE)

_GO_HARNESS: Final = """
// {run} runs body with stdin as the program's standard input and returns what it printed
// on standard output (CodeRunner runs the program on each test's stdin).
func {run}(t *testing.T, stdin string, body func()) string {{
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {{
		t.Fatal(err)
	}}
	outR, outW, err := os.Pipe()
	if err != nil {{
		t.Fatal(err)
	}}
	go func() {{
		_, _ = io.WriteString(inW, stdin)
		_ = inW.Close()
	}}()
	printed := make(chan string)
	go func() {{
		data, _ := io.ReadAll(outR)
		printed <- string(data)
	}}()
	savedIn, savedOut := os.Stdin, os.Stdout
	func() {{
		defer func() {{
			os.Stdin, os.Stdout = savedIn, savedOut
			_ = outW.Close()
		}}()
		os.Stdin, os.Stdout = inR, outW
		body()
	}}()
	_ = inR.Close()
	return <-printed
}}

// {clean} is CodeRunner's clean(): white space at the end of each line and blank lines at
// the end removed.{near_doc}
func {clean}(text string) string {{
	const space = " \\t\\n\\r\\x00\\x0b"
	if strings.Trim(text, space) == "" {{
		return ""
	}}
	lines := strings.Split(text, "\\n")
	for i, line := range lines {{
		lines[i] = strings.TrimRight(line, space)
	}}
	for len(lines) > 0 && lines[len(lines)-1] == "" {{
		lines = lines[:len(lines)-1]
	}}
	out := strings.Join(lines, "\\n"){near}
	return out
}}
"""

_GO_NEAR: Final = """
	for strings.Contains(out, "\\n\\n") {
		out = strings.ReplaceAll(out, "\\n\\n", "\\n")
	}
	out = strings.TrimPrefix(out, "\\n")
	out = regexp.MustCompile("[ \\t][ \\t]+").ReplaceAllString(out, " ")
	out = strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, out)"""


def _go_string(text: str) -> str:
    """A Go string literal (Go's escapes are a superset of JSON's for these)."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or char == "\x7f":
            out.append(f"\\x{ord(char):02x}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            out.append("\\uFFFD")
        else:
            out.append(char)
    return "".join(out) + '"'


def _go_used_packages(code: str) -> list[str]:
    return sorted(
        path
        for name, path in _GO_PACKAGES.items()
        if re.search(rf"(?<![\w.]){name}\.", code) and name not in _GO_HARNESS_PACKAGES
    )


def go_source_file(code: str) -> str:
    """An answer or preload as a file of package main: a function-only answer (its template
    had the package clause and imports) gets them, importing what it uses."""
    if _GO_PACKAGE_CLAUSE.search(code):
        return code
    head = "package main\n\n"
    if not _GO_IMPORT.search(code):
        used = sorted(
            path for name, path in _GO_PACKAGES.items() if re.search(rf"(?<![\w.]){name}\.", code)
        )
        if used:
            head += "import (\n" + "".join(f'\t"{path}"\n' for path in used) + ")\n\n"
    return head + code


def _go_module(question: CodeRunnerQuestion, tests: list[CodeRunnerTest], prefix: str) -> str:
    run, clean = f"{prefix}Run", f"{prefix}Clean"
    packages = set(_GO_HARNESS_PACKAGES) | set(
        _go_used_packages("\n".join(test.code for test in tests))
    )
    if question.near:
        packages.add("regexp")
    grader = "NearEqualityGrader" if question.near else "EqualityGrader"
    out = [
        f"// Tests of the CodeRunner question {question.name!r}: the program run on each test's\n"
        f"// input, what it printed compared with the expected output as CodeRunner's {grader}\n"
        "// compares them.\n\npackage main\n\nimport (\n",
        *(f'\t"{path}"\n' for path in sorted(packages)),
        ")\n",
        _GO_HARNESS.format(
            run=run,
            clean=clean,
            near=_GO_NEAR if question.near else "",
            near_doc=(
                " Then, as NearEqualityGrader: blank lines dropped, runs of\n"
                "// spaces and tabs as one, ASCII letters in lower case."
            )
            if question.near
            else "",
        ),
    ]
    for index, test in enumerate(tests, start=1):
        code = test.code or "main()"
        body = "\n".join(f"\t\t{line}" if line.strip() else "" for line in code.splitlines())
        out.append(
            f"\nfunc Test{prefix.removeprefix('zachet')}{index}(t *testing.T) {{\n"
            f"\tgot := {run}(t, {_go_string(test.stdin)}, func() {{\n{body}\n\t}})\n"
            f"\twant := {_go_string(test.expected)}\n"
            f"\tif {clean}(got) != {clean}(want) {{\n"
            '\t\tt.Errorf("the output:\\n%s\\nexpected:\\n%s", got, want)\n'
            "\t}\n}\n"
        )
    return "".join(out)


# --- the folder ------------------------------------------------------------------------------


def _slug(name: str, number: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50]
    return slug or f"coderunner-{number}"


def exercise_folder_write(question: CodeRunnerQuestion, root: Path) -> Path:
    """The question as an exercise folder under `root`; its path."""
    folder = root / _slug(question.name, question.line)
    for part in ("starter", "solution", "tests", "examples"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    try:
        points = max(1, round(float(question.points)))
    except ValueError:
        points = 1
    title = question.name.replace("\\", "\\\\").replace('"', '\\"')
    (folder / "exercise.toml").write_text(
        f'title = "{title}"\nlanguage = "{question.language}"\npoints = {points}\n'
        'scoring = "per_test"\n',
        encoding="utf-8",
    )
    (folder / "README.md").write_text(question.statement + "\n", encoding="utf-8")
    hidden = [t for t in question.tests if not t.example]
    examples = [t for t in question.tests if t.example]
    if question.language == "go":
        preload = question.preload if question.preload.strip() else "func main() {\n}\n"
        (folder / "starter" / "main.go").write_text(go_source_file(preload), encoding="utf-8")
        (folder / "solution" / "main.go").write_text(
            go_source_file(question.answer), encoding="utf-8"
        )
        (folder / "tests" / "coderunner_test.go").write_text(
            _go_module(question, hidden or examples, "zachetCodeRunner"), encoding="utf-8"
        )
        if examples and hidden:
            (folder / "examples" / "coderunner_example_test.go").write_text(
                _go_module(question, examples, "zachetExample"), encoding="utf-8"
            )
        return folder
    preload = question.preload if question.preload.strip() else "# Write your answer here.\n"
    (folder / "starter" / "solution.py").write_text(preload, encoding="utf-8")
    (folder / "solution" / "solution.py").write_text(question.answer, encoding="utf-8")
    (folder / "tests" / "test_coderunner.py").write_text(
        _python_module(question, hidden or examples), encoding="utf-8"
    )
    if examples and hidden:
        (folder / "examples" / "test_examples.py").write_text(
            _python_module(question, examples), encoding="utf-8"
        )
    return folder
