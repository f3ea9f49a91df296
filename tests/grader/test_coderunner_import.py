"""CodeRunner questions of a Moodle XML file become Python exercises, self-checked on import in
the real sandbox: the sample answer passes every test, the preload does not."""

from __future__ import annotations

import pytest

from grader.models import CodingExercise
from quizzes.authoring import quiz_import_gift
from tests.factories import SectionFactory

pytestmark = [
    pytest.mark.slow,
    pytest.mark.database_incidental,
    pytest.mark.django_db,
    pytest.mark.usefixtures("need_sandbox"),
]


def coderunner(name: str, answer: str, cases: str, kind: str = "python3") -> str:
    return (
        f'<question type="coderunner"><name><text>{name}</text></name>'
        '<questiontext format="html"><text><![CDATA[<p>Write <code>sqr(n)</code>.</p>]]></text>'
        "</questiontext><defaultgrade>2</defaultgrade>"
        f"<coderunnertype>{kind}</coderunnertype>"
        f"<answer><![CDATA[{answer}]]></answer>"
        "<answerpreload>def sqr(n):\n    pass\n</answerpreload>"
        f"<testcases>{cases}</testcases></question>"
    )


def case(code: str, expected: str, stdin: str = "", example: str = "0") -> str:
    return (
        f'<testcase testtype="0" useasexample="{example}" mark="1.0">'
        f"<testcode><text><![CDATA[{code}]]></text></testcode>"
        f"<stdin><text>{stdin}</text></stdin>"
        f"<expected><text><![CDATA[{expected}]]></text></expected></testcase>"
    )


SQR = "def sqr(n):\n    print('computing')\n    return n * n\n"
BANK = (
    '<?xml version="1.0" encoding="UTF-8"?><quiz>'
    + coderunner(
        "Квадрат",
        SQR,
        case("print(sqr(3))", "computing\n9\n", example="1")
        + case("for n in (-2, 0):\n    print(sqr(n))", "computing\n4\ncomputing\n0"),
    )
    + coderunner("Wrong", "def sqr(n):\n    return n + n\n", case("print(sqr(3))", "9"))
    + coderunner("Stdin", SQR, case("print(sqr(int(input())))", "computing\n9", stdin="3"))
    + coderunner("C", "int main(){}", case("x", "y"), kind="c_program")
    + '<question type="truefalse"><name><text>TF</text></name><questiontext><text>Go?</text>'
    "</questiontext><answer fraction='100'><text>true</text></answer>"
    "<answer fraction='0'><text>false</text></answer></question>"
    "</quiz>"
)


def test_coderunner_questions_become_checked_exercises_the_rest_is_skipped(tmp_path):
    section = SectionFactory.create()
    path = tmp_path / "bank.xml"
    path.write_text(BANK, encoding="utf-8")

    report = quiz_import_gift(section=section, path=path)

    exercise = CodingExercise.objects.get(section=section, title="Квадрат")
    assert exercise.is_published, exercise.check_report
    assert exercise.language == "python"
    assert exercise.reference_files == {"solution.py": SQR}
    assert report.exercises == [
        "created exercise coderunner-1",  # (a name with no Latin letters: its position)
        "exercise coderunner-1: the check passed, published",
        "created exercise wrong",
        "exercise wrong: the check failed, not published",
        # Test code reading standard input: fed to the learner's process for each test.
        "created exercise stdin",
        "exercise stdin: the check passed, published",
    ]
    # Its sample answer fails its own test: imported, but the check keeps it unpublished.
    wrong = CodingExercise.objects.get(section=section, title="Wrong")
    assert not wrong.is_published
    assert "FAILED" in wrong.check_report
    reasons = {line.split("question ")[1].split(":")[0]: line for line in report.skipped}
    assert sorted(reasons) == ["'C'"]
    assert "(Python 3 and Go only)" in reasons["'C'"]
    assert report.quiz.questions.get().type == "true_false"
