"""What a learner is shown of a question: its spec without answer keys, in the attempt's order.

Pure functions (no Django). Weights, correct answers, accepted texts, regexes,
numeric answers and per-answer feedback never leave the server through here.
Orders come from a seeded random generator, so a reload shows the same order.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def seeded_order(items: Sequence[T], *, seed: int, salt: str) -> list[T]:
    """`items` shuffled by a generator seeded with the attempt's seed and a salt."""
    rng = random.Random(f"{seed}:{salt}")  # noqa: S311 - display order, not security
    shuffled = list(items)
    rng.shuffle(shuffled)
    return shuffled


def public_spec(
    question_type: str, spec: Mapping[str, Any], *, seed: int, salt: str, shuffle_choices: bool
) -> dict[str, Any]:
    """The learner's view of a question's spec: what to choose from, never what is right."""

    def choices(items: Sequence[Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
        shown = [{"id": c["id"], "text": c["text"]} for c in items]
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
        items = [{"id": i["id"], "text": i["text"]} for i in spec["items"]]
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
    raise ValueError(f"unknown question type {question_type!r}")
