"""Moodle XML (Moodle's default question export): read into our question types and write back.

Pure Python, no Django, like quizzes.gift, and into the same `GiftQuestion` values (a question
of a bank: type, texts, spec, category, tags, id number), so one import service stores both.
The XML is parsed with defusedxml: no DTD, no entities, no external references, and a size
limit before parsing. Images embedded as base64 `<file>` elements come with the question
(`QuestionFile`, checked against a list of image types and a size limit); the text refers to
them as Moodle does, "@@PLUGINFILE@@/name", and the site serves them.

What we cannot represent (a question type we do not have, a regex answer in XML, …) skips
that question with its position and reason; the rest is read. Moodle's penalties and hints
have no place in our questions: they are not read (docs/teaching.md says so).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from quizzes.coderunner import CodeRunnerError, CodeRunnerQuestion, coderunner_read
from quizzes.gift import (
    GiftError,
    GiftQuestion,
    QuestionFile,
    TextFormat,
    choice_id,
    convert_text,
    wildcard_of,
    wildcard_regex,
)
from quizzes.grading.text import answers_for_first_match

__all__ = ["MoodleXmlError", "QuestionFile", "parse_moodle_xml", "render_moodle_xml"]

MAX_XML_BYTES: Final = 20 * 1024 * 1024
MAX_FILE_BYTES: Final = 2 * 1024 * 1024
# Images only, told by their first bytes (not by the name or the declared type): what a page
# may show in an <img> and nothing a browser would run.
IMAGE_TYPES: Final = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
PLUGINFILE: Final = "@@PLUGINFILE@@/"

FORMAT_NAMES: Final[dict[str, TextFormat]] = {
    "html": "html",
    "moodle_auto_format": "moodle",
    "plain_text": "plain",
    "markdown": "markdown",
}
FORMAT_OF: Final = {ours: name for name, ours in FORMAT_NAMES.items()}


class MoodleXmlError(GiftError):
    """A question (or the file) we cannot read; `line` is the question's number in the file."""


def image_type(data: bytes) -> str | None:
    for magic, content_type in IMAGE_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


_FILE_NAME: Final = re.compile(r"[\w .()+-]{1,100}")


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _Reader:
    source: str
    number: int  # the question's position among the file's <question> elements
    name: str = ""

    def error(self, message: str) -> MoodleXmlError:
        return MoodleXmlError(message, self.number, self.name, source=self.source)


def _text(element: Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path) if path else element
    return (found.text or "").strip() if found is not None else ""


def _format(element: Element | None, default: TextFormat) -> TextFormat:
    if element is None:
        return default
    return FORMAT_NAMES.get(element.get("format", ""), default)


def _files(reader: _Reader, element: Element | None, files: dict[str, QuestionFile]) -> None:
    if element is None:
        return
    for node in element.findall("file"):
        name = node.get("name", "")
        if not _FILE_NAME.fullmatch(name) or name.strip(". ") != name.strip():
            raise reader.error(f"file name {name!r} is not allowed")
        if node.get("encoding", "base64") != "base64":
            raise reader.error(f"file {name!r}: only base64 files are read")
        raw = "".join((node.text or "").split())
        if len(raw) * 3 // 4 > MAX_FILE_BYTES:
            raise reader.error(f"file {name!r} is over {MAX_FILE_BYTES // 1024} KB")
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise reader.error(f"file {name!r} is not valid base64") from None
        content_type = image_type(data)
        if content_type is None:
            raise reader.error(f"file {name!r} is not a PNG, JPEG or GIF image")
        files[name] = QuestionFile(name=name, content_type=content_type, data=data)


def _in(reader: _Reader, element: Element | None, files: dict[str, QuestionFile],
        source_default: TextFormat, target: TextFormat) -> str:  # fmt: skip
    """A text element (its <text>, its files) converted from its format into `target`."""
    _files(reader, element, files)
    return convert_text(_text(element), _format(element, source_default), target)


def _fraction(reader: _Reader, raw: str | None) -> int | float:
    try:
        value = Decimal((raw or "0").strip())
    except InvalidOperation:
        raise reader.error(f"fraction {raw!r} is not a number") from None
    if not -100 <= value <= 100:
        raise reader.error(f"fraction {raw}% is outside -100..100")
    return int(value) if value == value.to_integral_value() else float(value)


def _number(reader: _Reader, raw: str, what: str) -> str:
    text = raw.strip()
    try:
        Decimal(text)
    except InvalidOperation:
        raise reader.error(f"{what} {text!r} is not a number") from None
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        raise reader.error(f"{what} {text!r} is not a number")
    return format(Decimal(text).normalize(), "f") if "e" in text.lower() else text


def _answers(question: Element) -> list[Element]:
    return question.findall("answer")


def _choices(reader: _Reader, question: Element, qformat: TextFormat,
             files: dict[str, QuestionFile]) -> list[dict[str, Any]]:  # fmt: skip
    choices = []
    for index, node in enumerate(_answers(question)):
        text = _in(reader, node, files, "html", "plain") if node.find("text") is not None else ""
        if not text:
            raise reader.error(f"answer {index + 1} is empty")
        choices.append(
            {
                "id": choice_id(index),
                "text": text,
                "weight": _fraction(reader, node.get("fraction")),
                "feedback": _in(reader, node.find("feedback"), files, qformat, qformat),
            }
        )
    return choices


def _shortanswer(reader: _Reader, question: Element, qformat: TextFormat,
                 files: dict[str, QuestionFile]) -> dict[str, Any]:  # fmt: skip
    answers = []
    for node in _answers(question):
        text = _text(node)
        if not text:
            continue
        kind = (
            {"regex": wildcard_regex(text)} if re.search(r"(?<!\\)\*", text)
            else {"text": text.replace("\\*", "*")}
        )  # fmt: skip
        answers.append(
            {
                **kind,
                "weight": _fraction(reader, node.get("fraction")),
                "feedback": _in(reader, node.find("feedback"), files, qformat, qformat),
            }
        )
    return {
        "answers": answers,
        "case_sensitive": _text(question, "usecase") not in {"", "0", "false"},
        "yo_equals_e": True,
        "first_match": True,
    }


def _numerical(reader: _Reader, question: Element, qformat: TextFormat,
               files: dict[str, QuestionFile]) -> dict[str, Any]:  # fmt: skip
    answers = []
    for node in _answers(question):
        value = _text(node)
        weight = _fraction(reader, node.get("fraction"))
        feedback = _in(reader, node.find("feedback"), files, qformat, qformat)
        if value == "*":
            answers.append({"kind": "any", "weight": weight, "feedback": feedback})
            continue
        value = _number(reader, value, "answer")
        tolerance = _text(node, "tolerance") or "0"
        tolerance = _number(reader, tolerance, "tolerance")
        if Decimal(tolerance) < 0:
            raise reader.error(f"tolerance {tolerance} is negative")
        item: dict[str, Any] = (
            {"kind": "exact", "value": value} if Decimal(tolerance) == 0
            else {"kind": "tolerance", "value": value, "tolerance": tolerance}
        )  # fmt: skip
        answers.append(item | {"weight": weight, "feedback": feedback})
    if question.find("units/unit") is not None and any(
        _text(u, "unit_name") for u in question.findall("units/unit")
    ):
        raise reader.error("numeric answers with units are not supported")
    return {"answers": answers}


def _matching(reader: _Reader, question: Element, qformat: TextFormat,
              files: dict[str, QuestionFile]) -> dict[str, Any]:  # fmt: skip
    pairs: list[dict[str, str]] = []
    distractors: list[str] = []
    for node in question.findall("subquestion"):
        prompt = _in(reader, node, files, "html", "plain")
        matched = _text(node.find("answer"))
        if not matched:
            continue
        if prompt:
            pairs.append({"id": choice_id(len(pairs)), "prompt": prompt, "answer": matched})
        else:
            distractors.append(matched)
    return {"pairs": pairs, "distractors": distractors}


def _truefalse(reader: _Reader, question: Element, qformat: TextFormat,
               files: dict[str, QuestionFile]) -> dict[str, Any]:  # fmt: skip
    spec: dict[str, Any] = {"feedback_true": "", "feedback_false": ""}
    answer: bool | None = None
    for node in _answers(question):
        value = _text(node).lower()
        if value not in {"true", "false"}:
            raise reader.error(f"a true/false answer is {value!r}, not 'true' or 'false'")
        feedback = _in(reader, node.find("feedback"), files, qformat, qformat)
        spec[f"feedback_{value}"] = feedback
        if _fraction(reader, node.get("fraction")) == 100:
            answer = value == "true"
    if answer is None:
        raise reader.error("no true/false answer is worth 100%")
    return {"answer": answer, **spec}


def _ordering(reader: _Reader, question: Element, qformat: TextFormat,
              files: dict[str, QuestionFile]) -> dict[str, Any]:  # fmt: skip
    items = [
        {"id": choice_id(i), "text": _in(reader, node, files, "html", "plain")}
        for i, node in enumerate(_answers(question))
    ]
    grading_type = _text(question, "gradingtype").upper()
    return {"items": items, "scoring": "positions" if "ABSOLUTE" in grading_type else "pairs"}


def _int(reader: _Reader, raw: str, what: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise reader.error(f"{what} {raw!r} is not a whole number")
    return int(raw)


def _essay(reader: _Reader, question: Element, qformat: TextFormat,
           files: dict[str, QuestionFile]) -> dict[str, Any]:  # fmt: skip
    low = _int(reader, _text(question, "minwordlimit"), "minwordlimit") or 0
    high = _int(reader, _text(question, "maxwordlimit"), "maxwordlimit") or None
    info = question.find("graderinfo")
    return {
        "min_words": low,
        "max_words": high,
        "grader_info": _in(reader, info, files, "html", "markdown") if info is not None else "",
    }


def _multichoice(reader: _Reader, question: Element, qformat: TextFormat,
                 files: dict[str, QuestionFile]) -> tuple[str, dict[str, Any]]:  # fmt: skip
    choices = _choices(reader, question, qformat, files)
    if _text(question, "single") in {"true", "1"}:
        return "single_choice", {"choices": choices}
    return "multiple_choice", {"choices": choices, "scoring": "partial"}


def _multichoiceset(reader: _Reader, question: Element, qformat: TextFormat,
                    files: dict[str, QuestionFile]) -> dict[str, Any]:  # fmt: skip
    choices = _choices(reader, question, qformat, files)
    positive = [c for c in choices if c["weight"] > 0]
    if positive:  # all or nothing: the weights only say which are right
        share = Decimal(100) / len(positive)
        for choice in choices:
            weight = share if choice["weight"] > 0 else Decimal(0)
            choice["weight"] = int(weight) if weight == int(weight) else float(round(weight, 5))
    return {"choices": choices, "scoring": "all_or_nothing"}


def _category_of(question: Element) -> str:
    return _text(question.find("category"))


def _read_question(reader: _Reader, question: Element, category: str) -> GiftQuestion:
    kind = question.get("type", "")
    reader.name = _text(question.find("name")) or f"#{reader.number}"
    files: dict[str, QuestionFile] = {}
    text_element = question.find("questiontext")
    qformat = _format(text_element, "html")
    text = _text(text_element)
    _files(reader, text_element, files)
    general = _in(reader, question.find("generalfeedback"), files, qformat, qformat)
    type_: str
    spec: dict[str, Any]
    if kind == "multichoice":
        type_, spec = _multichoice(reader, question, qformat, files)
    elif kind == "multichoiceset":
        type_, spec = "multiple_choice", _multichoiceset(reader, question, qformat, files)
    elif kind == "truefalse":
        type_, spec = "true_false", _truefalse(reader, question, qformat, files)
    elif kind == "shortanswer":
        type_, spec = "short_text", _shortanswer(reader, question, qformat, files)
    elif kind == "numerical":
        type_, spec = "numeric", _numerical(reader, question, qformat, files)
    elif kind == "matching":
        type_, spec = "matching", _matching(reader, question, qformat, files)
    elif kind == "essay":
        type_, spec = "essay", _essay(reader, question, qformat, files)
    elif kind == "ordering":
        type_, spec = "ordering", _ordering(reader, question, qformat, files)
    elif kind == "description":
        type_, spec = "description", {}
    elif kind == "cloze":
        text, spec = _cloze(reader, text, qformat)
        type_ = "fill_blanks"
    elif kind == "coderunner":
        raise reader.error("a CodeRunner question is an exercise, not a quiz question")
    else:
        raise reader.error(f"question type {kind!r} is not supported")
    if not text:
        raise reader.error("empty question text")
    missing = [n for n in re.findall(re.escape(PLUGINFILE) + r"([^\"'<>\s?#]+)", text)
               if n not in files]  # fmt: skip
    if missing:
        raise reader.error(f"the text refers to a file not in the question: {missing[0]!r}")
    try:
        points = Decimal(_text(question, "defaultgrade") or "1").quantize(Decimal("0.01"))
    except InvalidOperation:
        raise reader.error("defaultgrade is not a number") from None
    if type_ == "description" or points < 0:
        points = Decimal(0)
    tags = tuple(t for node in question.findall("tags/tag") if (t := _text(node)))
    return GiftQuestion(
        type=type_,  # type: ignore[arg-type]  # (one of QuestionType, by the branches above)
        title=_text(question.find("name")),
        text=text,
        text_format=qformat,
        spec=spec,
        general_feedback=general,
        category=category,
        line=reader.number,
        points=points,
        tags=tags,
        idnumber=_text(question, "idnumber"),
        files=tuple(files.values()),
    )


# --- cloze (Moodle's "embedded answers"): our fill in the blanks -------------------------------
#
# A gap is written in the text as {weight:TYPE:answers}: "=" or "%50%" before an answer, "~"
# between answers, "#" before an answer's feedback, each of "}#~/\"\\" escaped with "\\". Our
# gaps are worth equal shares, so every gap is written with weight 1 and a file whose gaps
# weigh differently is skipped. The text around the gaps is shown as plain text: an HTML
# question's is converted both ways (entities, <br> for a line break), nothing else changes.

_CLOZE: Final = re.compile(
    r"\{(\d*):(SHORTANSWER_C|SHORTANSWER|SAC|SA|MWC|MW|NUMERICAL|NM|MULTICHOICE_VS|MULTICHOICE_HS"
    r"|MULTICHOICE_V|MULTICHOICE_H|MULTICHOICE_S|MULTICHOICE|MCVS|MCHS|MCV|MCH|MCS|MC"
    r"|MULTIRESPONSE_HS|MULTIRESPONSE_H|MULTIRESPONSE_S|MULTIRESPONSE|MRHS|MRH|MRS|MR):"
    r"((?:\\.|[^\\}])*)\}"
)
_CLOZE_SPECIAL: Final = '}#~/"\\'
_GAP_MARK: Final = re.compile(r"\{\{([^{}]+)\}\}")
_TAG: Final = re.compile(r"<[^>]*>")
_BR: Final = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _cloze_escape(text: str) -> str:
    return "".join("\\" + ch if ch in _CLOZE_SPECIAL else ch for ch in text)


def _cloze_split(body: str, separator: str) -> list[str]:
    """Split at unescaped `separator`s, keeping escapes (for the next split)."""
    parts, current, i = [], [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            current.append(body[i : i + 2])
            i += 2
        elif body[i] == separator:
            parts.append("".join(current))
            current, i = [], i + 1
        else:
            current.append(body[i])
            i += 1
    parts.append("".join(current))
    return parts


def _cloze_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).strip()


def _segment_in(text: str, text_format: TextFormat) -> str:
    if text_format != "html":
        return text
    return html.unescape(_TAG.sub("", _BR.sub("\n", text)))


def _segment_out(text: str, text_format: TextFormat) -> str:
    if text_format != "html":
        return text
    return html.escape(text, quote=False).replace("\n", "<br>")


def _cloze_answers(reader: _Reader, body: str) -> list[dict[str, Any]]:
    answers = []
    for raw in _cloze_split(body, "~"):
        if not raw.strip():
            continue
        text_and_weight, *feedback = _cloze_split(raw, "#")
        text_and_weight = text_and_weight.strip()
        weight: int | float = 0
        if text_and_weight.startswith("="):
            weight, text_and_weight = 100, text_and_weight[1:]
        elif match := re.match(r"%(-?\d+(?:\.\d+)?)%", text_and_weight):
            weight = _fraction(reader, match.group(1))
            text_and_weight = text_and_weight[match.end() :]
        answers.append(
            {
                "text": _cloze_unescape(text_and_weight),
                "weight": weight,
                # (in the question's format, as the question's other feedback)
                "feedback": _cloze_unescape("#".join(feedback)) if feedback else "",
            }
        )
    return answers


def _cloze(reader: _Reader, text: str, qformat: TextFormat) -> tuple[str, dict[str, Any]]:
    """The text with {{n}} for each gap, and the fill_blanks spec."""
    gaps: list[dict[str, Any]] = []
    pieces: list[str] = []
    weights: set[str] = set()
    last = 0
    for match in _CLOZE.finditer(text):
        pieces.append(_segment_in(text[last : match.start()], qformat))
        last = match.end()
        weight, kind, body = match.group(1) or "1", match.group(2), match.group(3)
        weights.add(weight)
        gap_id = str(len(gaps) + 1)
        answers = _cloze_answers(reader, body)
        if kind.startswith(("SHORTANSWER", "SA", "MW")):
            gaps.append(
                {"id": gap_id, "kind": "text",
                 **_short_spec(answers, case_sensitive=kind.endswith("C"))}
            )  # fmt: skip
        elif kind in {"NUMERICAL", "NM"}:
            gaps.append(
                {"id": gap_id, "kind": "numeric", "answers": _cloze_numbers(reader, answers)}
            )
        elif kind.startswith(("MULTICHOICE", "MC")):
            if any(a["feedback"] for a in answers):
                raise reader.error(f"gap {gap_id}: a choice gap has no feedback per choice")
            choices = [{"id": choice_id(i), "text": a["text"], "weight": a["weight"]}
                       for i, a in enumerate(answers)]  # fmt: skip
            gaps.append({"id": gap_id, "kind": "choice", "choices": choices})
        else:
            raise reader.error(
                f"gap {gap_id}: {kind} (several answers in one gap) is not supported"
            )
        pieces.append("{{" + gap_id + "}}")
    pieces.append(_segment_in(text[last:], qformat))
    if not gaps:
        raise reader.error("a cloze question without gaps")
    if len(weights) > 1:
        raise reader.error("gaps of different weights (ours are worth equal shares)")
    spec_text = "".join(pieces)
    return spec_text, {"text": spec_text, "gaps": gaps}


def _short_spec(answers: list[dict[str, Any]], *, case_sensitive: bool) -> dict[str, Any]:
    out = []
    for answer in answers:
        text = answer["text"]
        kind = (
            {"regex": wildcard_regex(text)} if re.search(r"(?<!\\)\*", text)
            else {"text": text.replace("\\*", "*")}
        )  # fmt: skip
        out.append({**kind, "weight": answer["weight"], "feedback": answer["feedback"]})
    return {
        "answers": out, "case_sensitive": case_sensitive, "yo_equals_e": True, "first_match": True,
    }  # fmt: skip


def _cloze_numbers(reader: _Reader, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for answer in answers:
        text, weight, feedback = answer["text"], answer["weight"], answer["feedback"]
        if text == "*":
            out.append({"kind": "any", "weight": weight, "feedback": feedback})
            continue
        value, _, tolerance = text.partition(":")
        value = _number(reader, value, "answer")
        tolerance = _number(reader, tolerance or "0", "tolerance")
        item: dict[str, Any] = (
            {"kind": "exact", "value": value} if Decimal(tolerance) == 0
            else {"kind": "tolerance", "value": value, "tolerance": tolerance}
        )  # fmt: skip
        out.append(item | {"weight": weight, "feedback": feedback})
    return out


def _cloze_gap(question: GiftQuestion, gap: dict[str, Any]) -> str:
    def answer(weight: Any, text: str, feedback: str) -> str:
        head = "=" if Decimal(str(weight)) == 100 else f"%{_weight(weight)}%"
        tail = f"#{_cloze_escape(feedback)}" if feedback else ""
        return head + _cloze_escape(text) + tail

    kind = gap["kind"]
    if kind == "choice":
        body = "~".join(answer(c["weight"], c["text"], "") for c in gap["choices"])
        return "{1:MULTICHOICE:" + body + "}"
    if kind == "text":
        if not gap.get("yo_equals_e", True):
            raise _render_error(question, "Moodle's short answers treat ё and е as two letters")
        parts = []
        for item in answers_for_first_match(gap):
            if "text" in item:
                text = item["text"].replace("*", "\\*")
            elif (wildcard := wildcard_of(item["regex"])) is not None:
                text = wildcard
            else:
                raise _render_error(question, "Moodle's short answers have no regular expressions")
            parts.append(answer(item["weight"], text, item.get("feedback", "")))
        name = "SHORTANSWER_C" if gap.get("case_sensitive") else "SHORTANSWER"
        return "{1:" + name + ":" + "~".join(parts) + "}"
    parts = []
    for item in gap["answers"]:
        if item["kind"] == "any":
            value = "*"
        elif item["kind"] == "exact":
            value = f"{item['value']}:0"
        elif item["kind"] == "tolerance":
            value = f"{item['value']}:{item['tolerance']}"
        else:
            low, high = Decimal(str(item["min"])), Decimal(str(item["max"]))
            value = f"{format((low + high) / 2, 'f')}:{format((high - low) / 2, 'f')}"
        parts.append(answer(item["weight"], value, item.get("feedback", "")))
    return "{1:NUMERICAL:" + "~".join(parts) + "}"


def _cloze_text(question: GiftQuestion) -> str:
    spec = question.spec
    gaps = {gap["id"]: gap for gap in spec["gaps"]}
    out, last = [], 0
    for match in _GAP_MARK.finditer(spec["text"]):
        if match.group(1) not in gaps:
            continue
        segment = spec["text"][last : match.start()]
        out.append(_segment_out(segment, question.text_format))
        out.append(_cloze_gap(question, gaps[match.group(1)]))
        last = match.end()
    out.append(_segment_out(spec["text"][last:], question.text_format))
    text = "".join(out)
    if len(_CLOZE.findall(text)) != len(gaps):
        raise _render_error(question, "the text around the gaps reads as a gap in Moodle's syntax")
    return text


def parse_moodle_xml(
    data: bytes | str,
    *,
    source: str = "<xml>",
    problems: list[GiftError] | None = None,
    coderunner: list[CodeRunnerQuestion] | None = None,
) -> list[GiftQuestion]:
    """Questions of a Moodle XML file, in order; `line` is each one's number in the file.

    A question that cannot be read raises, or with `problems` is added there and left out.
    A file that is not Moodle XML at all always raises MoodleXmlError. CodeRunner questions
    go into `coderunner` (quizzes.coderunner), or are problems without it."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_XML_BYTES:
        raise MoodleXmlError(f"the file is over {MAX_XML_BYTES // 2**20} MB", 0, "", source=source)
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        raise MoodleXmlError(f"not readable XML: {error}", 0, "", source=source) from None
    if root.tag != "quiz":
        raise MoodleXmlError("not Moodle XML: the root is not <quiz>", 0, "", source=source)
    questions: list[GiftQuestion] = []
    category = ""
    for number, element in enumerate(root.findall("question"), start=1):
        if element.get("type") == "category":
            category = _category_of(element)
            continue
        reader = _Reader(source, number)
        if element.get("type") == "coderunner" and coderunner is not None:
            reader.name = _text(element.find("name")) or f"#{number}"
            try:
                coderunner.append(coderunner_read(element, number))
            except CodeRunnerError as error:
                if problems is None:
                    raise reader.error(str(error)) from None
                problems.append(reader.error(str(error)))
            continue
        try:
            question = _read_question(reader, element, category)
        except MoodleXmlError as error:
            if problems is None:
                raise
            problems.append(error)
            continue
        questions.append(question)
    return questions


# --- writing ---------------------------------------------------------------------------------


def _text_element(parent: Element, tag: str, text: str, text_format: TextFormat | None,
                  files: Sequence[QuestionFile] = ()) -> Element:  # fmt: skip
    element = SubElement(parent, tag)
    if text_format is not None:
        element.set("format", FORMAT_OF[text_format])
    SubElement(element, "text").text = text
    for file in files:
        if PLUGINFILE + file.name in text:
            node = SubElement(element, "file", name=file.name, path="/", encoding="base64")
            node.text = base64.b64encode(file.data).decode()
    return element


class MoodleXmlRenderError(GiftError):
    pass


def _render_error(question: GiftQuestion, message: str) -> MoodleXmlRenderError:
    name = question.title or " ".join(question.text.split())[:40]
    return MoodleXmlRenderError(message, question.line, name, source="<render>")


def _weight(value: Any) -> str:
    return format(Decimal(str(value)), "f")


def _feedback(parent: Element, text: str, question: GiftQuestion) -> None:
    _text_element(parent, "feedback", text, question.text_format)


def _answer(parent: Element, fraction: Any, text: str, text_format: TextFormat | None,
            feedback: str, question: GiftQuestion) -> Element:  # fmt: skip
    node = SubElement(parent, "answer", fraction=_weight(fraction))
    if text_format is not None:
        node.set("format", FORMAT_OF[text_format])
    SubElement(node, "text").text = text
    _feedback(node, feedback, question)
    return node


def _short_text(question: GiftQuestion, spec: dict[str, Any], node: Element) -> None:
    if not spec.get("yo_equals_e", True):
        raise _render_error(question, "Moodle's short answers treat ё and е as two letters")
    SubElement(node, "usecase").text = "1" if spec.get("case_sensitive") else "0"
    for item in answers_for_first_match(spec):
        if "text" in item:
            text = item["text"].replace("*", "\\*")
        elif (wildcard := wildcard_of(item["regex"])) is not None:
            text = wildcard
        else:
            raise _render_error(question, "Moodle's short answers have no regular expressions")
        _answer(node, item["weight"], text, None, item.get("feedback", ""), question)


def _numeric(question: GiftQuestion, spec: dict[str, Any], node: Element) -> None:
    for item in spec["answers"]:
        kind = item["kind"]
        if kind == "any":
            value, tolerance = "*", "0"
        elif kind == "exact":
            value, tolerance = str(item["value"]), "0"
        elif kind == "tolerance":
            value, tolerance = str(item["value"]), str(item["tolerance"])
        else:  # a range is its middle ± half its width: the same numbers
            low, high = Decimal(str(item["min"])), Decimal(str(item["max"]))
            value = format((low + high) / 2, "f")
            tolerance = format((high - low) / 2, "f")
        answer = _answer(node, item["weight"], value, None, item.get("feedback", ""), question)
        SubElement(answer, "tolerance").text = tolerance


def _write_question(quiz: Element, question: GiftQuestion) -> None:
    spec = question.spec
    kinds = {
        "single_choice": "multichoice", "multiple_choice": "multichoice",
        "true_false": "truefalse", "short_text": "shortanswer", "numeric": "numerical",
        "matching": "matching", "essay": "essay", "ordering": "ordering",
        "description": "description", "fill_blanks": "cloze",
    }  # fmt: skip
    kind = kinds.get(question.type)
    if question.type == "multiple_choice" and spec.get("scoring") == "all_or_nothing":
        kind = "multichoiceset"  # (the "all or nothing" plugin Moodle sites add)
    if kind is None:
        raise _render_error(question, f"Moodle XML has no {question.type} questions we write")
    node = Element("question", type=kind)
    _text_element(node, "name", question.title or " ".join(question.text.split())[:80], None)
    text = _cloze_text(question) if question.type == "fill_blanks" else question.text
    _text_element(node, "questiontext", text, question.text_format, question.files)
    _text_element(node, "generalfeedback", question.general_feedback, question.text_format)
    SubElement(node, "defaultgrade").text = format(Decimal(question.points), "f")
    SubElement(node, "idnumber").text = question.idnumber
    if question.type in {"single_choice", "multiple_choice"}:
        SubElement(node, "single").text = "true" if question.type == "single_choice" else "false"
        SubElement(node, "shuffleanswers").text = "true"
        for choice in spec["choices"]:
            _answer(node, choice["weight"], choice["text"], "plain", choice.get("feedback", ""),
                    question)  # fmt: skip
    elif question.type == "true_false":
        for value in (True, False):
            name = "true" if value else "false"
            feedback = spec.get(f"feedback_{name}", "")
            _answer(node, 100 if spec["answer"] == value else 0, name, None, feedback, question)
    elif question.type == "short_text":
        _short_text(question, spec, node)
    elif question.type == "numeric":
        _numeric(question, spec, node)
    elif question.type == "matching":
        SubElement(node, "shuffleanswers").text = "true"
        rows = [(p["prompt"], p["answer"]) for p in spec["pairs"]]
        rows += [("", d) for d in spec.get("distractors", [])]
        for prompt, matched in rows:
            sub = _text_element(node, "subquestion", prompt, "plain")
            _text_element(sub, "answer", matched, None)
    elif question.type == "essay":
        SubElement(node, "responseformat").text = "editor"
        SubElement(node, "responserequired").text = "1"
        SubElement(node, "minwordlimit").text = str(spec.get("min_words", 0) or "")
        SubElement(node, "maxwordlimit").text = str(spec.get("max_words") or "")
        _text_element(node, "graderinfo", spec.get("grader_info", ""), "markdown")
    elif question.type == "ordering":
        grading_type = (
            "ABSOLUTE_POSITION" if spec["scoring"] == "positions"
            else "RELATIVE_ALL_PREVIOUS_AND_NEXT"
        )  # fmt: skip
        SubElement(node, "layouttype").text = "VERTICAL"
        SubElement(node, "selecttype").text = "ALL"
        SubElement(node, "gradingtype").text = grading_type
        for index, item in enumerate(spec["items"], start=1):
            _answer(node, index, item["text"], "plain", "", question)
    if question.tags:
        tags = SubElement(node, "tags")
        for tag in question.tags:
            _text_element(tags, "tag", tag, None)
    quiz.append(node)


def render_moodle_xml(questions: Sequence[GiftQuestion]) -> str:
    """Moodle XML of the questions, a category element wherever the category changes.

    Raises MoodleXmlRenderError for a question Moodle XML cannot hold as we wrote it."""
    quiz = Element("quiz")
    category = ""
    for question in questions:
        if question.category != category:
            category = question.category
            node = SubElement(quiz, "question", type="category")
            _text_element(node, "category", category, None)
        _write_question(quiz, question)
    body = tostring(quiz, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
