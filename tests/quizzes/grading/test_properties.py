"""Properties every grader keeps, whatever the spec and response (hypothesis)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.grading import (
    QUESTION_TYPES,
    GradeResult,
    ResponseError,
    SpecError,
    grade,
    validate_response,
    validate_spec,
)

# 120 examples per type: a few seconds for the whole folder; no example database in the repo.
PROPERTY = settings(max_examples=120, deadline=None, database=None)
Case = tuple[dict[str, Any], dict[str, Any]]

# Cyrillic texts never collide with ids, JSON keywords or the verdict words in details.
words = st.text(alphabet="абвгдеёжзийклмнАБВЁ", min_size=1, max_size=6)
texts = words | st.tuples(words, words).map(" ".join)
ids = st.text(alphabet="abcxyz0123", min_size=1, max_size=3)
weights = st.integers(min_value=-100, max_value=100)
points = st.decimals(min_value=0, max_value=1000, places=2)
numbers = st.decimals(min_value=-1000, max_value=1000, places=3).map(str)
number_texts = st.one_of(
    numbers, numbers.map(lambda n: n.replace(".", ",")), st.sampled_from(["", "NaN", "1 000", "пи"])
)


def unique_ids(draw: st.DrawFn, min_size: int, max_size: int) -> list[str]:
    return draw(st.lists(ids, min_size=min_size, max_size=max_size, unique=True))


def draw_choices(draw: st.DrawFn, *, full: bool) -> list[dict[str, Any]]:
    choice_ids = unique_ids(draw, 2, 6)
    choices = [
        {
            "id": i,
            "text": draw(texts),
            "weight": draw(weights),
            "feedback": draw(texts | st.just("")),
        }
        for i in choice_ids
    ]
    if full:
        choices[draw(st.integers(0, len(choices) - 1))]["weight"] = 100
    return choices


def draw_text_answers(draw: st.DrawFn) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = [
        {"text": draw(texts), "weight": draw(weights), "feedback": draw(texts | st.just(""))}
        for _ in range(draw(st.integers(1, 3)))
    ]
    if draw(st.booleans()):
        answers.append(
            {"regex": draw(st.sampled_from(["[а-е]+", "ж(и|ё)к?", "а.*"])), "weight": draw(weights)}
        )
    return answers


def draw_numeric_answers(draw: st.DrawFn) -> list[dict[str, Any]]:
    answers: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["exact", "tolerance", "range", "any"]))
        if kind == "any":  # Moodle's "*": any other number
            answers.append({"kind": kind, "weight": draw(weights)})
        elif kind == "exact":
            answers.append({"kind": kind, "value": draw(numbers), "weight": draw(weights)})
        elif kind == "tolerance":
            tolerance = str(abs(Decimal(draw(numbers))))
            answers.append(
                {
                    "kind": kind,
                    "value": draw(numbers),
                    "tolerance": tolerance,
                    "weight": draw(weights),
                }
            )
        else:
            low, high = sorted([Decimal(draw(numbers)), Decimal(draw(numbers))])
            answers.append(
                {"kind": kind, "min": str(low), "max": str(high), "weight": draw(weights)}
            )
    return answers


def text_response(draw: st.DrawFn, answers: list[dict[str, Any]]) -> str:
    known = [a["text"] for a in answers if "text" in a]
    return draw(
        texts | st.sampled_from(known) | st.sampled_from(known).map(str.upper) if known else texts
    )


@st.composite
def single_choice(draw: st.DrawFn) -> Case:
    spec = {"choices": draw_choices(draw, full=True)}
    return spec, {"choice": draw(st.sampled_from([c["id"] for c in spec["choices"]]))}


@st.composite
def multiple_choice(draw: st.DrawFn) -> Case:
    choices = draw_choices(draw, full=False)
    positive = draw(st.integers(1, len(choices)))
    cuts = sorted(
        draw(
            st.lists(st.integers(1, 99), min_size=positive - 1, max_size=positive - 1, unique=True)
        )
    )
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    for choice, share in zip(choices, shares, strict=False):
        choice["weight"] = share
    for choice in choices[positive:]:
        choice["weight"] = -abs(choice["weight"])
    random.Random(draw(st.integers())).shuffle(choices)
    spec = {"choices": choices, "scoring": draw(st.sampled_from(["partial", "all_or_nothing"]))}
    picked = draw(st.lists(st.sampled_from([c["id"] for c in choices]), unique=True))
    return spec, {"choices": picked}


@st.composite
def true_false(draw: st.DrawFn) -> Case:
    spec = {
        "answer": draw(st.booleans()),
        "feedback_true": draw(texts),
        "feedback_false": draw(texts),
    }
    return spec, {"value": draw(st.booleans())}


@st.composite
def short_text(draw: st.DrawFn) -> Case:
    answers = draw_text_answers(draw)
    spec = {
        "answers": answers,
        "case_sensitive": draw(st.booleans()),
        "yo_equals_e": draw(st.booleans()),
    }
    return spec, {"text": text_response(draw, answers)}


@st.composite
def numeric(draw: st.DrawFn) -> Case:
    answers = draw_numeric_answers(draw)
    known = [a["value"] for a in answers if "value" in a]
    text = draw(number_texts | st.sampled_from(known)) if known else draw(number_texts)
    return {"answers": answers}, {"text": text}


@st.composite
def ordering(draw: st.DrawFn) -> Case:
    item_ids = unique_ids(draw, 1, 6)
    spec = {
        "items": [{"id": i, "text": draw(texts)} for i in item_ids],
        "scoring": draw(st.sampled_from(["positions", "pairs"])),
    }
    order = draw(st.permutations(item_ids) | st.lists(st.sampled_from(item_ids), max_size=6))
    return spec, {"order": list(order)}


@st.composite
def matching(draw: st.DrawFn) -> Case:
    pair_ids = unique_ids(draw, 1, 5)
    pairs = [{"id": i, "prompt": draw(texts), "answer": draw(texts)} for i in pair_ids]
    answers = {p["answer"].strip().casefold() for p in pairs}
    extra = draw(st.lists(texts, max_size=3, unique_by=lambda t: " ".join(t.split()).casefold()))
    distractors = [d for d in extra if " ".join(d.split()).casefold() not in answers]
    offered = [p["answer"] for p in pairs] + distractors
    matches = {
        i: draw(st.sampled_from(offered))
        for i in draw(st.lists(st.sampled_from(pair_ids), unique=True))
    }
    return {"pairs": pairs, "distractors": distractors}, {"matches": matches}


@st.composite
def fill_blanks(draw: st.DrawFn) -> Case:
    gap_ids = unique_ids(draw, 1, 4)
    gaps: list[dict[str, Any]] = []
    response: dict[str, str] = {}
    for gap_id in gap_ids:
        kind = draw(st.sampled_from(["text", "numeric", "choice"]))
        if kind == "text":
            answers = draw_text_answers(draw)
            gaps.append(
                {"id": gap_id, "kind": kind, "answers": answers, "yo_equals_e": draw(st.booleans())}
            )
            response[gap_id] = text_response(draw, answers)
        elif kind == "numeric":
            gaps.append({"id": gap_id, "kind": kind, "answers": draw_numeric_answers(draw)})
            response[gap_id] = draw(number_texts)
        else:
            choices = draw_choices(draw, full=True)
            gaps.append({"id": gap_id, "kind": kind, "choices": choices})
            response[gap_id] = draw(st.sampled_from([c["id"] for c in choices]))
    text = " … ".join(f"{{{{{gap_id}}}}}" for gap_id in gap_ids)
    return {"text": text, "gaps": gaps}, {"gaps": response}


@st.composite
def description(draw: st.DrawFn) -> Case:
    # Nothing to answer: whatever a client sends is ignored.
    response: dict[str, Any] = draw(st.sampled_from([{}, {"text": "x"}]))
    return {}, response


@st.composite
def essay(draw: st.DrawFn) -> Case:
    low = draw(st.integers(0, 5))
    spec = {"min_words": low, "max_words": draw(st.none() | st.integers(max(low, 1), 10))}
    # Any text a database can store: NUL and lone surrogates are refused as responses
    # (tested in tests/quizzes/test_pages.py and tests/api/test_flows.py).
    storable = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
    return spec, {"text": draw(st.text(alphabet=storable, max_size=50))}


CASES: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "single_choice": single_choice,
    "multiple_choice": multiple_choice,
    "true_false": true_false,
    "short_text": short_text,
    "numeric": numeric,
    "ordering": ordering,
    "matching": matching,
    "fill_blanks": fill_blanks,
    "essay": essay,
    "description": description,
}


def test_every_type_has_a_strategy() -> None:
    assert set(CASES) == set(QUESTION_TYPES)


def same(a: GradeResult, b: GradeResult) -> bool:
    return (a.score, a.share, a.correct, a.needs_manual) == (
        b.score,
        b.share,
        b.correct,
        b.needs_manual,
    )


def shuffled(items: list[Any], seed: int) -> list[Any]:
    copy = list(items)
    random.Random(seed).shuffle(copy)
    return copy


def display_shuffle(
    question_type: str, spec: dict[str, Any], response: dict[str, Any], seed: int
) -> Case:
    """The same question as a page that shuffled its options would send it: ids unchanged.

    Ordering is left alone: its item list is the key (see the renaming property below).
    """
    if question_type in {"single_choice", "multiple_choice"}:
        spec = {**spec, "choices": shuffled(spec["choices"], seed)}
        if question_type == "multiple_choice":
            response = {"choices": shuffled(response["choices"], seed + 1)}
    elif question_type == "matching":
        spec = {
            "pairs": shuffled(spec["pairs"], seed),
            "distractors": shuffled(spec["distractors"], seed),
        }
        response = {"matches": dict(shuffled(list(response["matches"].items()), seed))}
    elif question_type == "fill_blanks":
        gaps = [
            {**g, "choices": shuffled(g["choices"], seed)} if g["kind"] == "choice" else g
            for g in spec["gaps"]
        ]
        spec = {**spec, "gaps": shuffled(gaps, seed)}
        response = {"gaps": dict(shuffled(list(response["gaps"].items()), seed))}
    return spec, response


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def correct_texts(question_type: str, spec: dict[str, Any]) -> Iterator[str]:
    """Every text that gives away a right answer."""
    if question_type in {"single_choice", "multiple_choice"}:
        yield from (c["text"] for c in spec["choices"] if c["weight"] > 0)
    elif question_type in {"short_text", "numeric"}:
        for answer in spec["answers"]:
            yield from (
                str(answer[k]) for k in ("text", "regex", "value", "min", "max") if k in answer
            )
    elif question_type == "ordering":
        yield from (item["text"] for item in spec["items"])
    elif question_type == "matching":
        yield from (pair["answer"] for pair in spec["pairs"])
    elif question_type == "fill_blanks":
        for gap in spec["gaps"]:
            kind = {"text": "short_text", "numeric": "numeric"}.get(gap["kind"], "single_choice")
            yield from correct_texts(kind, gap)


@pytest.mark.parametrize("question_type", list(CASES))
@PROPERTY
@given(data=st.data(), points=points, seed=st.integers())
def test_grading_properties(
    question_type: str, data: st.DataObject, points: Decimal, seed: int
) -> None:
    spec, response = data.draw(CASES[question_type]())
    validate_spec(question_type, spec)
    try:
        validate_response(question_type, spec, response)
    except ResponseError:
        # The one invalid response the strategies make on purpose: an incomplete order.
        assert question_type == "ordering"
        assert sorted(response["order"]) != sorted(item["id"] for item in spec["items"])
    result = grade(question_type, spec, response, points)

    # Within the points, and consistent with itself.
    assert Decimal(0) <= result.score <= points
    assert 0 <= result.share <= 1
    assert result.correct == (result.share == 1)
    assert result.needs_manual == (question_type == "essay")
    assert all(isinstance(text, str) and text for text in result.feedback)
    json.dumps(result.details)
    # Deterministic, also after a round trip through JSON storage.
    again = grade(
        question_type, json.loads(json.dumps(spec)), json.loads(json.dumps(response)), points
    )
    assert again == result
    # No answer is never worth anything.
    assert grade(question_type, spec, None, points).score == 0
    # Display shuffling changes the order of options (ids unchanged), never the score.
    other_spec, other_response = display_shuffle(question_type, spec, response, seed)
    assert same(result, grade(question_type, other_spec, other_response, points))
    # Details never give away a right answer that the response did not contain.
    details = list(strings_in(dict(result.details)))
    given_texts = list(strings_in(response))
    for key in correct_texts(question_type, spec):
        if not any(key in text for text in given_texts):
            assert not any(key in text for text in details), (key, details)


@PROPERTY
@given(case=ordering(), seed=st.integers())
def test_ordering_depends_on_the_order_not_on_the_ids(case: Case, seed: int) -> None:
    # In an ordering spec the list order is the key, so what a display may change is the ids.
    spec, response = case
    old = [item["id"] for item in spec["items"]]
    rename = dict(zip(old, shuffled([f"n{i}" for i in range(len(old))], seed), strict=True))
    renamed_spec = {**spec, "items": [{**item, "id": rename[item["id"]]} for item in spec["items"]]}
    renamed_response = {"order": [rename[i] for i in response["order"]]}
    assert same(
        grade("ordering", spec, response, Decimal(1)),
        grade("ordering", renamed_spec, renamed_response, Decimal(1)),
    )
    if spec["scoring"] == "pairs" and len(old) > 1:
        assert grade("ordering", spec, {"order": old[::-1]}, Decimal(1)).score == 0


@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"])
def test_text_a_database_cannot_store_is_an_invalid_response(bad: str) -> None:
    with pytest.raises(ResponseError, match="NUL character or a lone surrogate"):
        validate_response("essay", {"min_words": 0, "max_words": None}, {"text": bad})
    with pytest.raises(SpecError, match="NUL character or a lone surrogate"):
        validate_spec("short_text", {"answers": [{"text": bad, "weight": 100}]})
