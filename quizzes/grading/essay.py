"""essay: free text graded by the instructor; the core only counts words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from quizzes.grading.fields import JsonObject
from quizzes.grading.outcome import Outcome
from quizzes.grading.text import TextResponse


@dataclass(frozen=True)
class EssaySpec:
    min_words: int = 0
    max_words: int | None = None
    grader_info: str = ""


def parse_essay_spec(data: Mapping[str, Any]) -> EssaySpec:
    obj = JsonObject(data)
    obj.only("min_words", "max_words", "grader_info")
    min_words = obj.integer("min_words", default=0)
    max_words = obj.optional_int("max_words", minimum=1)
    if max_words is not None and max_words < min_words:
        raise obj.fail("max_words", "must not be less than min_words")
    return EssaySpec(
        min_words=min_words, max_words=max_words, grader_info=obj.text("grader_info", default="")
    )


def grade_essay(spec: EssaySpec, response: TextResponse) -> Outcome:
    """No share until the instructor grades; the word count helps the page and the grader."""
    words = len(response.text.split())
    within = words >= spec.min_words and (spec.max_words is None or words <= spec.max_words)
    return Outcome(
        share=Fraction(0),
        needs_manual=True,
        details={"word_count": words, "within_word_limits": within},
    )
