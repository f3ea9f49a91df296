"""What a learner is shown of a question: its spec without answer keys, in the attempt's order.

Pure functions (no Django). Weights, correct answers, accepted texts, regexes,
numeric answers and per-answer feedback never leave the server through here.
Orders come from a seeded random generator, so a reload shows the same order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html as html_lib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django.utils.html import escape, format_html, linebreaks, strip_tags
from django.utils.translation import gettext as _

from courses.markdown import clean_html, render_markdown, render_markdown_inline
from quizzes.grading.fields import MAX_RESPONSE_TEXT_BYTES
from quizzes.question_files import text_with_urls

T = TypeVar("T")


def seeded_order(items: Sequence[T], *, seed: int, salt: str) -> list[T]:
    """`items` shuffled by a generator seeded with the attempt's seed and a salt."""
    rng = random.Random(f"{seed}:{salt}")  # noqa: S311 - display order, not security
    shuffled = list(items)
    rng.shuffle(shuffled)
    return shuffled


def opaque_id(real_id: str, *, key: str, salt: str) -> str:
    """What a learner sees instead of a choice's or an item's stored id.

    Stored ids are chosen by authors and importers ("a", "b", … in the order
    written, the right answer often first; an ordering question's items in the
    right order), so showing them would give the answer away. Opaque ids come
    from a keyed hash: stable for one attempt (a reload shows the same), useless
    to anyone without the key.
    """
    digest = hmac.new(key.encode(), f"{salt}:{real_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode().lower()


def _id_map(ids: Sequence[str], *, key: str, salt: str) -> dict[str, str]:
    return {real: opaque_id(real, key=key, salt=salt) for real in ids} if key else {}


def public_spec(
    question_type: str,
    spec: Mapping[str, Any],
    *,
    seed: int,
    salt: str,
    shuffle_choices: bool,
    id_key: str = "",
) -> dict[str, Any]:
    """The learner's view of a question's spec: what to choose from, never what is right.

    With `id_key`, choice and item ids are opaque (see `opaque_id`); responses
    then go through `response_ids(..., to_public=False)` before they are stored.
    """

    def choices(items: Sequence[Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
        ids = _id_map([c["id"] for c in items], key=id_key, salt=key)
        shown = [{"id": ids.get(c["id"], c["id"]), "text": c["text"]} for c in items]
        return seeded_order(shown, seed=seed, salt=key) if shuffle_choices else shown

    if question_type == "single_choice":
        return {"choices": choices(spec["choices"], salt)}
    if question_type == "multiple_choice":
        return {"choices": choices(spec["choices"], salt)}
    if question_type == "true_false":
        return {}
    if question_type in {"short_text", "numeric"}:
        return {}
    if question_type == "ordering":
        # Always shuffled: the order is the answer. Never show the stored (correct) order.
        ids = _id_map([i["id"] for i in spec["items"]], key=id_key, salt=salt)
        items = [{"id": ids.get(i["id"], i["id"]), "text": i["text"]} for i in spec["items"]]
        shuffled = seeded_order(items, seed=seed, salt=salt)
        if len(items) > 1 and shuffled == items:
            shuffled = shuffled[1:] + shuffled[:1]
        return {"items": shuffled}
    if question_type == "matching":
        prompts = [{"id": p["id"], "prompt": p["prompt"]} for p in spec["pairs"]]
        options = sorted({p["answer"] for p in spec["pairs"]} | set(spec.get("distractors", [])))
        return {
            "prompts": seeded_order(prompts, seed=seed, salt=salt + ":p")
            if shuffle_choices
            else prompts,
            "options": seeded_order(options, seed=seed, salt=salt + ":o"),
        }
    if question_type == "fill_blanks":
        gaps = []
        for gap in spec["gaps"]:
            shown: dict[str, Any] = {"id": gap["id"], "kind": gap["kind"]}
            if gap["kind"] == "choice":
                shown["choices"] = choices(gap["choices"], f"{salt}:{gap['id']}")
            gaps.append(shown)
        return {"text": spec["text"], "gaps": gaps}
    if question_type == "essay":
        return {"min_words": spec.get("min_words", 0), "max_words": spec.get("max_words")}
    if question_type == "description":
        return {}
    raise ValueError(f"unknown question type {question_type!r}")


def _form_value(value: str) -> str:
    """A value of the form as the learner typed it, cut just past the longest answer: a longer
    one is refused all the same (the limit is on what was typed), and a 2 MB paste costs no
    more to check than that. A NUL or a control character is left for the service, which
    stores it as a visible escape once the answer is validated (core.storable)."""
    return value[: MAX_RESPONSE_TEXT_BYTES + 1]


def response_from_form(view: Mapping[str, Any], form: Callable[[str], list[str]]) -> Any:
    """One question's response JSON from an HTML form (the quiz page works without JavaScript).

    `form(name)` returns the submitted values of a form field. Field names:
    `q<id>` for the question's own input, `q<id>-<part id>` for ordering items,
    matching prompts and gaps. An untouched question is `None` (no answer). The text is as
    typed: `quizzes.services.attempt_save_answers(..., as_typed=True)` makes it storable.
    """

    def field(name: str) -> list[str]:  # every value of the form, through `_form_value`
        return [_form_value(value) for value in form(name)]

    def first(name: str) -> str:
        values = field(name)
        return values[0] if values else ""

    name = f"q{view['id']}"
    kind = view["type"]
    if kind == "single_choice":
        choice = first(name)
        return {"choice": choice} if choice else None
    if kind == "multiple_choice":
        picked = [value for value in dict.fromkeys(field(name)) if value]
        return {"choices": picked} if picked else None
    if kind == "true_false":
        value = first(name)
        return {"value": value == "true"} if value in {"true", "false"} else None
    if kind in {"short_text", "numeric", "essay"}:
        text = first(name)
        return {"text": text} if text.strip() else None
    if kind == "ordering":
        items = view["items"]
        positions: list[tuple[float, int, str]] = []
        touched = False
        for index, item in enumerate(items):
            raw = first(f"{name}-{item['id']}").strip()
            try:
                position = float(int(raw))
                touched = True
            except ValueError:
                position = float("inf")
            positions.append((position, index, item["id"]))
        # Always a permutation: unnumbered items keep their shown order after the numbered.
        return {"order": [item_id for *_key, item_id in sorted(positions)]} if touched else None
    if kind == "matching":
        matches = {
            prompt["id"]: value
            for prompt in view["prompts"]
            if (value := first(f"{name}-{prompt['id']}"))
        }
        return {"matches": matches} if matches else None
    if kind == "fill_blanks":
        gaps = {
            gap["id"]: value
            for gap in view["gaps"]
            if (value := first(f"{name}-{gap['id']}")).strip()
        }
        return {"gaps": gaps} if gaps else None
    if kind == "description":
        return None  # nothing to answer
    raise ValueError(f"unknown question type {kind!r}")


_GAP = re.compile(r"\{\{([^{}]+)\}\}")
# What stands for a gap while the text is rendered: letters and digits only, which no
# Markdown or HTML rule touches, so the rendered text can be cut at it.
_GAP_TOKEN = "zachetgap{}x"  # noqa: S105 - a placeholder, not a secret
_GAP_TOKEN_RE = re.compile(r"zachetgap(\d+)x")


def blank_segments(
    text: str, gaps: Sequence[Mapping[str, Any]], text_format: str = "plain"
) -> list[tuple[str, Any]]:
    """A fill-in-the-blanks text as ("html", safe HTML) and ("gap", gap view) pieces, in order.

    The whole text is rendered in its format first (Markdown, HTML, plain) with each gap
    as a token, then cut at the tokens: the pieces put back together are the rendered
    text with each gap in its place (a gap inside `code` or **bold** stays inside it)."""
    by_id = {gap["id"]: gap for gap in gaps}
    found: list[Any] = []

    def token(match: re.Match[str]) -> str:
        gap = by_id.get(match.group(1))
        if gap is None:
            return match.group(0)
        found.append(gap)
        return _GAP_TOKEN.format(len(found) - 1)

    rendered = question_text_html(_GAP.sub(token, text), text_format)
    segments: list[tuple[str, Any]] = []
    position = 0
    for match in _GAP_TOKEN_RE.finditer(rendered):
        index = int(match.group(1))
        if index >= len(found):
            continue  # (the author's own text happened to look like a token)
        if match.start() > position:
            segments.append(("html", rendered[position : match.start()]))
        segments.append(("gap", found[index]))
        position = match.end()
    if position < len(rendered):
        segments.append(("html", rendered[position:]))
    return segments


def option_html(text: str, text_format: str) -> str:
    """A choice's, an item's or an option's text as safe inline HTML, in the question's
    format: `singleflight.Group` is code, not backticks."""
    if text_format == "markdown":
        return render_markdown_inline(text)
    if text_format == "html":
        return clean_html(text)
    return str(escape(text))


def spec_with_html(spec: Mapping[str, Any], text_format: str) -> dict[str, Any]:
    """A public spec (public_spec) with each choice's, item's and prompt's text also rendered
    as the pages show it (`text_html`, `prompt_html`; a matching question's `options_html`
    beside its `options`, in the same order): for the API, whose clients get both."""

    def rendered(entries: Any, key: str) -> Any:
        if not isinstance(entries, list):
            return entries
        return [
            {**entry, f"{key}_html": option_html(str(entry.get(key, "")), text_format)}
            if isinstance(entry, dict)
            else entry
            for entry in entries
        ]

    shown = dict(spec)
    for name in ("choices", "items"):
        if name in shown:
            shown[name] = rendered(shown[name], "text")
    if "prompts" in shown:
        shown["prompts"] = rendered(shown["prompts"], "prompt")
    if isinstance(shown.get("options"), list):
        shown["options_html"] = [option_html(str(o), text_format) for o in shown["options"]]
    if isinstance(shown.get("gaps"), list):
        shown["gaps"] = [
            {**gap, "choices": rendered(gap["choices"], "text")}
            if isinstance(gap, dict) and "choices" in gap
            else gap
            for gap in shown["gaps"]
        ]
        if isinstance(shown.get("text"), str):
            shown["text_html"] = blanks_html(shown["text"], shown["gaps"], text_format)
    return shown


def blanks_html(text: str, gaps: Sequence[Mapping[str, Any]], text_format: str) -> str:
    """A fill-in-the-blanks text rendered as the page shows it, each gap in its place as an
    empty `<span class="gap" data-gap="ID"></span>` for a client to put its input in."""
    return "".join(
        piece
        if kind == "html"
        else format_html('<span class="gap" data-gap="{}"></span>', piece["id"])
        for kind, piece in blank_segments(text, gaps, text_format)
    )


def option_text(text: str, text_format: str) -> str:
    """The same as plain text, for where no markup can go (a drop-down's <option>)."""
    if text_format in {"markdown", "html"}:
        return html_lib.unescape(strip_tags(option_html(text, text_format)))
    return text


def question_form_entry(
    *,
    number: int,
    view: Mapping[str, Any],
    text_html: str,
    response: Mapping[str, Any],
    field: str = "",
    disabled: bool = False,
) -> dict[str, Any]:
    """What quizzes/_question.html needs of one question: its view, with the learner's
    response (in the ids they see) spread over the rows and gaps it fills.

    The attempt page and the instructor's preview both show questions through this; so does
    the gradebook's learner page, read-only (`disabled`), with a `field` of its own per
    attempt (a page of several attempts needs ids of its own for each)."""
    entry: dict[str, Any] = {
        "number": number,
        "view": view,
        "field": field or f"q{view['id']}",
        "anchor": f"{field}-question" if field else f"question-{view['id']}",
        "disabled": disabled,
        "text_html": text_html,
        "response": response,
    }
    if view["type"] == "ordering":
        positions = {item_id: i for i, item_id in enumerate(response.get("order", []), 1)}
        entry["rows"] = [{**row, "value": positions.get(row["id"])} for row in view["items"]]
        entry["positions"] = list(range(1, len(view["items"]) + 1))
    elif view["type"] == "matching":
        matches = response.get("matches", {})
        entry["rows"] = [{**row, "value": matches.get(row["id"], "")} for row in view["prompts"]]
    elif view["type"] == "fill_blanks":
        gaps = response.get("gaps", {})
        entry["segments"] = [
            (kind, {**piece, "value": gaps.get(piece["id"], "")} if kind == "gap" else piece)
            for kind, piece in blank_segments(
                view["text"], view["gaps"], view.get("text_format", "plain")
            )
        ]
    return entry


def response_summary(view: Mapping[str, Any], response: Any, text_format: str) -> list[str]:
    """The learner's own answer as safe HTML pieces, for the result page (never the correct
    one): choices and items rendered as the question writes them, true / false in the
    reader's language. A fill-in-the-blanks answer is shown in the text instead
    (`blanks_review`)."""
    if not response:
        return []
    kind = view["type"]

    def shown(text: str) -> str:
        return option_html(text, text_format)

    if kind in {"single_choice", "multiple_choice"}:
        texts = {choice["id"]: choice["text"] for choice in view["choices"]}
        picked = [response["choice"]] if kind == "single_choice" else response["choices"]
        return [shown(texts[choice_id]) if choice_id in texts else "?" for choice_id in picked]
    if kind == "true_false":
        return [str(escape(_("True") if response["value"] else _("False")))]
    if kind in {"short_text", "numeric", "essay"}:
        return [str(escape(response["text"]))]
    if kind == "ordering":
        texts = {item["id"]: item["text"] for item in view["items"]}
        return [shown(texts[item_id]) if item_id in texts else "?" for item_id in response["order"]]
    if kind == "matching":
        prompts = {prompt["id"]: prompt["prompt"] for prompt in view["prompts"]}
        return [
            f"{shown(prompts[k]) if k in prompts else '?'} → {shown(v)}"
            for k, v in response["matches"].items()
        ]
    if kind == "fill_blanks":
        choices = {
            (gap["id"], choice["id"]): choice["text"]
            for gap in view["gaps"]
            for choice in gap.get("choices", [])
        }
        return [
            shown(choices[(gap_id, value)]) if (gap_id, value) in choices else str(escape(value))
            for gap_id, value in response["gaps"].items()
        ]
    if kind == "description":
        return []
    raise ValueError(f"unknown question type {kind!r}")


def blanks_review(
    view: Mapping[str, Any], response: Any, text_format: str
) -> list[tuple[str, str]]:
    """A fill-in-the-blanks question on the result page: its text with the learner's answer
    in each gap, as ("html", text) / ("answer", the answer) / ("empty", "") pieces of safe
    HTML."""
    gaps = (response or {}).get("gaps", {})
    choices = {
        (gap["id"], choice["id"]): choice["text"]
        for gap in view["gaps"]
        for choice in gap.get("choices", [])
    }
    pieces: list[tuple[str, str]] = []
    for kind, piece in blank_segments(view["text"], view["gaps"], text_format):
        if kind == "html":
            pieces.append(("html", piece))
            continue
        value = gaps.get(piece["id"], "")
        if not str(value).strip():
            pieces.append(("empty", ""))
        elif (piece["id"], value) in choices:
            pieces.append(("answer", option_html(choices[(piece["id"], value)], text_format)))
        else:
            pieces.append(("answer", str(escape(value))))
    return pieces


def quiz_title_for_learners(title: str, *, section_number: str, section_title: str) -> str:
    """A quiz's title on the learner's pages, which already show its section: imports name a
    section's quiz after the section ("4.2 Кэширование"), which printed beside the section
    reads "4.2 Кэширование 4.2 Кэширование". The section's number is dropped, and a title
    that is then just the section's says what the quiz is instead."""
    stripped = title.strip()
    if section_number and stripped.startswith(section_number):
        rest = stripped[len(section_number) :]
        if not rest or not rest[0].isalnum():
            stripped = rest.lstrip(" .:—–-")
    if not stripped or stripped.casefold() == section_title.strip().casefold():
        return _("Quiz on «%(section)s»") % {"section": section_title.strip()}
    return stripped


_INTERNAL_ID = re.compile(r"^\s*\d+(?:\.\d+)*[-_.]\d+[a-z]?(?:[.:)]|\s+[-—–:]\s*|\s+)")


def learner_title(title: str) -> str:
    """A question's title as a learner reads it: without the author's internal id that
    imports put first ("4.2-1 Промах кэша" -> "Промах кэша"). A title that is nothing but
    the id is not shown."""
    match = _INTERNAL_ID.match(title)
    if match is None:
        stripped = title.strip()
        return "" if re.fullmatch(r"\d+(?:\.\d+)*[-_.]\d+[a-z]?", stripped) else stripped
    return title[match.end() :].strip()


def response_ids(
    question_type: str,
    spec: Mapping[str, Any],
    response: Any,
    *,
    id_key: str,
    salt: str,
    to_public: bool,
) -> Any:
    """A response with its choice / item ids turned opaque (`to_public`) or back into stored ids.

    Ids that are not in the map (a typo, a stale page) are left as they are, so
    validation refuses them as unknown ids; anything not of the expected shape
    is returned unchanged for validation to refuse.
    """
    if not id_key or not isinstance(response, dict):
        return response

    def mapper(ids: Sequence[str], map_salt: str) -> Callable[[Any], Any]:
        forward = _id_map(ids, key=id_key, salt=map_salt)
        table = forward if to_public else {v: k for k, v in forward.items()}
        return lambda value: table.get(value, value) if isinstance(value, str) else value

    if question_type in {"single_choice", "multiple_choice"}:
        convert = mapper([c["id"] for c in spec["choices"]], salt)
        if question_type == "single_choice" and "choice" in response:
            return {**response, "choice": convert(response["choice"])}
        if question_type == "multiple_choice" and isinstance(response.get("choices"), list):
            return {**response, "choices": [convert(c) for c in response["choices"]]}
        return response
    if question_type == "ordering" and isinstance(response.get("order"), list):
        convert = mapper([i["id"] for i in spec["items"]], salt)
        return {**response, "order": [convert(i) for i in response["order"]]}
    if question_type == "fill_blanks" and isinstance(response.get("gaps"), dict):
        gaps = dict(response["gaps"])
        for gap in spec["gaps"]:
            if gap["kind"] == "choice" and gap["id"] in gaps:
                convert = mapper([c["id"] for c in gap["choices"]], f"{salt}:{gap['id']}")
                gaps[gap["id"]] = convert(gaps[gap["id"]])
        return {**response, "gaps": gaps}
    return response


def question_text_html(text: str, text_format: str) -> str:
    """A question's (or feedback's) text as safe HTML, whatever format it was written in."""
    text = text_with_urls(text)  # (images of questions: quizzes.question_files)
    if text_format == "html":  # (Question.TextFormat's values)
        return clean_html(text)
    if text_format in {"plain", "moodle"}:
        return linebreaks(text, autoescape=True)
    return render_markdown(text)
