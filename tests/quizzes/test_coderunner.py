"""Reading CodeRunner questions (quizzes.coderunner): which are imported and as what, output
compared as CodeRunner's graders compare it, and the exercise folders written."""

from __future__ import annotations

from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from grader.exercise_source import load_exercise_source
from quizzes.coderunner import (
    CodeRunnerError,
    coderunner_read,
    exercise_folder_write,
    go_source_file,
    output_clean,
    output_near,
)


def question(kind: str = "python3", *, answer: str = "print(1)", cases: str = "", extra: str = ""):
    cases = cases or case("1", code="")
    return fromstring(
        '<question type="coderunner"><name><text>Q</text></name>'
        "<questiontext><text>Do it</text></questiontext>"
        f"<coderunnertype>{kind}</coderunnertype>{extra}"
        f"<answer><![CDATA[{answer}]]></answer><testcases>{cases}</testcases></question>"
    )


def case(expected: str, *, code: str = "", stdin: str = "", example: str = "0", kind="0") -> str:
    return (
        f'<testcase testtype="{kind}" useasexample="{example}">'
        f"<testcode><text><![CDATA[{code}]]></text></testcode>"
        f"<stdin><text><![CDATA[{stdin}]]></text></stdin>"
        f"<expected><text><![CDATA[{expected}]]></text></expected></testcase>"
    )


# What CodeRunner's EqualityGrader (qtype_coderunner_util::clean) makes of an output.
@pytest.mark.parametrize(
    ("output", "cleaned"),
    [
        ("7\n", "7"),
        ("7   \n\n\n", "7"),
        ("a  \nb\t\n", "a\nb"),
        ("\n\nleading blank lines stay\n", "\n\nleading blank lines stay"),
        ("  indented", "  indented"),
        ("a\n\nb", "a\n\nb"),  # blank lines inside stay
        ("a\r\nb\r\n", "a\nb"),  # \r is trailing white space of its line
        ("   \n\t\n", ""),
        ("", ""),
        ("a\u00a0", "a\u00a0"),  # PHP's rtrim knows ASCII white space only
    ],
)
def test_output_is_cleaned_as_coderunner_cleans_it(output, cleaned):
    assert output_clean(output) == cleaned


@pytest.mark.parametrize(
    ("output", "reduced"),
    [
        ("Total:  3\n\nOK\n", "total: 3\nok"),
        ("\n\nA\t\tB", "a b"),
        ("Ёлка  IS", "Ёлка is"),  # strtolower: ASCII letters only
    ],
)
def test_near_equality_reduces_as_coderunner_does(output, reduced):
    assert output_near(output) == reduced


@pytest.mark.parametrize(
    ("kind", "extra", "language", "echo"),
    [
        ("python3", "", "python", False),
        ("python3_w_input", "", "python", True),
        ("go", "", "go", False),
        ("golang", "", "go", False),
        ("go_program", "", "go", False),
        ("Go-function", "", "go", False),
        ("my_type", "<language>go</language>", "go", False),
        ("my_type", "<acelang>golang</acelang>", "go", False),
    ],
)
def test_python_3_and_go_questions_are_read(kind, extra, language, echo):
    read = coderunner_read(question(kind, extra=extra), 4)

    assert (read.language, read.echo_input, read.line) == (language, echo, 4)


@pytest.mark.parametrize(
    ("kind", "extra", "cases", "reason"),
    [
        ("c_program", "", "", "type 'c_program' are not imported (Python 3 and Go only)"),
        ("google", "", "", "type 'google' are not imported"),
        ("python3", "<grader>RegexGrader</grader>", "", "RegexGrader is not imported"),
        ("python3", "<grader>TemplateGrader</grader>", "", "TemplateGrader is not imported"),
        ("python3", "<prototypetype>2</prototypetype>", "", "a CodeRunner prototype"),
        # A precheck-only test is not one CodeRunner grades with.
        ("python3", "", case("1", kind="1"), "without tests"),
    ],
)
def test_what_we_cannot_grade_as_coderunner_does_is_refused_with_a_reason(
    kind, extra, cases, reason
):
    with pytest.raises(CodeRunnerError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        coderunner_read(question(kind, extra=extra, cases=cases), 1)


def test_tests_keep_their_stdin_and_examples():
    read = coderunner_read(
        question(cases=case("2", stdin="1 1\n", example="1") + case("3", code="f()  \n")), 1
    )

    assert [(t.code, t.stdin, t.expected, t.example) for t in read.tests] == [
        ("", "1 1\n", "2", True),
        ("f()  \n", "", "3", False),
    ]
    assert read.reads_stdin


@pytest.mark.parametrize(
    ("answer", "file"),
    [
        ("package main\n\nfunc main() {}\n", "package main\n\nfunc main() {}\n"),
        (
            "func Up(s string) string { return strings.ToUpper(fmt.Sprint(s)) }\n",
            'package main\n\nimport (\n\t"fmt"\n\t"strings"\n)\n\n'
            "func Up(s string) string { return strings.ToUpper(fmt.Sprint(s)) }\n",
        ),
        ('import "os"\n\nvar x = os.Args\n', 'package main\n\nimport "os"\n\nvar x = os.Args\n'),
        ("func F() int { return 1 }\n", "package main\n\nfunc F() int { return 1 }\n"),
    ],
)
def test_a_go_answer_without_its_template_becomes_a_file_of_package_main(answer, file):
    assert go_source_file(answer) == file


def test_a_go_question_is_a_go_exercise_folder(tmp_path: Path):
    read = coderunner_read(
        question(
            "go",
            answer="func Add(a, b int) int { return a + b }",
            cases=case("3", code="fmt.Println(Add(1, 2))", example="1")
            + case("5 \n", code='n, _ := strconv.Atoi("4")\nfmt.Println(Add(n, 1))')
            + case("", stdin='say "hi"\n'),
        ),
        1,
    )

    source = load_exercise_source(exercise_folder_write(read, tmp_path))

    assert source.language == "go"
    assert set(source.starter_files) == set(source.reference_files) == {"main.go"}
    [tests] = source.test_files.values()
    [examples] = source.example_files.values()
    assert '\t"strconv"\n' in tests
    assert '"strconv"' not in examples
    assert "func TestCodeRunner1(t *testing.T)" in tests
    assert "func TestExample1(t *testing.T)" in examples
    # The stdin-only test runs the program; its input is a Go string literal.
    assert '\tgot := zachetCodeRunnerRun(t, "say \\"hi\\"\\n", func() {\n\t\tmain()\n' in tests


def test_a_python_stdin_question_runs_the_program_in_the_learner_process(tmp_path: Path):
    read = coderunner_read(
        question("python3_w_input", cases=case("x", stdin="a\n") + case("y", code="g()")), 1
    )

    source = load_exercise_source(exercise_folder_write(read, tmp_path))

    [tests] = source.test_files.values()
    assert "import zachet_program" in tests
    assert "zachet_program.run('solution', 'a\\n', echo_input=True)" in tests
    # Test code runs here, with its stdin fed to the learner's process first.
    assert "zachet_program.feed('', echo_input=True)" in tests
    compile(tests, "test_coderunner.py", "exec")
