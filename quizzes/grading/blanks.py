"""fill_blanks: a text with {{id}} gaps, each graded as short_text, numeric or single_choice."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from quizzes.grading.choice import Choice, parse_choices, pick_share, require_full_choice
from quizzes.grading.errors import ResponseError, SpecError
from quizzes.grading.fields import JsonObject, check_text_size, response_object, unique_ids
from quizzes.grading.numeric import NumericAnswer, best_numeric, parse_numeric_answers
from quizzes.grading.outcome import Outcome
from quizzes.grading.text import TextMatching, parse_text_matching

PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")


@dataclass(frozen=True)
class TextGap:
    id: str
    matching: TextMatching


@dataclass(frozen=True)
class NumericGap:
    id: str
    answers: tuple[NumericAnswer, ...]


@dataclass(frozen=True)
class ChoiceGap:
    id: str
    choices: tuple[Choice, ...]


Gap = TextGap | NumericGap | ChoiceGap


@dataclass(frozen=True)
class FillBlanksSpec:
    text: str
    gaps: tuple[Gap, ...]


@dataclass(frozen=True)
class FillBlanksResponse:
    gaps: Mapping[str, str]


def parse_gap(item: JsonObject) -> Gap:
    kind = item.text("kind")
    gap_id = item.id()
    if kind == "text":
        item.only("id", "kind", "answers", "case_sensitive", "yo_equals_e", "first_match")
        return TextGap(id=gap_id, matching=parse_text_matching(item))
    if kind == "numeric":
        item.only("id", "kind", "answers")
        return NumericGap(id=gap_id, answers=parse_numeric_answers(item))
    if kind == "choice":
        item.only("id", "kind", "choices")
        choices = parse_choices(item)
        require_full_choice(choices, item.field_path("choices"))
        return ChoiceGap(id=gap_id, choices=choices)
    raise item.fail("kind", "must be 'text', 'numeric' or 'choice'")


def parse_fill_blanks_spec(data: Mapping[str, Any]) -> FillBlanksSpec:
    obj = JsonObject(data)
    obj.only("text", "gaps")
    text = obj.text("text", non_empty=True)
    objects = list(obj.objects("gaps", min_length=1))
    gaps = tuple(parse_gap(item) for item in objects)
    unique_ids(objects, [gap.id for gap in gaps])
    placeholders = PLACEHOLDER.findall(text)
    ids = [gap.id for gap in gaps]
    for placeholder in placeholders:
        if placeholder not in ids:
            raise SpecError(f"text: the placeholder {{{{{placeholder}}}}} matches no gap id")
        if placeholders.count(placeholder) > 1:
            raise SpecError(f"text: the placeholder {{{{{placeholder}}}}} appears more than once")
    for gap_id in ids:
        if gap_id not in placeholders:
            raise SpecError(f"text has no placeholder {{{{{gap_id}}}}} for gap '{gap_id}'")
    return FillBlanksSpec(text=text, gaps=gaps)


def parse_fill_blanks_response(data: Mapping[str, Any] | None) -> FillBlanksResponse:
    obj = response_object(data, "gaps")
    if not obj.has("gaps"):
        return FillBlanksResponse(gaps=MappingProxyType({}))
    gaps = obj.object("gaps")
    for key, value in gaps.data.items():
        if not isinstance(value, str):
            raise ResponseError(f"gaps.{key} must be a string")
    return FillBlanksResponse(gaps=MappingProxyType(dict(gaps.data)))


def check_fill_blanks_response(spec: FillBlanksSpec, response: FillBlanksResponse) -> None:
    by_id = {gap.id: gap for gap in spec.gaps}
    for key, value in response.gaps.items():
        gap = by_id.get(key)
        if gap is None:
            raise ResponseError(f"gaps.{key} is not a gap of this question")
        check_text_size(value, f"gaps.{key}")
        if isinstance(gap, ChoiceGap) and value and value not in {c.id for c in gap.choices}:
            raise ResponseError(f"gaps.{key} is not a choice of this gap")


def gap_share(gap: Gap, value: str) -> tuple[Fraction, str]:
    if isinstance(gap, TextGap):
        return gap.matching.best(value)
    if isinstance(gap, NumericGap):
        share, feedback, _ = best_numeric(gap.answers, value)
        return share, feedback
    return pick_share(gap.choices, value or None)


def grade_fill_blanks(spec: FillBlanksSpec, response: FillBlanksResponse) -> Outcome:
    shares: list[Fraction] = []
    feedback: list[str] = []
    verdicts: dict[str, str] = {}
    for gap in spec.gaps:
        share, gap_feedback = gap_share(gap, response.gaps.get(gap.id, ""))
        shares.append(share)
        feedback.append(gap_feedback)
        verdicts[gap.id] = "right" if share == 1 else "partial" if share > 0 else "wrong"
    # Each gap an equal share, in Fractions: three gaps of 1/3 sum to exactly 1.
    share = sum(shares, Fraction(0)) / len(spec.gaps)
    return Outcome(share=share, feedback=tuple(feedback), details={"gaps": verdicts})
