"""What a learner is shown of a question: no keys, opaque ids, responses mapped back."""

from __future__ import annotations

import pytest

from quizzes.grading.fields import MAX_RESPONSE_TEXT_BYTES
from quizzes.presentation import public_spec, response_from_form, response_ids
from tests.quizzes.test_pages import SPECS

KEY = "k" * 64

RESPONSES = {
    "single_choice": {"choice": "b"},
    "multiple_choice": {"choices": ["a", "b"]},
    "ordering": {"order": ["c", "a", "b"]},
    "fill_blanks": {"gaps": {"1": "go", "2": "x"}},
    "matching": {"matches": {"a": "канал"}},
    "true_false": {"value": True},
}


@pytest.mark.parametrize("kind", sorted(RESPONSES))
def test_shown_ids_map_back_to_the_stored_ones(kind: str) -> None:
    spec = SPECS[kind]
    stored = RESPONSES[kind]
    shown = response_ids(kind, spec, stored, id_key=KEY, salt="q7", to_public=True)
    assert response_ids(kind, spec, shown, id_key=KEY, salt="q7", to_public=False) == stored
    if kind in {"single_choice", "multiple_choice", "ordering", "fill_blanks"}:
        assert shown != stored


@pytest.mark.parametrize("kind", ["single_choice", "multiple_choice", "ordering", "fill_blanks"])
def test_the_view_uses_the_same_opaque_ids_as_the_responses(kind: str) -> None:
    spec = SPECS[kind]
    view = public_spec(kind, spec, seed=1, salt="q7", shuffle_choices=True, id_key=KEY)
    if kind == "fill_blanks":
        shown_ids = {c["id"] for c in view["gaps"][1]["choices"]}
        stored = {"gaps": {"2": "x"}}
        mapped = response_ids(kind, spec, stored, id_key=KEY, salt="q7", to_public=True)
        assert mapped["gaps"]["2"] in shown_ids
        return
    listed = view["items"] if kind == "ordering" else view["choices"]
    shown_ids = {entry["id"] for entry in listed}
    stored_ids = {
        entry["id"] for entry in (spec["items"] if kind == "ordering" else spec["choices"])
    }
    assert shown_ids.isdisjoint(stored_ids)
    first = next(iter(stored_ids))
    key = "order" if kind == "ordering" else "choices"
    response = {"choice": first} if kind == "single_choice" else {key: [first]}
    mapped = response_ids(kind, spec, response, id_key=KEY, salt="q7", to_public=True)
    value = mapped["choice"] if kind == "single_choice" else mapped[key][0]
    assert value in shown_ids


def test_other_keys_give_other_ids_and_malformed_responses_pass_through() -> None:
    spec = SPECS["single_choice"]
    one = response_ids(
        "single_choice", spec, {"choice": "b"}, id_key=KEY, salt="q7", to_public=True
    )
    two = response_ids("single_choice", spec, {"choice": "b"}, id_key="other", salt="q7",
                       to_public=True)  # fmt: skip
    assert one != two
    for junk in (None, "b", ["b"], {"choice": 3}, {"choices": "b"}):
        assert (
            response_ids("single_choice", spec, junk, id_key=KEY, salt="q7", to_public=False)
            == junk
        )


def strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [*strings_in(k), *strings_in(v)]]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


# (true_false and ordering read a word or a number from their values and keep no text)
@pytest.mark.parametrize("kind", sorted(set(SPECS) - {"true_false", "ordering"}))
def test_every_value_of_the_form_is_cut_past_the_longest_answer(kind: str) -> None:
    # Regression (issue 14 review): a checkbox's values skipped the function every other form
    # value went through, so what held for the others (cut before any work on the text) did
    # not hold for them. Every value of the form now passes one function.
    view = {"id": 7, "type": kind, **public_spec(kind, SPECS[kind], seed=1, salt="q7",
                                                  shuffle_choices=True, id_key=KEY)}  # fmt: skip
    huge = "1" + "\x00" * 3 * MAX_RESPONSE_TEXT_BYTES

    response = response_from_form(view, lambda name: [huge, huge + "2"])

    texts = strings_in(response)
    assert any(text.startswith("1\x00") for text in texts)  # as typed: escaped once validated
    assert all(len(text) <= MAX_RESPONSE_TEXT_BYTES + 1 for text in texts)
