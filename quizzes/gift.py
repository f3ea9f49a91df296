"""GIFT (Moodle's plain-text quiz format): parse into our question types and write back.

Pure Python, no Django: ``parse_gift`` turns a GIFT file into ``GiftQuestion`` values whose
``spec`` dicts have exactly the shapes of docs/question-types.md, and ``render_gift`` writes
canonical GIFT that parses back to equal questions. Where GIFT is loose, we follow what Moodle's
own importer (question/format/gift/format.php) does, and are stricter where its leniency would
silently turn a typo into a wrong question; every such choice is commented where it is made.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal

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

Weight = int | float


class GiftError(ValueError):
    """Input we cannot turn into a question (or a question GIFT cannot express)."""

    def __init__(self, message: str, line: int, question: str, *, source: str = "<gift>"):
        self.message = message
        self.line = line
        self.question = question
        self.source = source
        super().__init__(f"{source}:{line}: question '{question}': {message}")


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
    # GIFT has no syntax for points: parsing always gives 1, rendering drops them.
    points: Decimal = Decimal(1)


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


# --- the pieces of one question --------------------------------------------------------------

# Moodle reads a weight only when it directly follows the marker: "~%50%text". Text such as
# "%d%s" stays text, which matters for Go's format verbs.
_WEIGHT_RE: Final = re.compile(r"\s*%(-?\d+(?:\.\d+)?)%")
_FORMAT_RE: Final = re.compile(r"\[([A-Za-z]+)\]")
_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_TRUE_FALSE: Final = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_CATEGORY: Final = "$CATEGORY:"


@dataclass(frozen=True)
class _Answer:
    marker: str  # "=" or "~"
    body: str  # with placeholders, untrimmed
    pos: int  # offset of the marker in the block


class _Block:
    """One blank-line separated question: unescaped text plus the line of every character."""

    def __init__(self, lines: list[tuple[int, str]], source: str, category: str) -> None:
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


def _split_feedback(body: str) -> tuple[str, str]:
    text, _, feedback = body.partition("#")
    return _clean(text), _clean(feedback)


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


def _normalise(text: str) -> str:
    """short_text's comparison key (docs/question-types.md), to spot duplicate answers."""
    text = " ".join(unicodedata.normalize("NFC", text).split()).casefold()
    return text.replace("ё", "е")


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
    weights given as percentages.
    """
    choices: list[dict[str, Any]] = []
    for index, answer in enumerate(answers):
        weight, rest = _parse_weight(
            block, answer.body, answer.pos, 100 if answer.marker == "=" else 0
        )
        text, feedback = _split_feedback(rest)
        if not text:
            raise block.error("empty answer", answer.pos)
        choices.append(
            {"id": choice_id(index), "text": text, "weight": weight, "feedback": feedback}
        )
    if len(choices) < 2:
        raise block.error("a multiple-choice question needs at least 2 choices", answers[0].pos)
    _check_unique(
        block, [(c["text"], a.pos) for c, a in zip(choices, answers, strict=True)], "answer"
    )
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


def _parse_short_answers(block: _Block, answers: list[_Answer]) -> list[dict[str, Any]]:
    parsed: list[dict[str, Any]] = []
    for answer in answers:
        weight, rest = _parse_weight(block, answer.body, answer.pos, 100)
        text, feedback = _split_feedback(rest)
        if not text:
            raise block.error("empty answer", answer.pos)
        parsed.append({"text": text, "weight": weight, "feedback": feedback})
    _check_unique(
        block,
        [(_normalise(p["text"]), a.pos) for p, a in zip(parsed, answers, strict=True)],
        "answer",
    )
    if not _has_full_credit([p["weight"] for p in parsed]):
        raise block.error("no answer is worth 100%", answers[0].pos)
    return parsed


def _number(block: _Block, text: str, pos: int, what: str) -> str:
    text = text.strip()
    if not _NUMBER_RE.fullmatch(text):
        raise block.error(f"{what} {_restore(text)!r} is not a number", pos)
    return text


def _parse_numeric_answers(block: _Block, content: str, base: int) -> list[dict[str, Any]]:
    if "~" in content:
        # Moodle's "~#feedback" is feedback for any other answer; our numeric spec has no place
        # for it, and dropping it silently would lose the author's text.
        raise block.error("'~' (feedback for any other answer) is not supported in numeric", base)
    leading, answers = _split_answers(content, base, "=")
    if not answers:
        answers = [_Answer("=", leading, base)]
    elif leading.strip():
        raise block.error("numeric answers after the first must each start with '='", base)
    parsed: list[dict[str, Any]] = []
    for answer in answers:
        weight, rest = _parse_weight(block, answer.body, answer.pos, 100)
        value, _, feedback_raw = rest.partition("#")
        feedback = _clean(feedback_raw)
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
    _check_unique(
        block,
        [
            (repr(sorted((k, v) for k, v in p.items() if k not in ("weight", "feedback"))), a.pos)
            for p, a in zip(parsed, answers, strict=True)
        ],
        "numeric answer",
    )
    if not _has_full_credit([p["weight"] for p in parsed]):
        raise block.error("no numeric answer is worth 100%", answers[0].pos)
    return parsed


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
        prompt, matched = _clean(prompt_raw), _clean(answer_raw)
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
    """Everything inside { } except the general feedback."""
    if not content.strip():
        return _Parsed("essay", {"min_words": 0, "max_words": None, "grader_info": ""})
    stripped = content.lstrip()
    if stripped.startswith("#"):
        offset = base + len(content) - len(stripped)
        numeric = _parse_numeric_answers(block, stripped[1:], offset + 1)
        return _Parsed("numeric", {"answers": numeric})

    head, *feedbacks = content.split("#", 2)
    value = _TRUE_FALSE.get(head.strip())
    if value is not None:
        # GIFT's true/false feedback is {T#wrong#right}: the first text is shown to a learner
        # whose answer is wrong, the second to one whose answer is right (Moodle's
        # split_truefalse_comment). feedback_true is what the learner who picked "true" sees,
        # so for {T} it is the second text and for {F} the first.
        wrong, right = (_clean(f) for f in [*feedbacks, "", ""][:2])
        true_fb, false_fb = (right, wrong) if value else (wrong, right)
        return _Parsed(
            "true_false", {"answer": value, "feedback_true": true_fb, "feedback_false": false_fb}
        )
    leading, answers = _split_answers(content, base, "~=")
    if not answers:
        raise block.error(
            "answers must start with '=' or '~' (true/false is T, TRUE, F or FALSE)", base
        )
    if leading.strip():
        # Moodle would take this text as one more answer; it is far more often a missing marker.
        raise block.error("text before the first answer; answers start with '=' or '~'", base)

    if any(a.marker == "~" for a in answers):
        choices, single = _parse_choices(block, answers)
        if single:
            return _Parsed("single_choice", {"choices": choices})
        return _Parsed("multiple_choice", {"choices": choices, "scoring": "partial"})
    # Moodle calls any '=' block with '->' matching; we look only at answer texts (not at
    # feedback after '#'), so a short answer may say "->" in its feedback.
    if any("->" in a.body.partition("#")[0] for a in answers):
        return _Parsed("matching", _parse_matching(block, answers))
    short = _parse_short_answers(block, answers)
    return _Parsed("short_text", {"answers": short, "case_sensitive": False, "yo_equals_e": True})


def _gap_of(block: _Block, parsed: _Parsed, pos: int) -> dict[str, Any]:
    """A missing-word block as a fill_blanks gap; only the kinds a gap can grade."""
    if parsed.type == "single_choice":
        choices = parsed.spec["choices"]
        if any(c["feedback"] for c in choices):
            # The contract's choice gaps carry no feedback; refuse rather than drop it.
            raise block.error("per-answer feedback is not supported in a missing-word choice", pos)
        return {
            "id": "1",
            "kind": "choice",
            "choices": [{"id": c["id"], "text": c["text"], "weight": c["weight"]} for c in choices],
        }
    if parsed.type == "short_text":
        return {"id": "1", "kind": "text", **parsed.spec}
    if parsed.type == "numeric":
        return {"id": "1", "kind": "numeric", **parsed.spec}
    readable = parsed.type.replace("_", " ")
    raise block.error(
        f"a {readable} answer block inside the text is not supported; put it at the end", pos
    )


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

    opening = s.find("{", body)
    stray = s.find("}", body, opening if opening >= 0 else len(s))
    if stray >= 0:
        raise block.error("'}' without a matching '{'", stray)
    if opening < 0:
        # Moodle imports this as a "description" (text only, no grade); we have no such type.
        raise block.error("no answer block '{…}' (descriptions are not supported)", body)
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
    text_format: TextFormat = DEFAULT_FORMAT
    lead = before.lstrip()
    if match := _FORMAT_RE.match(lead):
        name = match.group(1)
        if name not in TEXT_FORMATS:
            raise block.error(
                f"unknown format [{name}]: use [markdown], [html], [moodle] or [plain]"
                " (write [moodle] first to start the text with a literal bracket)",
                body,
            )
        text_format = TEXT_FORMATS[name]
        before = lead[match.end() :]

    content = s[opening + 1 : closing]
    general_feedback = ""
    if (split := content.rfind("####")) >= 0:
        general_feedback = _clean(content[split + 4 :])
        content = content[:split]
    parsed = _parse_answer_block(block, content, opening + 1)

    before_text, after_text = _restore(before), _restore(after)
    if after_text.strip():
        # Answers before the end of the text: Moodle's "missing word" question.
        if GAP in before_text or GAP in after_text:
            raise block.error(f"the text of a missing-word question already contains {GAP}", body)
        text = (before_text + GAP + after_text).strip()
        spec = {"text": text, "gaps": [_gap_of(block, parsed, opening)]}
        parsed = _Parsed("fill_blanks", spec)
    else:
        text = before_text.strip()
    if not text:
        raise block.error("empty question text", body)
    return GiftQuestion(
        type=parsed.type,
        title=title,
        text=text,
        text_format=text_format,
        spec=parsed.spec,
        general_feedback=general_feedback,
        category=block.category,
        line=block.start_line,
    )


def parse_gift(
    text: str, *, source: str = "<gift>", problems: list[GiftError] | None = None
) -> list[GiftQuestion]:
    """Questions of a GIFT file, in order. The first problem raises GiftError; with
    `problems`, every question that cannot be read is added there instead (and left out), so
    that one pass names every line to fix."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[GiftQuestion] = []
    category = ""
    pending: list[tuple[int, str]] = []

    def flush() -> None:
        if pending:
            try:
                questions.append(_parse_question(_Block(pending, source, category)))
            except GiftError as error:
                if problems is None:
                    raise
                problems.append(error)
            pending.clear()

    # split("\n"), not splitlines(): the latter also breaks on U+2028, \x1c… inside text.
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("//"):
            # A comment only at the start of a line; it does not end the question.
            continue
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
            pending.append((number, _NONCHARACTERS.sub("", line)))
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


def _answer_text(marker: str, weight: Weight | str, default: int, text: str, feedback: str) -> str:
    # An explicit weight when the text itself would read as one ("%50%…").
    explicit = _weight_value(weight) != default or _WEIGHT_RE.match(text) is not None
    head = f"{marker}%{_weight_text(weight)}%" if explicit else marker
    tail = f"#{_escape(feedback)}" if feedback else ""
    return head + _escape(text) + tail


def _render_choices(choices: list[dict[str, Any]], *, single: bool) -> list[str]:
    """'=' for the first full-credit choice of a single-answer question, '~%w%' for the rest.

    One '=' keeps the block single-answer and the '~'s keep it multiple choice (a block of
    '=' only would read back as a short answer).
    """
    out = []
    used_equals = False
    for choice in choices:
        feedback = choice.get("feedback", "")
        if single and not used_equals and _weight_value(choice["weight"]) == 100:
            used_equals = True
            out.append(_answer_text("=", 100, 100, choice["text"], feedback))
        else:
            out.append(_answer_text("~", choice["weight"], 0, choice["text"], feedback))
    return out


def _render_short(question: GiftQuestion, spec: dict[str, Any]) -> list[str]:
    if spec.get("case_sensitive", False) or not spec.get("yo_equals_e", True):
        raise _render_error(question, "GIFT short answers are case-insensitive with ё = е")
    out = []
    for answer in spec["answers"]:
        if "text" not in answer:
            raise _render_error(question, "GIFT has no regular-expression answers")
        if "->" in answer["text"]:
            raise _render_error(question, "a short answer containing '->' reads as matching")
        feedback = answer.get("feedback", "")
        out.append(_answer_text("=", answer["weight"], 100, answer["text"], feedback))
    return out


def _numeric_value(answer: dict[str, Any]) -> str:
    kind = answer["kind"]
    if kind == "range":
        return f"{answer['min']}..{answer['max']}"
    if kind == "tolerance":
        return f"{answer['value']}:{answer['tolerance']}"
    return str(answer["value"])


def _render_numeric(spec: dict[str, Any]) -> list[str]:
    out = []
    for answer in spec["answers"]:
        weight = answer["weight"]
        head = "=" if _weight_value(weight) == 100 else f"=%{_weight_text(weight)}%"
        feedback = answer.get("feedback", "")
        tail = f"#{_escape(feedback)}" if feedback else ""
        out.append(head + _numeric_value(answer) + tail)
    return out


def _render_matching(question: GiftQuestion, spec: dict[str, Any]) -> list[str]:
    out = []
    for pair in spec["pairs"]:
        if "->" in pair["prompt"]:
            raise _render_error(question, "a matching prompt cannot contain '->'")
        out.append(f"={_escape(pair['prompt'])} -> {_escape(pair['answer'])}")
    out.extend(f"= -> {_escape(d)}" for d in spec.get("distractors", []))
    return out


def _block(lines: list[str], general_feedback: str, *, inline: bool) -> str:
    if general_feedback:
        lines = [*lines, f"####{_escape(general_feedback)}"]
    if inline:
        return "{" + " ".join(lines) + "}"
    return "{\n" + "".join(f"\t{line}\n" for line in lines) + "}"


def _render_true_false(spec: dict[str, Any], general_feedback: str) -> str:
    value = bool(spec["answer"])
    feedback_true, feedback_false = spec.get("feedback_true", ""), spec.get("feedback_false", "")
    right, wrong = (feedback_true, feedback_false) if value else (feedback_false, feedback_true)
    text = "TRUE" if value else "FALSE"
    if wrong or right:
        text += f"#{_escape(wrong)}"
    if right:
        text += f"#{_escape(right)}"
    return _block([text], general_feedback, inline=True)


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
        lines = _render_choices(gap["choices"], single=True)
    elif gap["kind"] == "text":
        lines = _render_short(question, gap)
    else:
        lines = _render_numeric(gap)
        lines[0] = "#" + lines[0]
    return before, _block(lines, question.general_feedback, inline=True), after


def _render_question(question: GiftQuestion) -> str:
    spec, feedback = question.spec, question.general_feedback
    before, after = question.text, ""
    match question.type:
        case "single_choice" | "multiple_choice":
            single = question.type == "single_choice"
            if not single and spec.get("scoring") != "partial":
                raise _render_error(question, "GIFT multiple-answer questions score partially")
            block = _block(_render_choices(spec["choices"], single=single), feedback, inline=False)
        case "true_false":
            block = _render_true_false(spec, feedback)
        case "short_text":
            block = _block(_render_short(question, spec), feedback, inline=False)
        case "numeric":
            lines = _render_numeric(spec)
            if len(lines) == 1 and lines[0].startswith("=") and not lines[0].startswith("=%"):
                block = _block(["#" + lines[0][1:]], feedback, inline=True)  # {#3.14:0.01}
            else:
                block = "{#" + _block(lines, feedback, inline=False)[1:]
        case "matching":
            block = _block(_render_matching(question, spec), feedback, inline=False)
        case "essay":
            limits = (spec.get("min_words", 0), spec.get("max_words"), spec.get("grader_info", ""))
            if limits != (0, None, ""):
                raise _render_error(question, "GIFT essays have no word limits or grader info")
            block = _block([], feedback, inline=True)
        case "fill_blanks":
            before, block, after = _render_gap(question)
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
    separator = " " if before and not after else ""
    return head + _escape(before) + separator + block + _escape(after)


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
