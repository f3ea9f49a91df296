"""description: text shown between questions (Moodle's "description"); nothing to answer.

It is worth nothing: importers give it 0 points, and any response scores a share of 0
without waiting for an instructor, so scores, item analysis and gradebooks count it as 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from quizzes.grading.fields import JsonObject
from quizzes.grading.outcome import Outcome


@dataclass(frozen=True)
class DescriptionSpec:
    pass


@dataclass(frozen=True)
class NoResponse:
    pass


def parse_description_spec(data: Mapping[str, Any]) -> DescriptionSpec:
    JsonObject(data).only()
    return DescriptionSpec()


def parse_no_response(data: Mapping[str, Any] | None) -> NoResponse:
    # Whatever a client sends is ignored: there is nothing to answer.
    return NoResponse()


def check_no_response(spec: DescriptionSpec, response: NoResponse) -> None:
    return None


def grade_description(spec: DescriptionSpec, response: NoResponse) -> Outcome:
    return Outcome(share=Fraction(0))
