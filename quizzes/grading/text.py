"""short_text: typed answers compared after normalisation, or matched by a regex.

Also the normalisation and answer matching that matching and fill_blanks text gaps reuse.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from quizzes.grading.errors import SpecError
from quizzes.grading.fields import JsonObject, check_text_size, response_object, response_text
from quizzes.grading.outcome import Outcome, clamp_share

FULL = Fraction(100)
# A regex only ever sees this much of a response: bounds the work of a slow pattern.
MAX_REGEX_INPUT = 1000
# A repeat inside a repeat may go up to this many times; a{2,5} nested is fine, a+ is not.
MAX_SAFE_INNER_REPEAT = 100
WHITESPACE = re.compile(r"\s+")


def normalise(text: str, *, case_sensitive: bool, yo_equals_e: bool) -> str:
    """NFC, trimmed, inner whitespace as one space, casefolded unless case sensitive, ё→е."""
    text = WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    if not case_sensitive:
        text = text.casefold()
    if yo_equals_e:
        text = text.replace("ё", "е").replace("Ё", "Е")
    return text


@dataclass(frozen=True)
class TextAnswer:
    """One accepted answer: exactly one of `text` and `regex` is set."""

    weight: Fraction
    text: str | None = None
    regex: str | None = None
    feedback: str = ""


@dataclass(frozen=True)
class TextMatching:
    """The answers of a short_text question or a fill_blanks text gap, ready to match."""

    answers: tuple[TextAnswer, ...]
    case_sensitive: bool = False
    yo_equals_e: bool = True
    # Moodle's short answers grade by the first answer, in the listed order, that matches
    # (qtype_shortanswer::get_matching_answer): a wildcard listed before a better answer wins.
    # Imported questions keep that; ours take the best-weighted match, so that the order in
    # which an instructor lists answers never changes a grade.
    first_match: bool = False

    def best(self, response: str) -> tuple[Fraction, str]:
        """The share and feedback of the answer that grades the response: the first that
        matches in the listed order (`first_match`), else the best-weighted one."""
        plain = normalise(response, case_sensitive=True, yo_equals_e=self.yo_equals_e)
        folded = normalise(
            response, case_sensitive=self.case_sensitive, yo_equals_e=self.yo_equals_e
        )
        best: TextAnswer | None = None
        for answer in self.answers:
            if best is not None and answer.weight <= best.weight:
                continue
            if answer_matches(answer, self, folded=folded, plain=plain):
                best = answer
                if self.first_match:
                    break
        if best is None or not plain:
            return Fraction(0), ""
        return clamp_share(best.weight / FULL), best.feedback


def answers_for_first_match(spec: Mapping[str, Any]) -> list[Any]:
    """A short answer's (or text gap's) answers in the order a first-match reader (Moodle)
    grades as we do: as listed when the spec says `first_match`, else best weight first
    (a stable sort: equal weights keep their order, as `best` does)."""
    answers = list(spec["answers"])
    if spec.get("first_match", False):
        return answers
    return sorted(answers, key=lambda answer: -Fraction(str(answer["weight"])))


def answer_matches(answer: TextAnswer, matching: TextMatching, *, folded: str, plain: str) -> bool:
    if answer.text is not None:
        target = normalise(
            answer.text, case_sensitive=matching.case_sensitive, yo_equals_e=matching.yo_equals_e
        )
        return folded == target
    if answer.regex is None or len(plain) > MAX_REGEX_INPUT:
        return False
    return compile_answer_regex(answer.regex, matching).fullmatch(plain) is not None


def compile_answer_regex(pattern: str, matching: TextMatching) -> re.Pattern[str]:
    """The regex as it runs: IGNORECASE unless case sensitive, and ё→е like the response.

    It runs on the response without casefold() (IGNORECASE does that job), so that
    a pattern such as "Straße" still matches what the learner typed.
    """
    if matching.yo_equals_e:
        pattern = pattern.replace("ё", "е").replace("Ё", "Е")
    flags = 0 if matching.case_sensitive else re.IGNORECASE
    return re.compile(pattern, flags)


def check_regex(pattern: str, path: str) -> None:
    try:
        re.compile(pattern)
    except re.error as error:
        raise SpecError(f"{path} is not a valid regex: {error}") from None
    if nested_repeat(pattern):
        raise SpecError(
            f"{path} repeats a group that itself repeats, like (a+)+; "
            "such a regex can take exponential time, rewrite it without the nesting"
        )


def nested_repeat(pattern: str) -> bool:
    """Whether an unbounded repeat sits inside another repeat: the catastrophic-backtracking shape.

    Uses the stdlib's regex parser (private, so looked up defensively): the 1000-character
    input cap alone does not stop (a+)+b from running for ever.
    """
    try:
        parser: Any = importlib.import_module("re._parser")
        constants: Any = importlib.import_module("re._constants")
        parsed = parser.parse(pattern)
    except (ImportError, AttributeError):  # pragma: no cover - another Python's re internals
        return False
    repeats = {constants.MAX_REPEAT, constants.MIN_REPEAT}
    repeats |= {getattr(constants, "POSSESSIVE_REPEAT", constants.MAX_REPEAT)}

    def walk(items: Any, inside_repeat: bool) -> bool:
        for op, arg in items:
            if op in repeats:
                _low, high, body = arg
                if inside_repeat and high > MAX_SAFE_INNER_REPEAT:
                    return True
                children, inner = [body], inside_repeat or high > 1
            elif op == constants.SUBPATTERN:
                children, inner = [arg[-1]], inside_repeat
            elif op == constants.BRANCH:
                children, inner = list(arg[1]), inside_repeat
            elif op in {constants.ASSERT, constants.ASSERT_NOT}:
                children, inner = [arg[1]], inside_repeat
            else:
                continue
            if any(walk(child, inner) for child in children):
                return True
        return False

    return walk(parsed, inside_repeat=False)


def parse_text_answers(obj: JsonObject, key: str = "answers") -> tuple[TextAnswer, ...]:
    items = list(obj.objects(key, min_length=1))
    answers = []
    for item in items:
        item.only("text", "regex", "weight", "feedback")
        if item.has("text") == item.has("regex"):
            raise item.error(f"{item.path} must have exactly one of text and regex")
        text = item.text("text", non_empty=True) if item.has("text") else None
        regex = item.text("regex", non_empty=True) if item.has("regex") else None
        if regex is not None:
            check_regex(regex, item.field_path("regex"))
        answers.append(
            TextAnswer(
                weight=item.weight(),
                text=text,
                regex=regex,
                feedback=item.text("feedback", default=""),
            )
        )
    return tuple(answers)


def parse_text_matching(obj: JsonObject) -> TextMatching:
    return TextMatching(
        answers=parse_text_answers(obj),
        case_sensitive=obj.flag("case_sensitive", default=False),
        yo_equals_e=obj.flag("yo_equals_e", default=True),
        first_match=obj.flag("first_match", default=False),
    )


@dataclass(frozen=True)
class ShortTextSpec:
    matching: TextMatching


@dataclass(frozen=True)
class TextResponse:
    """{"text": "…"}: short_text, numeric and essay responses share this shape."""

    text: str


def parse_short_text_spec(data: Mapping[str, Any]) -> ShortTextSpec:
    obj = JsonObject(data)
    obj.only("answers", "case_sensitive", "yo_equals_e", "first_match")
    return ShortTextSpec(matching=parse_text_matching(obj))


def parse_text_response(data: Mapping[str, Any] | None) -> TextResponse:
    return TextResponse(text=response_text(response_object(data, "text"), "text"))


def check_text_response(spec: object, response: TextResponse) -> None:
    check_text_size(response.text, "text")


def grade_short_text(spec: ShortTextSpec, response: TextResponse) -> Outcome:
    share, feedback = spec.matching.best(response.text)
    details = {"matched": share > 0} if response.text.strip() else {}
    return Outcome(share=share, feedback=(feedback,), details=details)
