"""HTML of the learner's exercise pages, rendered from the read models of grader.selectors:
code highlighted by Pygments (every character escaped), the statement's Markdown
(sanitised), and compile errors linked to the lines of the submitted code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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
class SubmissionShown:
    code: list[CodeFile]
    compile_errors: list[CompileError]


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
    return SubmissionShown(code=code, compile_errors=errors)
