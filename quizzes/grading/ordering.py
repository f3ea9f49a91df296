"""ordering: the learner puts items in order; credit by positions or by pairs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any, Literal

from quizzes.grading.errors import ResponseError, SpecError
from quizzes.grading.fields import JsonObject, response_object, unique_ids
from quizzes.grading.outcome import Outcome


@dataclass(frozen=True)
class OrderItem:
    id: str
    text: str


@dataclass(frozen=True)
class OrderingSpec:
    items: tuple[OrderItem, ...]  # in the correct order
    scoring: Literal["positions", "pairs"]


@dataclass(frozen=True)
class OrderingResponse:
    order: tuple[str, ...]


def parse_ordering_spec(data: Mapping[str, Any]) -> OrderingSpec:
    obj = JsonObject(data)
    obj.only("items", "scoring")
    objects = list(obj.objects("items", min_length=1))
    items = []
    for item in objects:
        item.only("id", "text")
        items.append(OrderItem(id=item.id(), text=item.text("text", non_empty=True)))
    unique_ids(objects, [item.id for item in items])
    scoring = obj.text("scoring")
    if scoring == "positions":
        return OrderingSpec(items=tuple(items), scoring="positions")
    if scoring == "pairs":
        return OrderingSpec(items=tuple(items), scoring="pairs")
    raise SpecError("scoring must be 'positions' or 'pairs'")


def parse_ordering_response(data: Mapping[str, Any] | None) -> OrderingResponse:
    obj = response_object(data, "order")
    order = obj.array("order", default_empty=True)
    for index, item in enumerate(order):
        if not isinstance(item, str):
            raise ResponseError(f"order[{index}] must be a string")
    return OrderingResponse(order=tuple(order))


def check_ordering_response(spec: OrderingSpec, response: OrderingResponse) -> None:
    """An answer lists every item exactly once; an empty order is no answer."""
    if not response.order:
        return
    known = {item.id for item in spec.items}
    seen: set[str] = set()
    for index, item_id in enumerate(response.order):
        if item_id not in known:
            raise ResponseError(f"order[{index}] is not an item of this question")
        if item_id in seen:
            raise ResponseError(f"order[{index}] lists an item a second time")
        seen.add(item_id)
    if len(seen) != len(known):
        raise ResponseError("order must list every item exactly once")


def grade_ordering(spec: OrderingSpec, response: OrderingResponse) -> Outcome:
    correct = [item.id for item in spec.items]
    if sorted(response.order) != sorted(correct):
        return Outcome(share=Fraction(0))  # not a permutation of the ids
    placed = {item_id: response.order[index] == item_id for index, item_id in enumerate(correct)}
    if spec.scoring == "positions":
        share = Fraction(sum(placed.values()), len(correct))
    else:
        rank = {item_id: index for index, item_id in enumerate(response.order)}
        pairs = list(combinations(correct, 2))  # (earlier, later) in the correct order
        right = sum(rank[earlier] < rank[later] for earlier, later in pairs)
        # A single item has no pairs: it is in order.
        share = Fraction(right, len(pairs)) if pairs else Fraction(1)
    return Outcome(share=share, details={"in_place": placed})
