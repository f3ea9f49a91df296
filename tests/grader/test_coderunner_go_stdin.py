"""CodeRunner Go questions and questions whose tests feed standard input, imported from Moodle
XML as exercises, self-checked in the real sandbox, and learners' answers graded by our test
process (what the program printed compared there, never by learner code)."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings

from grader.models import CodingExercise, Submission
from grader.services import submission_create, submission_grade
from quizzes.authoring import quiz_import_gift
from tests.factories import SectionFactory, UserFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.database_incidental,
    pytest.mark.django_db,
    pytest.mark.usefixtures("need_sandbox"),
]


@pytest.fixture(autouse=True)
def shared_cache(go_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(settings, "GRADER_GO_CACHE", go_cache)
    return go_cache


def coderunner(name: str, kind: str, answer: str, cases: str, *, extra: str = "") -> str:
    return (
        f'<question type="coderunner"><name><text>{name}</text></name>'
        f'<questiontext format="html"><text><![CDATA[<p>{name}</p>]]></text></questiontext>'
        f"<defaultgrade>1</defaultgrade><coderunnertype>{kind}</coderunnertype>{extra}"
        f"<answer><![CDATA[{answer}]]></answer><answerpreload></answerpreload>"
        f"<testcases>{cases}</testcases></question>"
    )


def case(expected: str, *, stdin: str = "", code: str = "", example: str = "0") -> str:
    return (
        f'<testcase testtype="0" useasexample="{example}" hiderestiffail="0" mark="1.0">'
        f"<testcode><text><![CDATA[{code}]]></text></testcode>"
        f"<stdin><text><![CDATA[{stdin}]]></text></stdin>"
        f"<expected><text><![CDATA[{expected}]]></text></expected>"
        "<extra><text></text></extra><display><text>SHOW</text></display></testcase>"
    )


GO_SUM = """package main

import (
\t"bufio"
\t"fmt"
\t"os"
)

func main() {
\tin := bufio.NewReader(os.Stdin)
\tvar n, total int
\tfmt.Fscan(in, &n)
\tfor i := 0; i < n; i++ {
\t\tvar x int
\t\tfmt.Fscan(in, &x)
\t\ttotal += x
\t}
\tfmt.Printf("sum = %d   \\n\\n", total)
}
"""
# A function question: the answer has no package clause (CodeRunner's template adds it).
GO_FUNCTION = """func Reverse(s string) string {
\tr := []rune(s)
\tfor i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
\t\tr[i], r[j] = r[j], r[i]
\t}
\treturn string(r)
}
"""
PY_GREET = "name = input('Name? ')\nfor _ in range(int(input())):\n    print(f'Hello, {name}!')\n"
PY_LINES = (
    "import sys\nwords = sys.stdin.read().split()\nprint(len(words))\n"
    "print(' '.join(sorted(words)))\n"
)
PY_FUNCTION = "def shout():\n    print(input().upper())\n"

BANK = (
    '<?xml version="1.0" encoding="UTF-8"?><quiz>'
    + coderunner(
        "Go sum",
        "go_program",
        GO_SUM,
        case("sum = 6\n", stdin="3\n1 2 3\n", example="1")
        # CodeRunner trims trailing spaces of lines and blank lines at the end, on both sides.
        + case("sum = -5  ", stdin="2\n-2 -3")
        + case("sum = 0", stdin="0"),
    )
    + coderunner(
        "Go reverse",
        "golang",
        GO_FUNCTION,
        case("ынйалаб", code='fmt.Println(Reverse("балайны"))')
        + case("olleh\n\n", code='s := strings.ToLower("HELLO")\nfmt.Println(Reverse(s))'),
    )
    + coderunner(
        "Py greet",
        "python3_w_input",
        PY_GREET,
        # input()'s prompt goes to stdout, and python3_w_input echoes the line read.
        case("Name? Ада\n2\nHello, Ада!\nHello, Ада!\n", stdin="Ада\n2\n"),
    )
    + coderunner(
        "Py words",
        "python3",
        PY_LINES,
        case("3\na b c", stdin="c a\nb\n", example="1") + case("0", stdin=""),
    )
    + coderunner(
        "Py shout",
        "python3",
        PY_FUNCTION,
        case("HI", stdin="hi\n", code="shout()")
        + case("  TWO  WORDS", stdin="  two  words", code="shout()"),
    )
    + coderunner(
        "Near",
        "python3",
        "print('Total:  3')\nprint()\nprint('OK')\n",
        case("total: 3\nok", stdin="x"),
        extra="<grader>NearEqualityGrader</grader>",
    )
    + "</quiz>"
)


def grade(exercise: CodingExercise, files: dict[str, str]) -> Submission:
    with (
        mock.patch("grader.services.submission_queue", return_value=True),
        mock.patch("django.db.transaction.on_commit", lambda f: f()),
    ):
        submission = submission_create(learner=UserFactory.create(), exercise=exercise, files=files)
    submission_grade(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def test_go_and_stdin_questions_import_checked_and_grade_right_and_wrong(tmp_path):
    section = SectionFactory.create()
    path = tmp_path / "bank.xml"
    path.write_text(BANK, encoding="utf-8")

    report = quiz_import_gift(section=section, path=path)

    assert report.skipped == []
    exercises = {e.title: e for e in CodingExercise.objects.filter(section=section)}
    for title, exercise in exercises.items():
        assert exercise.is_published, (title, exercise.check_report)
    assert {t: e.language for t, e in exercises.items()} == {
        "Go sum": "go", "Go reverse": "go",
        "Py greet": "python", "Py words": "python", "Py shout": "python", "Near": "python",
    }  # fmt: skip
    assert exercises["Go reverse"].reference_files["main.go"].startswith("package main\n")

    go_sum = exercises["Go sum"]
    right = grade(go_sum, {"main.go": GO_SUM})
    assert (right.status, right.verdict, right.tests_passed, right.tests_total) == (
        "graded", "passed", 3, 3,
    )  # fmt: skip
    # Off by one: every test fails, in our test's comparison of what it printed.
    wrong = grade(go_sum, {"main.go": GO_SUM.replace("total)", "total+1)")})
    assert wrong.verdict == "failed"
    assert all(t["status"] == "fail" for t in wrong.results["tests"])
    assert "expected:" in wrong.results["tests"][0]["message"]

    words = exercises["Py words"]
    right = grade(words, {"solution.py": PY_LINES})
    assert (right.verdict, right.tests_passed, right.tests_total) == ("passed", 2, 2)
    wrong = grade(words, {"solution.py": PY_LINES.replace("sorted(words)", "words")})
    assert (wrong.verdict, wrong.tests_passed) == ("failed", 1)
    assert sorted(t["status"] for t in wrong.results["tests"]) == ["fail", "pass"]
    # A program that ends its own process before printing passes nothing: the verdict is the
    # test process's, which sees the learner process gone.
    gone = grade(words, {"solution.py": "import os\nos._exit(0)\n"})
    assert (gone.verdict, gone.tests_passed) == ("runtime_error", 0)
