"""What a learner is shown of a question: no keys, opaque ids, responses mapped back."""

from __future__ import annotations

import pytest

from quizzes.presentation import public_spec, response_ids
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
