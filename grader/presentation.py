"""HTML of the learner's exercise pages, rendered from the read models of grader.selectors:
code highlighted by Pygments (every character escaped), the statement's Markdown
(sanitised), and compile errors linked to the lines of the submitted code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext, gettext_lazy
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.util import ClassNotFound

from courses.markdown import render_markdown
from grader.models import CodingExercise
from grader.selectors import SubmissionResult

CODE_PREFIX = "code"


@dataclass(frozen=True)
class CodeFile:
    """A file shown read-only: `html` is Pygments output (every character of the code escaped)."""

    name: str
    anchor: str
    html: str


def _lexer(name: str, language: str) -> Lexer | None:
    try:
        return get_lexer_for_filename(name)
    except ClassNotFound:
        pass
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


def code_html(*, name: str, text: str, language: str, anchor: str = "") -> str:
    """Highlighted, escaped code in a <pre>; with `anchor`, lines are numbered and get ids
    `<anchor>-<n>` (compile errors link to them)."""
    options: dict[str, Any] = {"classprefix": "hl-", "wrapcode": True, "cssclass": "code-view"}
    if anchor:
        options.update(linenos="inline", linespans=anchor)
    lexer = _lexer(name, language) or get_lexer_by_name("text")
    html = highlight(text, lexer, HtmlFormatter(**options))
    # The block may scroll sideways: focusable, so a keyboard can scroll it (WCAG 2.1.1).
    return html.replace("<pre>", '<pre tabindex="0">', 1)


def code_files(
    files: Mapping[str, str], *, language: str, prefix: str = "", numbered: bool = False
) -> list[CodeFile]:
    result = []
    for index, name in enumerate(sorted(files), start=1):
        anchor = f"{prefix}{index}"
        html = code_html(
            name=name,
            text=files[name],
            language=language,
            anchor=anchor if numbered else "",
        )
        result.append(CodeFile(name=name, anchor=anchor, html=html))
    return result


_LEADING_H1 = re.compile(r"\A\s*<h1>.*?</h1>\s*", re.DOTALL)


@lru_cache(maxsize=256)
def statement_html(statement: str) -> str:
    """The statement as sanitised HTML, without its leading "# Title" (the page has its own h1).

    Rendered on read and memoised by text: a statement is written rarely and read often.
    """
    return _LEADING_H1.sub("", render_markdown(statement), count=1)


@dataclass(frozen=True)
class CompileError:
    text: str
    file: str = ""
    line: int | None = None
    column: int | None = None
    anchor: str = ""  # id of the line in the submitted code, when the file is the learner's


# "cache.go:12:5: undefined: x", "lasagna.py:1:14: SyntaxError: ..."
_LOCATION = re.compile(
    r"^(?P<file>[\w./-]+\.\w+):(?P<line>\d+)(?::(?P<column>\d+))?:\s*(?P<text>.*)$"
)


def _compile_errors(message: str, anchors: Mapping[str, str]) -> list[CompileError]:
    errors = []
    for raw in message.splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _LOCATION.match(line)
        if match is None:
            errors.append(CompileError(text=line))
            continue
        name, number = match["file"], int(match["line"])
        errors.append(
            CompileError(
                text=match["text"],
                file=name,
                line=number,
                column=int(match["column"]) if match["column"] else None,
                anchor=f"{anchors[name]}-{number}" if name in anchors else "",
            )
        )
    return errors


@dataclass(frozen=True)
class ExerciseShown:
    statement_html: str
    examples: list[CodeFile]


def exercise_shown(exercise: CodingExercise) -> ExerciseShown:
    return ExerciseShown(
        statement_html=statement_html(exercise.statement),
        examples=code_files(exercise.example_files, language=exercise.language, prefix="ex"),
    )


@dataclass(frozen=True)
class CodePlace:
    """A line of the submitted code a test's message names (a Python exception's or a Go
    panic's "(at cache.go:12)"), linked to that line of the page's code."""

    file: str
    line: int
    anchor: str


@dataclass(frozen=True)
class SubmissionShown:
    code: list[CodeFile]
    compile_errors: list[CompileError]
    # test name -> the line of the learner's code its message names (only their own files)
    test_places: dict[str, CodePlace] = field(default_factory=dict)


_PLACE_AT_END = re.compile(r"\(at (?P<file>[^()\s]+):(?P<line>\d+)\)\Z")


def _test_places(tests: list[Any], anchors: Mapping[str, str]) -> dict[str, CodePlace]:
    places = {}
    for test in tests:
        match = _PLACE_AT_END.search(getattr(test, "message", "") or "")
        if match and match["file"] in anchors and getattr(test, "status", "") != "pass":
            line = int(match["line"])
            anchor = f"{anchors[match['file']]}-{line}"
            places[test.name] = CodePlace(file=match["file"], line=line, anchor=anchor)
    return places


def submission_shown(result: SubmissionResult, *, with_code: bool = True) -> SubmissionShown:
    """The submitted code (numbered lines, for the compile errors to link to) and the compile
    errors; without the code for the live fragment, whose links go to the page's code."""
    submission = result.submission
    language = result.exercise.language
    code = (
        code_files(submission.files, language=language, prefix=CODE_PREFIX, numbered=True)
        if with_code
        else []
    )
    # The same ids code_files gives the files (the fragment links to the page's code).
    anchors = {name: f"{CODE_PREFIX}{i}" for i, name in enumerate(sorted(submission.files), 1)}
    errors = _compile_errors(result.message, anchors) if result.compile_error else []
    return SubmissionShown(
        code=code, compile_errors=errors, test_places=_test_places(result.tests, anchors)
    )


# --- the runners' messages in the learner's language --------------------------------------
# The runners write their messages in English into results.json (a format other tools read,
# and what is stored). They are put in the viewer's language when shown: each known message
# by its pattern, with its numbers and names kept; anything else (a compiler's or a test's own
# words) as it is.

_RUNNER_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(pattern, re.S), text)
    for pattern, text in [
        (r"memory limit exceeded \((?P<mb>\d+) MB\)",
         gettext_lazy("memory limit exceeded (%(mb)s MB)")),
        (r"time limit exceeded: the run took over (?P<s>[\d.]+) s",
         gettext_lazy("time limit exceeded: the run took over %(s)s s")),
        (r"CPU time limit exceeded \((?P<s>[\d.]+) s\)",
         gettext_lazy("CPU time limit exceeded (%(s)s s)")),
        (r"output limit exceeded \((?P<kb>\d+) KB\)",
         gettext_lazy("output limit exceeded (%(kb)s KB)")),
        (r"the program was killed by signal (?P<signal>\w+)",
         gettext_lazy("the program was killed by signal %(signal)s")),
        (r"the program exited with code (?P<code>-?\d+) before the tests finished",
         gettext_lazy("the program exited with code %(code)s before the tests finished")),
        (r"the program ended during a test \(os\._exit, a crash or a signal\)",
         gettext_lazy("the program ended during a test (os._exit, a crash or a signal)")),
        (r"the test ended the program", gettext_lazy("the test ended the program")),
        (r"the program ended during this test: (?P<reason>.*)",
         gettext_lazy("the program ended during this test: %(reason)s")),
        (r"the program ended while the tests imported it: (?P<reason>.*)",
         gettext_lazy("the program ended while the tests imported it: %(reason)s")),
        (r"panic in (?P<test>.+); the tests after it did not run",
         gettext_lazy("panic in %(test)s; the tests after it did not run")),
        (r"the test program was killed by signal (?P<signal>.+)",
         gettext_lazy("the test program was killed by signal %(signal)s")),
        (r"the test program exited with code (?P<code>-?\d+) before running the tests",
         gettext_lazy("the test program exited with code %(code)s before running the tests")),
        (r"the test program ended during (?P<test>.+) \(exit code (?P<code>-?\d+)\)",
         gettext_lazy("the test program ended during %(test)s (exit code %(code)s)")),
        (r"the test program stopped before running (?P<tests>.+)",
         gettext_lazy("the test program stopped before running %(tests)s")),
        (r"the test program failed outside the tests:\n(?P<output>.*)",
         gettext_lazy("the test program failed outside the tests:\n%(output)s")),
        (r"the test program exited with code (?P<code>-?\d+)",
         gettext_lazy("the test program exited with code %(code)s")),
        (r"the code does not compile", gettext_lazy("the code does not compile")),
        (r"did not run: (?P<reason>.*)", gettext_lazy("did not run: %(reason)s")),
        (r"the test failed \(its output has no message\)",
         gettext_lazy("the test failed (its output has no message)")),
        (r"the test failed \(see its output\)", gettext_lazy("the test failed (see its output)")),
        (r"the test did not finish", gettext_lazy("the test did not finish")),
        (r"(?P<got>.+) is not false", gettext_lazy("expected a false value, got %(got)s")),
        (r"(?P<got>.+) is not true", gettext_lazy("expected a true value, got %(got)s")),
        (r"the other process ended", gettext_lazy("the program ended")),
        (r"the other process is gone \((?P<why>.*)\)",
         gettext_lazy("the program is gone (%(why)s)")),
    ]
]  # fmt: skip


# Where a test failed or learner code raised (the Python harness's " (at file:line)").
_AT = re.compile(r"(?P<text>.*?)(?P<sep>\s)\(at (?P<where>[^()\s]+:\d+)\)", re.S)


# A Go test's bare t.Fail() or t.FailNow(), on a line of its message (the guard's words).
_FAILED_THERE = re.compile(
    r"^(?P<where>[\w.-]+\.go:\d+): the test failed \(t\.(?P<call>Fail|FailNow)\)$", re.M
)


def runner_message(text: str) -> str:
    """A runner's message in the active language (see above); a reason inside one, too, and
    where it happened."""
    at = _AT.fullmatch(text)
    if at:
        place = str(gettext_lazy("(at %(where)s)")) % {"where": at["where"]}
        return runner_message(at["text"]) + at["sep"] + place
    for pattern, translated in _RUNNER_MESSAGES:
        match = pattern.fullmatch(text)
        if match:
            parts = match.groupdict()
            for name in ("reason",):
                if name in parts:
                    parts[name] = runner_message(parts[name])
            return str(translated) % parts
    return _FAILED_THERE.sub(
        lambda match: gettext("%(where)s: the test failed (t.%(call)s)") % match.groupdict(), text
    )


def failed_first(tests: list[Any]) -> list[Any]:
    """The tests that failed or erred first, then those that passed, each in run order."""
    return sorted(tests, key=lambda test: getattr(test, "status", "") == "pass")
