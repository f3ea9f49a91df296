"""GIFT (Moodle's plain-text quiz format): parse into our question types and write back.

Pure Python, no Django: ``parse_gift`` turns a GIFT file into ``GiftQuestion`` values whose
``spec`` dicts have exactly the shapes of docs/question-types.md, and ``render_gift`` writes
canonical GIFT that parses back to equal questions. We read every construct Moodle's own
importer reads, as it reads it (docs/question-banks.md): a question we
cannot represent is skipped with its line and reason, never misread; every place where we
differ from Moodle is commented where it is made.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any, Final, Literal

from quizzes.grading.text import answers_for_first_match

__all__ = ["GiftError", "GiftQuestion", "parse_gift", "render_gift"]

QuestionType = Literal[
    "single_choice",
    "multiple_choice",
    "true_false",
    "short_text",
    "numeric",
    "matching",
    "fill_blanks",
    "essay",
    "description",
]
TextFormat = Literal["markdown", "html", "moodle", "plain"]

TEXT_FORMATS: Final[dict[str, TextFormat]] = {
    "markdown": "markdown",
    "html": "html",
    "moodle": "moodle",
    "plain": "plain",
}
DEFAULT_FORMAT: Final[TextFormat] = "moodle"
GAP: Final = "{{1}}"
# What Moodle writes where a missing-word block stood, for the types a gap cannot hold.
BLANK: Final = "_____"

Weight = int | float


class GiftError(ValueError):
    """Input we cannot turn into a question (or a question GIFT cannot express)."""

    def __init__(self, message: str, line: int, question: str, *, source: str = "<gift>"):
        self.message = message
        self.line = line
        self.question = question
        self.source = source
        super().__init__(f"{source}:{line}: question '{question}': {message}")


@dataclass(frozen=True)
class QuestionFile:
    """A file of a question (an image a Moodle XML question embeds); its text refers to it as
    "@@PLUGINFILE@@/name"."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True, kw_only=True)
class GiftQuestion:
    type: QuestionType
    text: str
    spec: dict[str, Any]
    title: str = ""
    text_format: TextFormat = DEFAULT_FORMAT
    general_feedback: str = ""
    category: str = ""
    # Where the question starts in its file; not part of the question's value, so a parsed
    # question equals the same question rendered and parsed again.
    line: int = field(default=0, compare=False)
    # GIFT has no syntax for points: parsing gives 1 (0 for a description, which is not
    # graded), rendering drops them.
    points: Decimal = Decimal(1)
    # From "// [tag:…] [id:…]" comment lines in the question's block (Moodle 3.6+).
    tags: tuple[str, ...] = ()
    idnumber: str = ""
    # Moodle XML only (GIFT has no files).
    files: tuple[QuestionFile, ...] = ()


# --- escapes ---------------------------------------------------------------------------------
#
# GIFT escapes \~ \= \# \{ \} \: and \\ (a backslash), and \n is a newline. Any other
# backslash stays a literal backslash (Moodle does the same; it keeps regexes like \d usable).
# Escaped characters become Unicode noncharacters while the structure is parsed, so a plain
# str.find() never mistakes them for syntax; they turn back into the characters at the end.
# Noncharacters are reserved for exactly this kind of process-internal use, so input that
# contains them is refused rather than misread.

_ESCAPABLE: Final = "\\~=#{}:"
_PLACEHOLDER: Final = {ch: chr(0xFDD0 + i) for i, ch in enumerate(_ESCAPABLE)}
_RESTORE: Final = str.maketrans({v: k for k, v in _PLACEHOLDER.items()})
_NONCHARACTERS: Final = re.compile("[\ufdd0-\ufdef]")


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def _clean(text: str) -> str:
    return _restore(text).strip()


def _escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPABLE:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


# --- text formats --------------------------------------------------------------------------
#
# Moodle reads "[html]", "[markdown]", "[plain]" or "[moodle]" at the start of a question's
# text, of a multiple-choice answer, a matching prompt, a feedback and the general feedback;
# without one, a text is in the question's format. A bracket word that is no format name
# stays text (so "[moodle][Go]" starts a text with "[Go]"). We store the question's format,
# and every other text of the question in it (feedback is rendered in the question's format;
# choices and prompts are shown as plain text), so a marker is converted, never kept.


class _TextOnly(HTMLParser):
    """The text of an HTML fragment, as a reader sees it (tags dropped, entities decoded)."""

    _BREAKS: Final = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    lines = ("".join(parser.parts)).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~&])")


def _plain_to_markdown(text: str) -> str:
    # Every punctuation character Markdown could read as syntax is escaped; line breaks
    # stay line breaks (two spaces before the newline, a hard break).
    return "  \n".join(_MARKDOWN_SPECIAL.sub(r"\\\1", line) for line in text.split("\n"))


def _markdown_to_html(text: str) -> str:
    from markdown_it import MarkdownIt  # a dependency of the site; sanitised when rendered

    return MarkdownIt("commonmark", {"html": True}).render(text).strip()


def convert_text(text: str, source: TextFormat, target: TextFormat) -> str:
    """`text` written in `source` as text in `target` that shows the same to a reader."""
    if source == target or not text:
        return text
    if target == "markdown":
        # Markdown keeps HTML (the page sanitises it); Moodle's auto-format is HTML-friendly
        # text with line breaks, as is Markdown that has no syntax in it.
        if source == "plain":
            return _plain_to_markdown(text)
        if source == "moodle":
            return text.replace("\n", "  \n")
        return text
    if target == "html":
        if source == "markdown":
            return _markdown_to_html(text)
        return html.escape(text).replace("\n", "<br>\n")
    # plain and moodle are shown escaped, with their line breaks.
    if source == "html":
        return html_to_text(text)
    return text


def split_format(text: str) -> tuple[TextFormat | None, str]:
    """A leading format marker and the text after it (trimmed, as Moodle does)."""
    match = _FORMAT_RE.match(text.lstrip())
    if match and match.group(1) in TEXT_FORMATS:  # (lower case only, as Moodle)
        return TEXT_FORMATS[match.group(1)], text.lstrip()[match.end() :].strip()
    return None, text


def _in_format(text: str, question_format: TextFormat, *, shown_as: TextFormat) -> str:
    """A text of the question (after restoring escapes) read with its optional marker, in the
    format it is stored in: `shown_as` (plain for choices, the question's for feedback)."""
    marker, body = split_format(text)
    return convert_text(body.strip(), marker or question_format, shown_as)


# --- short-answer wildcards ----------------------------------------------------------------
#
# Moodle's short answers treat "*" as "any text" (and "\\*" as a literal star), compared
# case-insensitively with the whole trimmed response. We store such an answer as the regex
# that matches the same texts, and write it back as the wildcard it came from.

_REGEX_SPECIAL: Final = frozenset("\\.^$*+?{}[]|()")
_STARS: Final = re.compile(r"(?<!\\)\*+")


def _regex_literal(text: str) -> str:
    return "".join("\\" + ch if ch in _REGEX_SPECIAL else ch for ch in text)


def has_wildcard(answer: str) -> bool:
    return _STARS.search(answer) is not None


def wildcard_regex(answer: str) -> str:
    """The regex of a Moodle short answer with "*" in it (whitespace as our responses have it:
    collapsed, so the answer's runs of spaces are collapsed too)."""
    parts = _STARS.split(" ".join(answer.split()))
    return ".*".join(_regex_literal(part.replace("\\*", "*")) for part in parts)


def wildcard_of(regex: str) -> str | None:
    """The Moodle wildcard answer whose regex is exactly `regex`, if there is one."""
    out: list[str] = []
    i = 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\" and i + 1 < len(regex) and regex[i + 1] in _REGEX_SPECIAL:
            out.append("\\*" if regex[i + 1] == "*" else regex[i + 1])
            i += 2
        elif regex.startswith(".*", i):
            out.append("*")
            i += 2
        elif ch in _REGEX_SPECIAL:
            return None
        else:
            out.append(ch)
            i += 1
    answer = "".join(out)
    return answer if has_wildcard(answer) and wildcard_regex(answer) == regex else None


# --- the pieces of one question --------------------------------------------------------------

# Moodle reads a weight only when it directly follows the marker: "~%50%text". Text such as
# "%d%s" stays text, which matters for Go's format verbs.
_WEIGHT_RE: Final = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_FORMAT_RE: Final = re.compile(r"\[([A-Za-z]+)\]")
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE_FALSE: Final = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CATEGORY: Final = "$CATEGORY:"
# Moodle 3.6+ writes a question's tags and id number as comments above it.
_TAG_RE: Final = re.compile(r"\[tag:([^\]]*)\]")
_ID_RE: Final = re.compile(r"\[id:([^\]]*)\]")


@dataclass(frozen=True)
class _Answer:
    marker: str  # "=" or "~"
    body: str  # with placeholders, untrimmed
    pos: int  # offset of the marker in the block


class _Block:
    """One blank-line separated question: unescaped text plus the line of every character."""

    def __init__(
        self,
        lines: list[tuple[int, str]],
        source: str,
        category: str,
        comments: Sequence[str] = (),
    ) -> None:
        chars: list[str] = []
        line_of: list[int] = []
        for index, (number, raw) in enumerate(lines):
            if index:
                chars.append("\n")
                line_of.append(lines[index - 1][0])
            i = 0
            while i < len(raw):
                ch = raw[i]
                nxt = raw[i + 1] if i + 1 < len(raw) else ""
                if ch == "\\" and nxt and nxt in _ESCAPABLE:
                    chars.append(_PLACEHOLDER[nxt])
                    i += 2
                elif ch == "\\" and nxt == "n":
                    chars.append("\n")
                    i += 2
                else:
                    chars.append(ch)
                    i += 1
                line_of.append(number)
        self.text = "".join(chars)
        self.line_of = line_of
        self.start_line = lines[0][0]
        self.source = source
        self.category = category
        self.name = _snippet(self.text)
        self.format: TextFormat = DEFAULT_FORMAT
        joined = "\n".join(comments)
        self.tags = tuple(t.strip() for t in _TAG_RE.findall(joined) if t.strip())
        ids = _ID_RE.findall(joined)
        self.idnumber = ids[0].strip() if ids else ""

    def line(self, pos: int) -> int:
        if 0 <= pos < len(self.line_of):
            return self.line_of[pos]
        return self.line_of[-1] if self.line_of else self.start_line

    def error(self, message: str, pos: int) -> GiftError:
        return GiftError(message, self.line(pos), self.name, source=self.source)


def _snippet(text: str) -> str:
    return " ".join(_restore(text).split())[:40]


def _parse_weight(block: _Block, body: str, pos: int, default: Weight) -> tuple[Weight, str]:
    match = _WEIGHT_RE.match(body)
    if not match:
        return default, body
    value = Decimal(match.group(1))
    if not -100 <= value <= 100:
        raise block.error(f"weight {match.group(1)}% is outside -100..100", pos)
    weight: Weight = int(value) if value == value.to_integral_value() else float(value)
    return weight, body[match.end() :]


def _split_feedback(block: _Block, body: str) -> tuple[str, str]:
    """An answer's text (raw, trimmed) and its feedback, in the question's format."""
    text, _, feedback = body.partition("#")
    return _clean(text), _feedback(block, feedback)


def _feedback(block: _Block, raw: str) -> str:
    return _in_format(_clean(raw), block.format, shown_as=block.format)


def _shown_plain(block: _Block, text: str) -> str:
    """A choice or a matching prompt: Moodle reads a format marker on it; we show it as text."""
    return _in_format(text, block.format, shown_as="plain")


def _split_answers(content: str, base: int, markers: str) -> tuple[str, list[_Answer]]:
    """Text before the first marker, then each answer from its marker to the next one."""
    starts = [i for i, ch in enumerate(content) if ch in markers]
    if not starts:
        return content, []
    answers = [
        _Answer(content[start], content[start + 1 : end], base + start)
        for start, end in zip(starts, [*starts[1:], len(content)], strict=True)
    ]
    return content[: starts[0]], answers


def _check_unique(block: _Block, keys: list[tuple[str, int]], what: str) -> None:
    seen: set[str] = set()
    for key, pos in keys:
        if key in seen:
            raise block.error(f"duplicate {what} {_restore(key)!r}", pos)
        seen.add(key)


def _has_full_credit(weights: list[Weight]) -> bool:
    return any(w == 100 for w in weights)


def _parse_choices(block: _Block, answers: list[_Answer]) -> tuple[list[dict[str, Any]], bool]:
    """Choices of a multiple-choice block and whether it is single-answer.

    Moodle's rule: a block with any "=" is single-answer (radio buttons, "=" is worth 100 and
    "~" 0 unless it says "~%50%"); a block of "~" only is multiple-answer (checkboxes), its
    weights given as percentages. Text before the first marker is one more choice worth 0
    (Moodle reads it so). Two choices with the same text are allowed, as in Moodle.
    """
    choices: list[dict[str, Any]] = []
    for index, answer in enumerate(answers):
        weight, rest = _parse_weight(
            block, answer.body, answer.pos, 100 if answer.marker == "=" else 0
        )
        raw, feedback = _split_feedback(block, rest)
        text = _shown_plain(block, raw)
        if not text:
            raise block.error("empty answer", answer.pos)
        choices.append(
            {"id": choice_id(index), "text": text, "weight": weight, "feedback": feedback}
        )
    if len(choices) < 2:
        raise block.error("a multiple-choice question needs at least 2 choices", answers[0].pos)
    single = any(a.marker == "=" for a in answers)
    weights = [c["weight"] for c in choices]
    if single and not _has_full_credit(weights):
        raise block.error("no correct answer: no choice is worth 100%", answers[0].pos)
    if not single:
        positive = sum(w for w in weights if w > 0)
        if positive <= 0:
            raise block.error(
                "no correct answer: mark it with '=' or give weights like '~%50%'",
                answers[0].pos,
            )
        # Moodle's own grade list has 33.33333% and friends, so allow their rounding.
        if abs(positive - 100) > 0.01:
            raise block.error(
                f"the positive weights of a multiple-answer question sum to {positive:g}%,"
                " not 100%",
                answers[0].pos,
            )
    return choices, single


def _short_answer(text: str) -> dict[str, str]:
    """A Moodle short answer as ours: "*" makes it a wildcard (a regex), "\\*" is a star."""
    if has_wildcard(text):
        return {"regex": wildcard_regex(text)}
    return {"text": text.replace("\\*", "*")}


def _parse_short_answers(block: _Block, answers: list[_Answer]) -> list[dict[str, Any]]:
    """Moodle's short answers: each worth 100 unless "=%50%"; the first may lack its "="."""
    parsed: list[dict[str, Any]] = []
    for answer in answers:
        weight, rest = _parse_weight(block, answer.body, answer.pos, 100)
        # Moodle keeps a short answer as plain text: a "[plain]" on it is part of the answer.
        text, feedback = _split_feedback(block, rest)
        if not text:
            raise block.error("empty answer", answer.pos)
        parsed.append({**_short_answer(text), "weight": weight, "feedback": feedback})
    if not _has_full_credit([p["weight"] for p in parsed]):
        raise block.error("no answer is worth 100%", answers[0].pos)
    return parsed


def _number(block: _Block, text: str, pos: int, what: str) -> str:
    text = text.strip()
    if not _NUMBER_RE.fullmatch(text):
        raise block.error(f"{what} {_restore(text)!r} is not a number", pos)
    return text


def _parse_numeric_answers(block: _Block, content: str, base: int) -> list[dict[str, Any]]:
    """Moodle's numeric answers: "=" between them (the first may lack it), each exact, "a:b"
    (a within b) or "a..b"; "~" starts the feedback for any other answer ("~#text")."""
    other: dict[str, Any] | None = None
    if (tilde := content.find("~")) >= 0:
        _, _, feedback = content[tilde + 1 :].partition("#")
        # Moodle stores this as an answer "*" worth 0, whatever weight it is given.
        other = {"kind": "any", "weight": 0, "feedback": _feedback(block, feedback)}
        content = content[:tilde]
    leading, answers = _split_answers(content, base, "=")
    if leading.strip():
        answers = [_Answer("=", leading, base), *answers]
    if not answers:
        raise block.error("empty numeric answer", base)
    parsed: list[dict[str, Any]] = []
    for answer in answers:
        weight, rest = _parse_weight(block, answer.body, answer.pos, 100)
        value, _, feedback_raw = rest.partition("#")
        feedback = _feedback(block, feedback_raw)
        pos = answer.pos
        if not value.strip():
            raise block.error("empty numeric answer", pos)
        item: dict[str, Any]
        if ".." in value:
            low, _, high = value.partition("..")
            low = _number(block, low, pos, "range minimum")
            high = _number(block, high, pos, "range maximum")
            if Decimal(low) > Decimal(high):
                raise block.error(f"range minimum {low} is greater than maximum {high}", pos)
            item = {"kind": "range", "min": low, "max": high}
        elif ":" in value:
            centre, _, margin = value.partition(":")
            centre = _number(block, centre, pos, "answer")
            margin = _number(block, margin, pos, "tolerance")
            if Decimal(margin) < 0:
                raise block.error(f"tolerance {margin} is negative", pos)
            item = {"kind": "tolerance", "value": centre, "tolerance": margin}
        else:
            item = {"kind": "exact", "value": _number(block, value, pos, "answer")}
        item |= {"weight": weight, "feedback": feedback}
        parsed.append(item)
    if not _has_full_credit([p["weight"] for p in parsed]):
        raise block.error("no numeric answer is worth 100%", answers[0].pos)
    return parsed + ([other] if other else [])


def _parse_matching(block: _Block, answers: list[_Answer]) -> dict[str, Any]:
    pairs: list[dict[str, Any]] = []
    distractors: list[str] = []
    prompt_keys: list[tuple[str, int]] = []
    answer_keys: list[tuple[str, int]] = []
    for answer in answers:
        if answer.marker != "=":
            raise block.error("matching pairs start with '='", answer.pos)
        if "#" in answer.body:
            # Moodle has no feedback per pair either; a bare '#' is almost surely a typo.
            raise block.error(
                "matching pairs cannot have feedback ('#'); escape it as '\\#'", answer.pos
            )
        if "->" not in answer.body:
            raise block.error("matching pair without '->'", answer.pos)
        prompt_raw, _, answer_raw = answer.body.partition("->")
        # Moodle reads a format marker on the prompt, not on the answer (plain text there).
        prompt, matched = _shown_plain(block, _clean(prompt_raw)), _clean(answer_raw)
        if not matched:
            raise block.error("matching pair with an empty right side", answer.pos)
        if prompt:
            pairs.append({"id": choice_id(len(pairs)), "prompt": prompt, "answer": matched})
            prompt_keys.append((prompt, answer.pos))
        else:
            # "= -> x": an extra answer that matches no prompt (Moodle's distractor).
            distractors.append(matched)
            answer_keys.append((matched, answer.pos))
    _check_unique(block, prompt_keys, "matching prompt")
    # Distractors must differ from each other and from every pair's answer (pairs may share one).
    pair_answers = {p["answer"] for p in pairs}
    for matched, pos in answer_keys:
        if matched in pair_answers:
            raise block.error(f"distractor {matched!r} is also the answer of a pair", pos)
    _check_unique(block, answer_keys, "distractor")
    if len(pairs) < 2:
        # Moodle asks for 3; 2 pairs are still a fair question.
        raise block.error("a matching question needs at least 2 pairs", answers[0].pos)
    return {"pairs": pairs, "distractors": distractors}


def choice_id(index: int) -> str:
    """a, b, …, z, aa, ab, …: stable ids in answer order."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


@dataclass(frozen=True)
class _Parsed:
    type: QuestionType
    spec: dict[str, Any]


def _parse_answer_block(block: _Block, content: str, base: int) -> _Parsed:
    """Everything inside { } except the general feedback, typed in Moodle's order: empty is
    an essay, "#" numeric, any "~" multiple choice, "=" with "->" matching, T/F true-false,
    anything else short answer."""
    if not content.strip():
        return _Parsed("essay", {"min_words": 0, "max_words": None, "grader_info": ""})
    stripped = content.lstrip()
    if stripped.startswith("#"):
        offset = base + len(content) - len(stripped)
        numeric = _parse_numeric_answers(block, stripped[1:], offset + 1)
        return _Parsed("numeric", {"answers": numeric})

    if "~" in content:
        leading, answers = _split_answers(content, base, "~=")
        if leading.strip():
            answers = [_Answer("~", leading, base), *answers]
        choices, single = _parse_choices(block, answers)
        if single:
            return _Parsed("single_choice", {"choices": choices})
        return _Parsed("multiple_choice", {"choices": choices, "scoring": "partial"})

    leading, answers = _split_answers(content, base, "=")
    # Moodle calls any '=' block with '->' matching; we look only at answer texts (not at
    # feedback after '#'), so a short answer may say "->" in its feedback.
    if answers and any("->" in a.body.partition("#")[0] for a in answers):
        if leading.strip():
            raise block.error("text before the first matching pair", base)
        return _Parsed("matching", _parse_matching(block, answers))

    head, *feedbacks = content.split("#", 2)
    value = _TRUE_FALSE.get(head.strip())
    if value is not None:
        # GIFT's true/false feedback is {T#wrong#right}: the first text is shown to a learner
        # whose answer is wrong, the second to one whose answer is right (Moodle's
        # split_truefalse_comment). feedback_true is what the learner who picked "true" sees,
        # so for {T} it is the second text and for {F} the first.
        wrong, right = (_feedback(block, f) for f in [*feedbacks, "", ""][:2])
        true_fb, false_fb = (right, wrong) if value else (wrong, right)
        return _Parsed(
            "true_false", {"answer": value, "feedback_true": true_fb, "feedback_false": false_fb}
        )
    if leading.strip():
        # Moodle reads text before the first "=" (or with none at all) as one more answer.
        answers = [_Answer("=", leading, base), *answers]
    short = _parse_short_answers(block, answers)
    return _Parsed(
        "short_text",
        {"answers": short, "case_sensitive": False, "yo_equals_e": True, "first_match": True},
    )


def _gap_of(parsed: _Parsed) -> dict[str, Any] | None:
    """A missing-word block as a fill_blanks gap, when a gap can grade it as Moodle does."""
    if parsed.type == "single_choice":
        choices = parsed.spec["choices"]
        if any(c["feedback"] for c in choices):
            return None  # a choice gap carries no feedback: keep the choice question
        return {
            "id": "1",
            "kind": "choice",
            "choices": [{"id": c["id"], "text": c["text"], "weight": c["weight"]} for c in choices],
        }
    if parsed.type == "short_text":
        return {"id": "1", "kind": "text", **parsed.spec}
    if parsed.type == "numeric":
        return {"id": "1", "kind": "numeric", **parsed.spec}
    return None


def _parse_question(block: _Block) -> GiftQuestion:
    s = block.text
    body = len(s) - len(s.lstrip())
    title = ""
    if s.startswith("::", body):
        end = s.find("::", body + 2)
        if end < 0:
            raise block.error("unterminated title: no closing '::'", body)
        title = _clean(s[body + 2 : end])
        body = end + 2
        block.name = title or _snippet(s[body:])

    lead = s[body:].lstrip()
    if (match := _FORMAT_RE.match(lead)) and match.group(1) in TEXT_FORMATS:
        block.format = TEXT_FORMATS[match.group(1)]
        body = len(s) - len(lead) + match.end()
    # (A bracket word that is no format name stays text, as in Moodle.)

    opening = s.find("{", body)
    stray = s.find("}", body, opening if opening >= 0 else len(s))
    if stray >= 0:
        raise block.error("'}' without a matching '{'", stray)
    if opening < 0:
        # No answer block: Moodle's "description", text shown between questions, not graded.
        text = _clean(s[body:])
        if not text:
            raise block.error("empty question text", body)
        return _question(block, "description", title, text, {}, "", points=Decimal(0))
    closing = s.find("}", opening + 1)
    nested = s.find("{", opening + 1, closing if closing >= 0 else len(s))
    if nested >= 0:
        raise block.error("nested '{' inside an answer block (escape it as '\\{')", nested)
    if closing < 0:
        raise block.error("unterminated answer block: no closing '}'", opening)
    extra = [p for p in (s.find("{", closing + 1), s.find("}", closing + 1)) if p >= 0]
    if extra:
        raise block.error("more than one answer block (escape literal braces as '\\{')", min(extra))

    before, after = s[body:opening], s[closing + 1 :]
    content = s[opening + 1 : closing]
    general_feedback = ""
    if (split := content.find("####")) >= 0:
        general_feedback = _feedback(block, content[split + 4 :])
        content = content[:split]
    parsed = _parse_answer_block(block, content, opening + 1)

    before_text, after_text = _restore(before), _restore(after)
    if after_text.strip():
        # Answers before the end of the text: Moodle's "missing word" question. A gap where
        # one can grade it as Moodle does; else the question of the block's own type, with
        # Moodle's blank line where the block stood.
        gap = _gap_of(parsed)
        if gap is not None:
            if GAP in before_text or GAP in after_text:
                raise block.error(
                    f"the text of a missing-word question already contains {GAP}", body
                )
            text = (before_text + GAP + after_text).strip()
            parsed = _Parsed("fill_blanks", {"text": text, "gaps": [gap]})
        else:
            text = (before_text + BLANK + after_text).strip()
    else:
        text = before_text.strip()
    if not text:
        raise block.error("empty question text", body)
    return _question(block, parsed.type, title, text, parsed.spec, general_feedback)


def _question(
    block: _Block,
    type_: QuestionType,
    title: str,
    text: str,
    spec: dict[str, Any],
    general_feedback: str,
    *,
    points: Decimal = Decimal(1),
) -> GiftQuestion:
    return GiftQuestion(
        type=type_,
        title=title,
        text=text,
        text_format=block.format,
        spec=spec,
        general_feedback=general_feedback,
        category=block.category,
        line=block.start_line,
        points=points,
        tags=block.tags,
        idnumber=block.idnumber,
    )


def parse_gift(
    text: str, *, source: str = "<gift>", problems: list[GiftError] | None = None
) -> list[GiftQuestion]:
    """Questions of a GIFT file, in order. The first problem raises GiftError; with
    `problems`, every question that cannot be read is added there instead (and left out), so
    that one pass names every line to fix and the rest can be imported."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[GiftQuestion] = []
    category = ""
    pending: list[tuple[int, str]] = []
    comments: list[str] = []
    spoiled: list[bool] = []  # a line of the question was refused: skip it whole

    def flush() -> None:
        if pending and not spoiled:
            try:
                questions.append(_parse_question(_Block(pending, source, category, comments)))
            except GiftError as error:
                if problems is None:
                    raise
                problems.append(error)
        pending.clear()
        comments.clear()
        spoiled.clear()

    # split("\n"), not splitlines(): the latter also breaks on U+2028, \x1c… inside text.
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("//"):
            # A comment only at the start of a line; it does not end the question. Its
            # "[tag:…]" and "[id:…]" belong to the question of its block.
            comments.append(stripped)
        elif stripped.startswith(_CATEGORY):
            # Moodle wants $CATEGORY alone in its block; we let it end the previous one.
            flush()
            category = stripped[len(_CATEGORY) :].strip()
        elif bad := _NONCHARACTERS.search(line):
            error = GiftError(
                f"unsupported character U+{ord(bad.group()):04X}",
                number,
                stripped[:40],
                source=source,
            )
            if problems is None:
                raise error
            problems.append(error)
            pending.append((number, line))
            spoiled.append(True)
        else:
            pending.append((number, line))
    flush()
    return questions


# --- rendering -------------------------------------------------------------------------------


def _render_error(question: GiftQuestion, message: str) -> GiftError:
    name = question.title or " ".join(question.text.split())[:40]
    return GiftError(message, question.line, name, source="<render>")


# Stored specs may omit optional fields and may hold weights as decimal strings
# (docs/question-types.md, Validation), so rendering reads them with their defaults.


def _weight_value(weight: Weight | str) -> Decimal:
    return Decimal(str(weight))


def _weight_text(weight: Weight | str) -> str:
    # Through Decimal, so 0.00001 is written as such and not as 1e-05 (not a GIFT weight).
    return format(_weight_value(weight), "f")


def _marked(text: str, text_format: TextFormat) -> str:
    """A text of the question as GIFT, with a format marker only where Moodle (and we) would
    otherwise misread it: one that starts with a format name in brackets."""
    if split_format(text)[0] is not None or text != text.strip():
        return f"[{text_format}]{_escape(text)}"
    return _escape(text)


def _feedback_text(feedback: str, question_format: TextFormat) -> str:
    return f"#{_marked(feedback, question_format)}" if feedback else ""


def _plain_text(text: str, question_format: TextFormat) -> str:
    """A choice or a prompt (shown as plain text): "[plain]" where the question's format would
    read it otherwise (HTML: "<", "&", runs of spaces)."""
    if _in_format(text, question_format, shown_as="plain") != text:
        return f"[plain]{_escape(text)}"
    return _escape(text)


def _answer_text(marker: str, weight: Weight | str, default: int, text: str, feedback: str) -> str:
    # An explicit weight when the text itself would read as one ("%50%…"). `text` and
    # `feedback` are GIFT already (escaped, with their markers).
    explicit = _weight_value(weight) != default or _WEIGHT_RE.match(text) is not None
    head = f"{marker}%{_weight_text(weight)}%" if explicit else marker
    return head + text + feedback


def _render_choices(
    choices: list[dict[str, Any]], text_format: TextFormat, *, single: bool
) -> list[str]:
    """'=' for the first full-credit choice of a single-answer question, '~%w%' for the rest.

    One '=' keeps the block single-answer and the '~'s keep it multiple choice (a block of
    '=' only would read back as a short answer).
    """
    out = []
    used_equals = False
    for choice in choices:
        feedback = _feedback_text(choice.get("feedback", ""), text_format)
        text = _plain_text(choice["text"], text_format)
        if single and not used_equals and _weight_value(choice["weight"]) == 100:
            used_equals = True
            out.append(_answer_text("=", 100, 100, text, feedback))
        else:
            out.append(_answer_text("~", choice["weight"], 0, text, feedback))
    return out


def _render_short(question: GiftQuestion, spec: dict[str, Any]) -> list[str]:
    if spec.get("case_sensitive", False) or not spec.get("yo_equals_e", True):
        raise _render_error(question, "GIFT short answers are case-insensitive with ё = е")
    out = []
    for answer in answers_for_first_match(spec):
        if "text" in answer:
            # A star is a wildcard in Moodle's short answers; "\*" is a star.
            text = answer["text"].replace("*", "\\*")
        elif (wildcard := wildcard_of(answer["regex"])) is not None:
            text = wildcard
        else:
            raise _render_error(question, "GIFT has no regular-expression answers")
        if "->" in text:
            raise _render_error(question, "a short answer containing '->' reads as matching")
        feedback = _feedback_text(answer.get("feedback", ""), question.text_format)
        out.append(_answer_text("=", answer["weight"], 100, _escape(text), feedback))
    return out


def _numeric_value(answer: dict[str, Any]) -> str:
    kind = answer["kind"]
    if kind == "range":
        return f"{answer['min']}..{answer['max']}"
    if kind == "tolerance":
        return f"{answer['value']}:{answer['tolerance']}"
    return str(answer["value"])


def _render_numeric(question: GiftQuestion, spec: dict[str, Any]) -> list[str]:
    out = []
    others = [a for a in spec["answers"] if a["kind"] == "any"]
    for answer in spec["answers"]:
        if answer["kind"] == "any":
            continue
        weight = answer["weight"]
        head = "=" if _weight_value(weight) == 100 else f"=%{_weight_text(weight)}%"
        feedback = _feedback_text(answer.get("feedback", ""), question.text_format)
        out.append(head + _numeric_value(answer) + feedback)
    if others:
        # GIFT's "~#feedback": any other number, worth 0, once, after the answers.
        if len(others) > 1 or _weight_value(others[0]["weight"]) != 0:
            raise _render_error(question, "GIFT's numeric 'any other answer' is worth 0, once")
        out.append("~" + (_feedback_text(others[0].get("feedback", ""), question.text_format)))
    return out


def _render_matching(question: GiftQuestion, spec: dict[str, Any]) -> list[str]:
    out = []
    for pair in spec["pairs"]:
        if "->" in pair["prompt"]:
            raise _render_error(question, "a matching prompt cannot contain '->'")
        prompt = _plain_text(pair["prompt"], question.text_format)
        out.append(f"={prompt} -> {_escape(pair['answer'])}")
    out.extend(f"= -> {_escape(d)}" for d in spec.get("distractors", []))
    return out


def _block(
    lines: list[str], question: GiftQuestion, *, inline: bool, general_feedback: str = ""
) -> str:
    if general_feedback:
        lines = [*lines, f"####{_marked(general_feedback, question.text_format)}"]
    if inline:
        return "{" + " ".join(lines) + "}"
    return "{\n" + "".join(f"\t{line}\n" for line in lines) + "}"


def _render_true_false(question: GiftQuestion) -> str:
    spec, text_format = question.spec, question.text_format
    value = bool(spec["answer"])
    feedback_true, feedback_false = spec.get("feedback_true", ""), spec.get("feedback_false", "")
    right, wrong = (feedback_true, feedback_false) if value else (feedback_false, feedback_true)
    text = "TRUE" if value else "FALSE"
    if wrong or right:
        text += "#" + (_marked(wrong, text_format) if wrong else "")
    if right:
        text += f"#{_marked(right, text_format)}"
    return _block([text], question, inline=True, general_feedback=question.general_feedback)


def _render_gap(question: GiftQuestion) -> tuple[str, str, str]:
    spec = question.spec
    gaps = spec["gaps"]
    if len(gaps) != 1 or spec["text"] != question.text or question.text.count(GAP) != 1:
        raise _render_error(question, f"GIFT holds one gap, written {GAP} once in the text")
    before, after = question.text.split(GAP)
    if not after.strip():
        raise _render_error(question, "GIFT cannot place a missing word at the end of the text")
    gap = gaps[0]
    if gap["kind"] == "choice":
        if not any(_weight_value(c["weight"]) == 100 for c in gap["choices"]):
            raise _render_error(question, "a choice gap needs a choice worth 100%")
        lines = _render_choices(gap["choices"], question.text_format, single=True)
        if not any(line.startswith("~") for line in lines):
            # Without a "~" Moodle reads "=" answers as a short answer.
            raise _render_error(question, "GIFT's choice gap needs a wrong choice")
    elif gap["kind"] == "text":
        lines = _render_short(question, gap)
    else:
        lines = _render_numeric(question, gap)
        lines[0] = "#" + lines[0]
    general_feedback = question.general_feedback
    return before, _block(lines, question, inline=True, general_feedback=general_feedback), after


def _render_question(question: GiftQuestion) -> str:
    spec, feedback = question.spec, question.general_feedback
    before, after = question.text, ""
    match question.type:
        case "single_choice" | "multiple_choice":
            single = question.type == "single_choice"
            if not single and spec.get("scoring") != "partial":
                raise _render_error(question, "GIFT multiple-answer questions score partially")
            choices = _render_choices(spec["choices"], question.text_format, single=single)
            if not any(line.startswith("~") for line in choices):
                # All "=": Moodle would read a short answer.
                raise _render_error(question, "GIFT's single choice needs a wrong choice")
            block = _block(choices, question, inline=False, general_feedback=feedback)
        case "true_false":
            block = _render_true_false(question)
        case "short_text":
            lines = _render_short(question, spec)
            block = _block(lines, question, inline=False, general_feedback=feedback)
        case "numeric":
            lines = _render_numeric(question, spec)
            if len(lines) == 1 and lines[0].startswith("=") and not lines[0].startswith("=%"):
                # {#3.14:0.01}
                block = _block(
                    ["#" + lines[0][1:]], question, inline=True, general_feedback=feedback
                )
            else:
                block = "{#" + _block(lines, question, inline=False, general_feedback=feedback)[1:]
        case "matching":
            lines = _render_matching(question, spec)
            block = _block(lines, question, inline=False, general_feedback=feedback)
        case "essay":
            limits = (spec.get("min_words", 0), spec.get("max_words"), spec.get("grader_info", ""))
            if limits != (0, None, ""):
                raise _render_error(question, "GIFT essays have no word limits or grader info")
            block = _block([], question, inline=True, general_feedback=feedback)
        case "fill_blanks":
            before, block, after = _render_gap(question)
        case "description":
            if feedback:
                raise _render_error(question, "a GIFT description has no general feedback")
            block = ""
        case _:
            raise _render_error(question, f"GIFT has no {question.type} questions")

    head = f"::{_escape(question.title)}::" if question.title else ""
    # A format prefix when the format is not the default, and also when the text would be
    # misread without one: "[word]…" looks like a prefix, "//…" at a line start is a comment.
    if (
        question.text_format != DEFAULT_FORMAT
        or _FORMAT_RE.match(question.text)
        or (not head and question.text.startswith("//"))
    ):
        head += f"[{question.text_format}]"
    separator = " " if before and block and not after else ""
    comment = _tags_comment(question)
    return comment + head + _escape(before) + separator + block + _escape(after)


def _tags_comment(question: GiftQuestion) -> str:
    """Moodle's "// [id:…] [tag:…]" line above a question with an id number or tags."""
    marks = [("id", question.idnumber)] if question.idnumber else []
    marks += [("tag", tag) for tag in question.tags]
    for _, value in marks:
        if "]" in value or "\n" in value or value != value.strip():
            raise _render_error(question, f"a tag or id number cannot be written: {value!r}")
    return "// " + " ".join(f"[{kind}:{value}]" for kind, value in marks) + "\n" if marks else ""


def render_gift(questions: Sequence[GiftQuestion]) -> str:
    """Canonical GIFT: parse_gift(render_gift(qs)) == qs for every question GIFT can express.

    Raises GiftError for what GIFT cannot hold (regex answers, ordering, word limits, …).
    """
    parts = []
    category = ""
    for question in questions:
        if question.category != category:
            if "\n" in question.category:
                raise _render_error(question, "a category must fit on one line")
            parts.append(f"{_CATEGORY} {question.category}".rstrip())
            category = question.category
        parts.append(_render_question(question))
    return "\n\n".join(parts) + "\n" if parts else ""
