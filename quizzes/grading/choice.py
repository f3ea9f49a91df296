"""single_choice, multiple_choice and true_false: the learner picks among authored options."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from quizzes.grading.errors import ResponseError, SpecError
from quizzes.grading.fields import JsonObject, response_object, unique_ids
from quizzes.grading.outcome import Outcome, clamp_share

FULL = Fraction(100)
# GIFT and Moodle write thirds as 33.33333: a positive-weight sum this close to 100 is 100.
SUM_TOLERANCE = Fraction(1, 100)


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    weight: Fraction
    feedback: str = ""


def parse_choices(obj: JsonObject, key: str = "choices") -> tuple[Choice, ...]:
    """At least 2 choices with unique ids; each weight a percentage in [-100, 100]."""
    items = list(obj.objects(key, min_length=2))
    choices = []
    for item in items:
        item.only("id", "text", "weight", "feedback")
        choices.append(
            Choice(
                id=item.id(),
                text=item.text("text", non_empty=True),
                weight=item.weight(),
                feedback=item.text("feedback", default=""),
            )
        )
    unique_ids(items, [choice.id for choice in choices])
    return tuple(choices)


def require_full_choice(choices: tuple[Choice, ...], path: str) -> None:
    if not any(choice.weight == FULL for choice in choices):
        raise SpecError(f"{path} must have a choice with weight 100")


# single_choice


@dataclass(frozen=True)
class SingleChoiceSpec:
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class SingleChoiceResponse:
    choice: str | None


def parse_single_choice_spec(data: Mapping[str, Any]) -> SingleChoiceSpec:
    obj = JsonObject(data)
    obj.only("choices")
    choices = parse_choices(obj)
    require_full_choice(choices, "choices")
    return SingleChoiceSpec(choices=choices)


def parse_single_choice_response(data: Mapping[str, Any] | None) -> SingleChoiceResponse:
    obj = response_object(data, "choice")
    return SingleChoiceResponse(choice=obj.text("choice") if obj.has("choice") else None)


def check_single_choice_response(spec: SingleChoiceSpec, response: SingleChoiceResponse) -> None:
    if response.choice is not None and response.choice not in {c.id for c in spec.choices}:
        raise ResponseError("choice is not a choice of this question")


def pick_share(choices: tuple[Choice, ...], picked_id: str | None) -> tuple[Fraction, str]:
    """The share and feedback of one picked choice; shared with fill_blanks choice gaps."""
    for choice in choices:
        if choice.id == picked_id:
            return clamp_share(choice.weight / FULL), choice.feedback
    return Fraction(0), ""


def grade_single_choice(spec: SingleChoiceSpec, response: SingleChoiceResponse) -> Outcome:
    share, feedback = pick_share(spec.choices, response.choice)
    details = {} if response.choice is None else {"picked": {response.choice: share > 0}}
    return Outcome(share=share, feedback=(feedback,), details=details)


# multiple_choice


@dataclass(frozen=True)
class MultipleChoiceSpec:
    choices: tuple[Choice, ...]
    scoring: Literal["all_or_nothing", "partial"]


@dataclass(frozen=True)
class MultipleChoiceResponse:
    choices: tuple[str, ...]


def parse_multiple_choice_spec(data: Mapping[str, Any]) -> MultipleChoiceSpec:
    obj = JsonObject(data)
    obj.only("choices", "scoring")
    choices = parse_choices(obj)
    positive = sum((c.weight for c in choices if c.weight > 0), Fraction(0))
    if abs(positive - FULL) > SUM_TOLERANCE:
        raise SpecError(
            f"choices: the positive weights must sum to 100, they sum to {float(positive):g}"
        )
    scoring = obj.text("scoring")
    if scoring == "all_or_nothing":
        return MultipleChoiceSpec(choices=choices, scoring="all_or_nothing")
    if scoring == "partial":
        return MultipleChoiceSpec(choices=choices, scoring="partial")
    raise SpecError("scoring must be 'all_or_nothing' or 'partial'")


def parse_multiple_choice_response(data: Mapping[str, Any] | None) -> MultipleChoiceResponse:
    obj = response_object(data, "choices")
    picked = obj.array("choices", default_empty=True)
    for index, item in enumerate(picked):
        if not isinstance(item, str):
            raise ResponseError(f"choices[{index}] must be a string")
    return MultipleChoiceResponse(choices=tuple(picked))


def check_multiple_choice_response(
    spec: MultipleChoiceSpec, response: MultipleChoiceResponse
) -> None:
    known = {c.id for c in spec.choices}
    seen: set[str] = set()
    for index, choice_id in enumerate(response.choices):
        if choice_id not in known:
            raise ResponseError(f"choices[{index}] is not a choice of this question")
        if choice_id in seen:
            raise ResponseError(f"choices[{index}] is picked more than once")
        seen.add(choice_id)


def grade_multiple_choice(spec: MultipleChoiceSpec, response: MultipleChoiceResponse) -> Outcome:
    # A set: picking twice or listing in another order changes nothing; unknown ids add nothing.
    picked_ids = set(response.choices)
    picked = [c for c in spec.choices if c.id in picked_ids]
    if spec.scoring == "all_or_nothing":
        right = {c.id for c in spec.choices if c.weight > 0}
        share = Fraction(1) if picked_ids == right else Fraction(0)
    else:
        # Divided by the actual positive sum (not 100) so that 3 × 33.33333 makes exactly 1.
        positive = sum((c.weight for c in spec.choices if c.weight > 0), Fraction(0))
        share = clamp_share(sum((c.weight for c in picked), Fraction(0)) / positive)
    return Outcome(
        share=share,
        feedback=tuple(c.feedback for c in picked),
        details={"picked": {c.id: c.weight > 0 for c in picked}},
    )


# true_false


@dataclass(frozen=True)
class TrueFalseSpec:
    answer: bool
    feedback_true: str = ""
    feedback_false: str = ""


@dataclass(frozen=True)
class TrueFalseResponse:
    value: bool | None


def parse_true_false_spec(data: Mapping[str, Any]) -> TrueFalseSpec:
    obj = JsonObject(data)
    obj.only("answer", "feedback_true", "feedback_false")
    return TrueFalseSpec(
        answer=obj.flag("answer"),
        feedback_true=obj.text("feedback_true", default=""),
        feedback_false=obj.text("feedback_false", default=""),
    )


def parse_true_false_response(data: Mapping[str, Any] | None) -> TrueFalseResponse:
    obj = response_object(data, "value")
    return TrueFalseResponse(value=obj.flag("value") if obj.has("value") else None)


def check_true_false_response(spec: TrueFalseSpec, response: TrueFalseResponse) -> None:
    """Any boolean or no answer is a well-formed true/false response."""


def grade_true_false(spec: TrueFalseSpec, response: TrueFalseResponse) -> Outcome:
    if response.value is None:
        return Outcome(share=Fraction(0))
    right = response.value == spec.answer
    return Outcome(
        share=Fraction(1) if right else Fraction(0),
        feedback=(spec.feedback_true if response.value else spec.feedback_false,),
        details={"right": right},
    )
