"""matching: each prompt gets one answer from the pooled answers and distractors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from quizzes.grading.errors import ResponseError
from quizzes.grading.fields import JsonObject, check_text_size, response_object, unique_ids
from quizzes.grading.outcome import Outcome
from quizzes.grading.text import normalise


def answer_key(text: str) -> str:
    """How two answer texts compare: short_text normalisation, case-insensitive.

    No ё→е folding: the learner picks from the offered texts, and "все" and "всё" may
    both be offered on purpose.
    """
    return normalise(text, case_sensitive=False, yo_equals_e=False)


@dataclass(frozen=True)
class MatchPair:
    id: str
    prompt: str
    answer: str


@dataclass(frozen=True)
class MatchingSpec:
    pairs: tuple[MatchPair, ...]
    distractors: tuple[str, ...] = ()

    def offered(self) -> set[str]:
        """The normalised answer texts a learner can choose from."""
        return {answer_key(pair.answer) for pair in self.pairs} | {
            answer_key(text) for text in self.distractors
        }


@dataclass(frozen=True)
class MatchingResponse:
    matches: Mapping[str, str]


def parse_matching_spec(data: Mapping[str, Any]) -> MatchingSpec:
    obj = JsonObject(data)
    obj.only("pairs", "distractors")
    objects = list(obj.objects("pairs", min_length=1))
    pairs = []
    for item in objects:
        item.only("id", "prompt", "answer")
        pairs.append(
            MatchPair(
                id=item.id(),
                prompt=item.text("prompt", non_empty=True),
                answer=item.text("answer", non_empty=True),
            )
        )
    unique_ids(objects, [pair.id for pair in pairs])
    answers = {answer_key(pair.answer) for pair in pairs}
    distractors: list[str] = []
    for index, text in enumerate(obj.array("distractors", default_empty=True)):
        path = f"distractors[{index}]"
        if not isinstance(text, str) or not text.strip():
            raise obj.error(f"{path} must be a non-empty string")
        if answer_key(text) in answers:
            raise obj.error(f"{path} is also the answer of a pair")
        if answer_key(text) in {answer_key(d) for d in distractors}:
            raise obj.error(f"{path} repeats an earlier distractor")
        distractors.append(text)
    return MatchingSpec(pairs=tuple(pairs), distractors=tuple(distractors))


def parse_matching_response(data: Mapping[str, Any] | None) -> MatchingResponse:
    obj = response_object(data, "matches")
    matches = obj.object("matches") if obj.has("matches") else None
    if matches is None:
        return MatchingResponse(matches=MappingProxyType({}))
    for key, value in matches.data.items():
        if not isinstance(value, str):
            raise ResponseError(f"matches.{key} must be a string")
    return MatchingResponse(matches=MappingProxyType(dict(matches.data)))


def check_matching_response(spec: MatchingSpec, response: MatchingResponse) -> None:
    ids = {pair.id for pair in spec.pairs}
    offered = spec.offered()
    for key, value in response.matches.items():
        if key not in ids:
            raise ResponseError(f"matches.{key} is not a pair of this question")
        check_text_size(value, f"matches.{key}")
        if value.strip() and answer_key(value) not in offered:
            raise ResponseError(f"matches.{key} is not one of the offered answers")


def grade_matching(spec: MatchingSpec, response: MatchingResponse) -> Outcome:
    right = {
        pair.id: answer_key(response.matches.get(pair.id, "")) == answer_key(pair.answer)
        for pair in spec.pairs
    }
    return Outcome(share=Fraction(sum(right.values()), len(spec.pairs)), details={"pairs": right})
