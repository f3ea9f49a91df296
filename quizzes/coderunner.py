"""CodeRunner questions of a Moodle XML file as exercise folders (docs/grader.md).

Pure Python, no Django. A CodeRunner question of type python3 whose tests are test code and
the output it should print becomes a Python exercise: the question's text is the statement,
its answer preload the starter, its sample answer the reference (`solution.py` both), and
each test a test function that runs the test code with the learner's names in scope and
compares what it prints (trailing spaces and blank lines aside, as CodeRunner's exact-match
grader does) with the expected output. Tests marked "use as example" are the visible
examples. The import then checks it like any exercise: the reference must pass every test,
the starter must not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import Element

__all__ = ["CodeRunnerError", "CodeRunnerQuestion", "coderunner_read", "exercise_folder_write"]

PYTHON_TYPES: Final = ("python3",)


class CodeRunnerError(ValueError):
    """A CodeRunner question we cannot turn into an exercise (the message says why)."""


@dataclass(frozen=True)
class CodeRunnerTest:
    code: str
    expected: str
    example: bool


@dataclass(frozen=True)
class CodeRunnerQuestion:
    name: str
    statement: str  # HTML (Markdown keeps it)
    answer: str
    preload: str
    tests: tuple[CodeRunnerTest, ...]
    points: str
    line: int


def _text(element: Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path) if path else element
    return (found.text or "") if found is not None else ""


def coderunner_read(question: Element, number: int) -> CodeRunnerQuestion:
    kind = _text(question, "coderunnertype").strip()
    if kind not in PYTHON_TYPES:
        raise CodeRunnerError(
            f"CodeRunner questions of type {kind or '?'!r} are not imported (python3 only)"
        )
    answer = _text(question, "answer")
    if not answer.strip():
        raise CodeRunnerError("a CodeRunner question without a sample answer cannot be checked")
    tests = []
    for case in question.findall("testcases/testcase"):
        code, stdin = _text(case.find("testcode")), _text(case.find("stdin"))
        expected = _text(case.find("expected"))
        if stdin.strip():
            raise CodeRunnerError("CodeRunner tests that read standard input are not imported")
        if not code.strip():
            raise CodeRunnerError("a CodeRunner test without test code")
        tests.append(CodeRunnerTest(code, expected, case.get("useasexample") == "1"))
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
    )


_HARNESS: Final = '''"""Tests of the CodeRunner question {name!r}: its test code after the
answer, and what it prints compared with the expected output."""

import contextlib
import io

from solution import *  # noqa: F403 - the test code calls the answer's names


def _printed(code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<test code>", "exec"), dict(globals()))
    return _lines(out.getvalue())


def _lines(text):
    return "\\n".join(line.rstrip() for line in text.rstrip().splitlines())

'''


def _test_module(question: CodeRunnerQuestion, tests: list[CodeRunnerTest]) -> str:
    body = [_HARNESS.format(name=question.name)]
    for index, test in enumerate(tests, start=1):
        body.append(
            f"\ndef test_{index}():\n"
            f"    assert _printed({test.code!r}) == _lines({test.expected!r})\n"
        )
    return "".join(body)


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
        f'title = "{title}"\nlanguage = "python"\npoints = {points}\nscoring = "per_test"\n',
        encoding="utf-8",
    )
    (folder / "README.md").write_text(question.statement + "\n", encoding="utf-8")
    preload = question.preload if question.preload.strip() else "# Write your answer here.\n"
    (folder / "starter" / "solution.py").write_text(preload, encoding="utf-8")
    (folder / "solution" / "solution.py").write_text(question.answer, encoding="utf-8")
    hidden = [t for t in question.tests if not t.example]
    examples = [t for t in question.tests if t.example]
    (folder / "tests" / "test_coderunner.py").write_text(
        _test_module(question, hidden or examples), encoding="utf-8"
    )
    if examples and hidden:
        (folder / "examples" / "test_examples.py").write_text(
            _test_module(question, examples), encoding="utf-8"
        )
    return folder
