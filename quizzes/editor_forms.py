"""The question editor's per-type fields: a question's spec read into form fields and written
back, with every refusal naming the field in the instructor's language.

Lists (choices, accepted answers, items, pairs) are rows of plain inputs: a few empty rows
to fill, an "add rows" button, an emptied row is removed; no JavaScript needed. Each row
keeps its stored id in a hidden input, so learners' answers stay attached; a new row gets
the next free id. `grading.validate_spec` runs last, on the spec the fields make.

The teaching pages' editor and the admin's Question form both use `SpecFields`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quizzes import grading
from quizzes.gift import choice_id
from quizzes.grading.fields import MAX_ID_LENGTH
from quizzes.grading.numeric import parse_number
from quizzes.grading.text import check_regex

Widget = Literal["text", "textarea", "number", "select", "hidden", "check"]
# Empty rows shown under the filled ones, and added by each "add rows".
SPARE_ROWS = 2
ADD_ROWS = 3
MAX_ROWS = 200
PREFIX = "spec"


@dataclass(frozen=True)
class Field:
    """One input: a scalar of the spec, or a column of a row group."""

    key: str
    label: str | Promise
    widget: Widget = "text"
    options: tuple[tuple[str, str | Promise], ...] = ()
    hint: str | Promise = ""
    default: str = ""  # what a blank input means (a select's first option otherwise)


@dataclass(frozen=True)
class RowGroup:
    key: str
    title: str | Promise
    row_label: str | Promise  # "Choice" in "Choice 2: weight …"
    columns: tuple[Field, ...]
    min_rows: int = 1
    hint: str | Promise = ""
    movable: bool = False  # each row has "move up" and "move down" buttons


@dataclass(frozen=True)
class TypeLayout:
    scalars: tuple[Field, ...] = ()
    groups: tuple[RowGroup, ...] = ()


ID = Field("id", gettext_lazy("id"), "hidden")
TEXT = Field("text", gettext_lazy("text"))
FEEDBACK = Field("feedback", gettext_lazy("feedback"))
CHOICE_WEIGHT = Field(
    "weight", gettext_lazy("weight"), "number", hint=gettext_lazy("100 is correct"), default="0"
)
ANSWER_WEIGHT = Field("weight", gettext_lazy("weight"), "number", default="100")
CHOICES = RowGroup(
    "choices",
    gettext_lazy("Choices"),
    gettext_lazy("Choice"),
    (ID, TEXT, CHOICE_WEIGHT, FEEDBACK),
    min_rows=2,
    hint=gettext_lazy(
        "Weight in percent, from −100 to 100: 100 for a correct choice, 0 or less for a wrong "
        "one. Empty a row to remove it."
    ),
)


def _answers(
    kinds: tuple[tuple[str, Promise], ...], values: tuple[Field, ...], hint: Promise
) -> RowGroup:
    """The accepted answers of short_text and numeric: a kind, its values, weight, feedback."""
    kind = Field("kind", gettext_lazy("kind"), "select", kinds)
    return RowGroup(
        "answers",
        gettext_lazy("Accepted answers"),
        gettext_lazy("Answer"),
        (kind, *values, ANSWER_WEIGHT, FEEDBACK),
        hint=hint,
    )


TEXT_ANSWERS = _answers(
    (("text", gettext_lazy("text")), ("regex", gettext_lazy("regular expression"))),
    (Field("value", gettext_lazy("answer")),),
    gettext_lazy(
        "A text answer is compared after trimming spaces; a regular expression must match the "
        "whole answer. Weight in percent (empty: 100). Empty a row to remove it."
    ),
)
NUMERIC_ANSWERS = _answers(
    (
        ("exact", gettext_lazy("exact")),
        ("tolerance", gettext_lazy("value ± tolerance")),
        ("range", gettext_lazy("range")),
        ("any", gettext_lazy("any other number")),
    ),
    (
        Field("value", gettext_lazy("value")),
        Field("tolerance", gettext_lazy("tolerance")),
        Field("min", gettext_lazy("minimum")),
        Field("max", gettext_lazy("maximum")),
    ),
    gettext_lazy(
        "Exact: the value. Value ± tolerance: the value and the tolerance. Range: the minimum "
        "and the maximum, both included. Any other number: matches every number (for its "
        "feedback). Numbers like 3.14 or 3,14. Empty a row to remove it."
    ),
)
GAP_TEXT_KINDS = ("text", "regex")
GAP_NUMERIC_KINDS = ("exact", "tolerance", "range")
GAPS = RowGroup(
    "gaps",
    gettext_lazy("Gaps"),
    gettext_lazy("Gap"),
    (
        Field("name", gettext_lazy("id in the text")),
        Field(
            "kind",
            gettext_lazy("kind"),
            "select",
            (
                ("text", gettext_lazy("text")),
                ("numeric", gettext_lazy("number")),
                ("choice", gettext_lazy("choice from a list")),
            ),
        ),
        Field(
            "case_sensitive",
            gettext_lazy("case (text gaps)"),
            "select",
            (("false", gettext_lazy("does not matter")), ("true", gettext_lazy("matters"))),
        ),
        Field(
            "yo_equals_e",
            gettext_lazy("ё and е (text gaps)"),
            "select",
            (("true", gettext_lazy("the same")), ("false", gettext_lazy("different"))),
        ),
        Field(
            "first_match",
            gettext_lazy("graded by (text gaps)"),
            "select",
            (
                ("false", gettext_lazy("the best answer it matches")),
                ("true", gettext_lazy("the first answer it matches, in order (as Moodle)")),
            ),
        ),
    ),
    hint=gettext_lazy("Each gap's answers are in the next table. Empty a row to remove it."),
)
GAP_ANSWERS = RowGroup(
    "gap_answers",
    gettext_lazy("Answers of the gaps"),
    gettext_lazy("Answer"),
    (
        Field("gap", gettext_lazy("gap")),
        Field(
            "kind",
            gettext_lazy("kind"),
            "select",
            (
                ("text", gettext_lazy("text")),
                ("regex", gettext_lazy("regular expression")),
                ("exact", gettext_lazy("exact number")),
                ("tolerance", gettext_lazy("number ± tolerance")),
                ("range", gettext_lazy("range of numbers")),
                ("choice", gettext_lazy("choice")),
            ),
        ),
        Field("value", gettext_lazy("answer or value")),
        Field("tolerance", gettext_lazy("tolerance")),
        Field("min", gettext_lazy("minimum")),
        Field("max", gettext_lazy("maximum")),
        ANSWER_WEIGHT,
        FEEDBACK,
        Field("choice_id", gettext_lazy("id"), "hidden"),
    ),
    min_rows=1,
    hint=gettext_lazy(
        "Gap: its id. A text gap takes text and regular-expression answers, a number gap "
        "numbers, a choice gap its choices (weight 100 for the correct one, no feedback). "
        "Weight in percent (empty: 100, for a choice 0)."
    ),
)
SCORING_CHOICES = Field(
    "scoring",
    gettext_lazy("Scoring"),
    "select",
    (
        ("partial", gettext_lazy("partial: the weights of the picked choices")),
        ("all_or_nothing", gettext_lazy("all or nothing: exactly the correct choices")),
    ),
)

LAYOUTS: Mapping[str, TypeLayout] = {
    "single_choice": TypeLayout(groups=(CHOICES,)),
    "multiple_choice": TypeLayout(scalars=(SCORING_CHOICES,), groups=(CHOICES,)),
    "true_false": TypeLayout(
        scalars=(
            Field(
                "answer",
                gettext_lazy("Correct answer"),
                "select",
                (("true", gettext_lazy("True")), ("false", gettext_lazy("False"))),
            ),
            Field("feedback_true", gettext_lazy("Feedback for “true”"), "textarea"),
            Field("feedback_false", gettext_lazy("Feedback for “false”"), "textarea"),
        )
    ),
    "short_text": TypeLayout(
        scalars=(
            Field("case_sensitive", gettext_lazy("Case matters"), "check"),
            Field("yo_equals_e", gettext_lazy("ё and е are the same letter"), "check"),
            Field(
                "first_match",
                gettext_lazy(
                    "Graded by the first answer it matches, in the listed order (as Moodle), "
                    "not by the best one"
                ),
                "check",
            ),
        ),
        groups=(TEXT_ANSWERS,),
    ),
    "numeric": TypeLayout(groups=(NUMERIC_ANSWERS,)),
    "ordering": TypeLayout(
        scalars=(
            Field(
                "scoring",
                gettext_lazy("Scoring"),
                "select",
                (
                    ("positions", gettext_lazy("positions: each item in its place")),
                    ("pairs", gettext_lazy("pairs: each pair of items in the right order")),
                ),
            ),
        ),
        groups=(
            RowGroup(
                "items",
                gettext_lazy("Items, in the correct order"),
                gettext_lazy("Item"),
                (ID, TEXT),
                hint=gettext_lazy(
                    "Learners see them shuffled. Empty a row to remove it; move an item with "
                    "its up and down buttons."
                ),
                movable=True,
            ),
        ),
    ),
    "matching": TypeLayout(
        groups=(
            RowGroup(
                "pairs",
                gettext_lazy("Pairs"),
                gettext_lazy("Pair"),
                (
                    ID,
                    Field("prompt", gettext_lazy("prompt")),
                    Field("answer", gettext_lazy("answer")),
                ),
                hint=gettext_lazy("Learners pick each prompt's answer from all the answers."),
            ),
            RowGroup(
                "distractors",
                gettext_lazy("Distractors"),
                gettext_lazy("Distractor"),
                (TEXT,),
                min_rows=0,
                hint=gettext_lazy("Wrong answers offered with the right ones."),
            ),
        )
    ),
    "fill_blanks": TypeLayout(
        scalars=(
            Field(
                "text",
                gettext_lazy("Text with gaps"),
                "textarea",
                hint=gettext_lazy("Mark each gap as {{id}}, with the id of one of the gaps below."),
            ),
        ),
        groups=(GAPS, GAP_ANSWERS),
    ),
    "essay": TypeLayout(
        scalars=(
            Field("min_words", gettext_lazy("At least this many words"), "number", default="0"),
            Field(
                "max_words",
                gettext_lazy("At most this many words"),
                "number",
                hint=gettext_lazy("Empty: no limit."),
            ),
            Field(
                "grader_info",
                gettext_lazy("Guidance for graders"),
                "textarea",
                hint=gettext_lazy("Shown to whoever grades the answers, never to learners."),
            ),
        )
    ),
    "description": TypeLayout(),
}


def _weight_json(value: Decimal) -> int | float:
    # As GIFT import writes weights: an integer when whole, else a float (33.33333).
    return int(value) if value == value.to_integral_value() else float(value)


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


# spec -> field values ------------------------------------------------------------------


def _rows_of(spec: Mapping[str, Any], question_type: str) -> dict[str, list[dict[str, str]]]:
    if question_type in {"single_choice", "multiple_choice"}:
        return {"choices": [_stringify(c) for c in spec.get("choices", [])]}
    if question_type == "short_text":
        answers = []
        for answer in spec.get("answers", []):
            kind = "regex" if "regex" in answer else "text"
            answers.append(_stringify({**answer, "kind": kind, "value": answer.get(kind, "")}))
        return {"answers": answers}
    if question_type == "numeric":
        return {"answers": [_stringify(a) for a in spec.get("answers", [])]}
    if question_type == "ordering":
        return {"items": [_stringify(i) for i in spec.get("items", [])]}
    if question_type == "fill_blanks":
        return _gap_rows(spec)
    if question_type == "matching":
        return {
            "pairs": [_stringify(p) for p in spec.get("pairs", [])],
            "distractors": [{"text": str(d)} for d in spec.get("distractors", [])],
        }
    return {}


def _gap_rows(spec: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    gaps, answers = [], []
    for gap in spec.get("gaps", []):
        gaps.append(
            _stringify({**gap, "name": gap["id"], "yo_equals_e": gap.get("yo_equals_e", True)})
        )
        for answer in gap.get("answers", []):
            kind = answer.get("kind") or ("regex" if "regex" in answer else "text")
            value = answer.get("value", answer.get(kind, ""))
            answers.append(_stringify({**answer, "gap": gap["id"], "kind": kind, "value": value}))
        for choice in gap.get("choices", []):
            row = {**choice, "gap": gap["id"], "kind": "choice", "value": choice["text"]}
            answers.append(_stringify({**row, "choice_id": choice["id"]}))
    return {"gaps": gaps, "gap_answers": answers}


def _stringify(row: Mapping[str, Any]) -> dict[str, str]:
    return {key: _text_of(value) for key, value in row.items()}


def _scalars_of(spec: Mapping[str, Any], question_type: str) -> dict[str, str]:
    values = {key: _text_of(value) for key, value in spec.items() if not isinstance(value, list)}
    if question_type == "short_text":
        values.setdefault("yo_equals_e", "true")
    return values


# field values -> spec ------------------------------------------------------------------


class Refused(Exception):
    """One field's value was refused; the message names it."""


@dataclass
class Row:
    """One filled row as posted; `number` is its place on the page (1 for the first row)."""

    group: RowGroup
    number: int
    values: dict[str, str]
    form: SpecFields

    def label(self, column: str) -> str:
        named = next(c for c in self.group.columns if c.key == column)
        return _("%(row)s %(number)s: %(field)s") % {
            "row": self.group.row_label,
            "number": self.number,
            "field": named.label,
        }

    def name(self, column: str) -> str:
        return self.form.row_name(self.group.key, self.number - 1, column)

    def refuse(self, column: str, message: str) -> Refused:
        self.form.add_error(self.name(column), message)
        return Refused(message)

    def text(self, column: str, *, required: bool = True) -> str:
        value = self.values.get(column, "").strip()
        if required and not value:
            raise self.refuse(column, _("%(field)s: fill this in.") % {"field": self.label(column)})
        return value

    def weight(self) -> int | float:
        raw = self.values.get("weight", "").strip().replace(",", ".").replace("−", "-")
        column = next(c for c in self.group.columns if c.key == "weight")
        try:
            value = Decimal(raw or column.default)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or not -100 <= value <= 100:
            raise self.refuse(
                "weight",
                _("%(field)s must be between −100 and 100") % {"field": self.label("weight")},
            )
        return _weight_json(value)

    def number_text(self, column: str) -> str:
        """A number as the spec stores it: the decimal string typed (3,14 written 3.14)."""
        raw = self.text(column).replace("−", "-")
        if parse_number(raw) is None:
            raise self.refuse(
                column,
                _("%(field)s: enter a number, such as 3.14.") % {"field": self.label(column)},
            )
        return raw.replace(",", ".")


@dataclass
class SpecFields:
    """The per-type fields of one question: from its spec (`spec=`) or from a post (`data=`).

    `is_valid()` builds `spec` from the posted fields; `errors` maps an input's name (or a
    group's key, or "" for the whole spec) to its messages, each naming the field.
    """

    question_type: str
    spec: dict[str, Any] | None = None
    data: Mapping[str, str] | None = None
    add_rows: str = ""  # the group whose "add rows" button was pressed
    move: str = ""  # "<group>-<row index>-up" or "-down": a row's move button was pressed
    errors: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.layout = LAYOUTS[self.question_type]
        if self.data is None:
            spec = self.spec or {}
            self.scalar_values = _scalars_of(spec, self.question_type)
            self.rows = _rows_of(spec, self.question_type)
            self.counts = {
                g.key: len(self.rows.get(g.key, [])) + SPARE_ROWS for g in self.layout.groups
            }
            self.counts = {
                g.key: max(self.counts[g.key], g.min_rows + 1) for g in self.layout.groups
            }
        else:
            self._read_post(self.data)

    # reading a post

    def scalar_name(self, key: str) -> str:
        return f"{PREFIX}-{key}"

    def row_name(self, group: str, index: int, column: str) -> str:
        return f"{PREFIX}-{group}-{index}-{column}"

    def count_name(self, group: str) -> str:
        return f"{PREFIX}-{group}-rows"

    def _read_post(self, data: Mapping[str, str]) -> None:
        self.scalar_values = {}
        for scalar in self.layout.scalars:
            raw = data.get(self.scalar_name(scalar.key))
            if scalar.widget == "check":
                self.scalar_values[scalar.key] = "true" if raw else "false"
            else:
                self.scalar_values[scalar.key] = raw or ""
        self.rows, self.counts = {}, {}
        for group in self.layout.groups:
            try:
                count = min(int(data.get(self.count_name(group.key), "0")), MAX_ROWS)
            except ValueError:
                count = 0
            rows = [
                {c.key: data.get(self.row_name(group.key, index, c.key), "") for c in group.columns}
                for index in range(max(count, 0))
            ]
            self.rows[group.key] = rows
            self.counts[group.key] = len(rows)
            if self.add_rows == group.key:
                self.counts[group.key] = min(len(rows) + ADD_ROWS, MAX_ROWS)
        self._move_row()

    @property
    def rearranged(self) -> bool:
        """Rows were added or moved: the page shows them again; nothing is saved."""
        return bool(self.add_rows or self.move)

    def _move_row(self) -> None:
        """Swap the row whose button was pressed with the one above or below it (its id
        goes with it: learners' answers stay attached to the item)."""
        key, _sep, rest = self.move.partition("-")
        index_text, _sep, direction = rest.partition("-")
        group = next((g for g in self.layout.groups if g.key == key and g.movable), None)
        if group is None or not index_text.isdigit() or direction not in {"up", "down"}:
            return
        rows = self.rows[group.key]
        index = int(index_text)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= index < len(rows) and 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def _filled(self, group: RowGroup) -> list[Row]:
        """The rows with something typed in them (an id alone or a kind alone is nothing)."""
        typed = [c.key for c in group.columns if c.widget in {"text", "textarea", "number"}]
        return [
            Row(group=group, number=index + 1, values=values, form=self)
            for index, values in enumerate(self.rows.get(group.key, []))
            if any(values.get(key, "").strip() for key in typed)
        ]

    def _ids(self, rows: list[Row]) -> list[str]:
        """Each row's kept id, a new one for a new row; a tampered id is refused."""
        kept = [row.values.get("id", "").strip() for row in rows]
        taken = set(kept)
        fresh = (choice_id(i) for i in range(MAX_ROWS * 2))  # GIFT import's ids
        ids = []
        for row, item_id in zip(rows, kept, strict=True):
            if not item_id:
                item_id = next(candidate for candidate in fresh if candidate not in taken)
                taken.add(item_id)
            elif len(item_id) > MAX_ID_LENGTH or item_id in ids:
                self.add_error(
                    row.group.key,
                    _("%(row)s %(number)s: its id is used twice; reload the page.")
                    % {"row": row.group.row_label, "number": row.number},
                )
            ids.append(item_id)
        return ids

    def _at_least(self, group: RowGroup, rows: list[Row]) -> None:
        if len(rows) < group.min_rows:
            self.add_error(
                group.key,
                _("%(group)s: fill in at least %(n)s.")
                % {"group": group.title, "n": group.min_rows},
            )

    def is_valid(self) -> bool:
        if self.data is None:
            return False
        self.errors = {}
        spec: dict[str, Any] = {}
        with contextlib.suppress(Refused):  # recorded in self.errors, with the field named
            spec = BUILDERS[self.question_type](self)
        if not self.errors:
            try:
                grading.validate_spec(self.question_type, spec)
            except grading.SpecError as error:
                self.add_error(
                    "",
                    _("The question cannot be saved: %(problem)s") % {"problem": error.message},
                )
        if self.errors:
            return False
        self.spec = spec
        return True

    # what the template shows

    def scalar_rows(self) -> list[dict[str, Any]]:
        return [
            self._input(s, self.scalar_name(s.key), self.scalar_values.get(s.key, ""))
            for s in self.layout.scalars
        ]

    def group_rows(self) -> list[dict[str, Any]]:
        shown = []
        for group in self.layout.groups:
            rows = self.rows.get(group.key, [])
            table = []
            for index in range(self.counts[group.key]):
                values = rows[index] if index < len(rows) else {}
                cells = [
                    self._input(
                        column,
                        self.row_name(group.key, index, column.key),
                        values.get(column.key, ""),
                        row=f"{group.row_label} {index + 1}",
                    )
                    for column in group.columns
                ]
                table.append(
                    {
                        "number": index + 1,
                        "cells": cells,
                        "up": f"{group.key}-{index}-up" if index > 0 else "",
                        "down": (
                            f"{group.key}-{index}-down"
                            if index < self.counts[group.key] - 1
                            else ""
                        ),
                    }
                )
            shown.append(
                {
                    "group": group,
                    "rows": table,
                    "count_name": self.count_name(group.key),
                    "count": self.counts[group.key],
                    "errors": self.errors.get(group.key, []),
                    "add_value": group.key,
                }
            )
        return shown

    def _input(self, spec_field: Field, name: str, value: str, row: str = "") -> dict[str, Any]:
        if spec_field.widget == "select" and not value:
            value = spec_field.options[0][0]
        return {
            "field": spec_field,
            "name": name,
            "id": f"id_{name}",
            "value": value,
            "label": f"{row}: {spec_field.label}" if row else spec_field.label,
            "errors": self.errors.get(name, []),
            "checked": value == "true",
        }

    def whole_errors(self) -> list[str]:
        return self.errors.get("", [])


# builders: the filled fields -> a spec; each refusal is recorded on the form -------------


def _each(
    form: SpecFields, group: RowGroup, make: Callable[[Row, str], dict[str, Any]]
) -> list[dict[str, Any]]:
    """The group's filled rows made into spec items (`make(row, id)`); a refused row is
    recorded on the form and skipped, so every row gets its messages at once."""
    rows = form._filled(group)
    form._at_least(group, rows)
    has_ids = any(column.key == "id" for column in group.columns)
    ids = form._ids(rows) if has_ids else [""] * len(rows)
    items = []
    for row, item_id in zip(rows, ids, strict=True):
        with contextlib.suppress(Refused):
            items.append(make(row, item_id))
    return items


def _choices(form: SpecFields) -> list[dict[str, Any]]:
    return _each(
        form,
        CHOICES,
        lambda row, item_id: {
            "id": item_id,
            "text": row.text("text"),
            "weight": row.weight(),
            "feedback": row.text("feedback", required=False),
        },
    )


def _single_choice(form: SpecFields) -> dict[str, Any]:
    choices = _choices(form)
    if not form.errors and not any(Decimal(str(c["weight"])) == 100 for c in choices):
        form.add_error("choices", _("Choices: one choice must have weight 100."))
    return {"choices": choices}


def _multiple_choice(form: SpecFields) -> dict[str, Any]:
    choices = _choices(form)
    positive = sum((Decimal(str(c["weight"])) for c in choices if c["weight"] > 0), Decimal(0))
    if not form.errors and abs(positive - 100) > Decimal("0.01"):
        form.add_error(
            "choices",
            _("Choices: the positive weights must add up to 100; they add up to %(sum)s.")
            % {"sum": format(positive.normalize(), "f")},
        )
    return {"choices": choices, "scoring": _option(form, "scoring")}


def _option(form: SpecFields, key: str) -> str:
    """A select's value; anything not offered is refused (a tampered form)."""
    scalar = next(s for s in form.layout.scalars if s.key == key)
    value = form.scalar_values.get(key, "")
    if value not in {option for option, _label in scalar.options}:
        form.add_error(
            form.scalar_name(key),
            _("%(field)s: choose one of the options.") % {"field": scalar.label},
        )
    return value


def _true_false(form: SpecFields) -> dict[str, Any]:
    return {
        "answer": _option(form, "answer") == "true",
        "feedback_true": form.scalar_values.get("feedback_true", "").strip(),
        "feedback_false": form.scalar_values.get("feedback_false", "").strip(),
    }


def _text_answer(row: Row, _id: str) -> dict[str, Any]:
    kind = "regex" if row.values.get("kind") == "regex" else "text"
    value = row.text("value")
    if kind == "regex":
        try:
            check_regex(value, "")
        except grading.SpecError:
            raise row.refuse(
                "value",
                _(
                    "%(field)s is not a regular expression that can be used "
                    "(a syntax error, or a repeat inside a repeat such as (a+)+)."
                )
                % {"field": row.label("value")},
            ) from None
    return {kind: value, "weight": row.weight(), "feedback": row.text("feedback", required=False)}


def _short_text(form: SpecFields) -> dict[str, Any]:
    return {
        "answers": _each(form, TEXT_ANSWERS, _text_answer),
        "case_sensitive": form.scalar_values.get("case_sensitive") == "true",
        "yo_equals_e": form.scalar_values.get("yo_equals_e") == "true",
        # Only when set: a question that never had it keeps the spec it had.
        **({"first_match": True} if form.scalar_values.get("first_match") == "true" else {}),
    }


def _numeric_answer(row: Row, _id: str) -> dict[str, Any]:
    kind = row.values.get("kind", "exact")
    if kind == "any":
        answer: dict[str, Any] = {"kind": "any"}
    elif kind == "range":
        answer = {
            "kind": "range",
            "min": row.number_text("min"),
            "max": row.number_text("max"),
        }
        low, high = parse_number(answer["min"]), parse_number(answer["max"])
        if low is not None and high is not None and low > high:
            raise row.refuse(
                "max",
                _("%(field)s must not be less than the minimum.") % {"field": row.label("max")},
            )
    elif kind == "tolerance":
        answer = {
            "kind": "tolerance",
            "value": row.number_text("value"),
            "tolerance": row.number_text("tolerance"),
        }
        if (parse_number(answer["tolerance"]) or 0) < 0:
            raise row.refuse(
                "tolerance",
                _("%(field)s must not be negative.") % {"field": row.label("tolerance")},
            )
    else:
        answer = {"kind": "exact", "value": row.number_text("value")}
    return answer | {"weight": row.weight(), "feedback": row.text("feedback", required=False)}


def _numeric(form: SpecFields) -> dict[str, Any]:
    return {"answers": _each(form, NUMERIC_ANSWERS, _numeric_answer)}


def _ordering(form: SpecFields) -> dict[str, Any]:
    items = _each(
        form,
        LAYOUTS["ordering"].groups[0],
        lambda row, item_id: {"id": item_id, "text": row.text("text")},
    )
    return {"items": items, "scoring": _option(form, "scoring")}


def _matching_key(text: str) -> str:
    return grading.normalise(text, case_sensitive=False, yo_equals_e=False)


def _matching(form: SpecFields) -> dict[str, Any]:
    pairs_group, distractors_group = LAYOUTS["matching"].groups
    pairs = _each(
        form,
        pairs_group,
        lambda row, item_id: {
            "id": item_id,
            "prompt": row.text("prompt"),
            "answer": row.text("answer"),
        },
    )
    answers = {_matching_key(pair["answer"]) for pair in pairs}
    seen: set[str] = set()

    def distractor(row: Row, _id: str) -> dict[str, Any]:
        text = row.text("text")
        key = _matching_key(text)
        if key in answers:
            message = _("%(field)s is also the answer of a pair.")
            raise row.refuse("text", message % {"field": row.label("text")})
        if key in seen:
            message = _("%(field)s repeats an earlier distractor.")
            raise row.refuse("text", message % {"field": row.label("text")})
        seen.add(key)
        return {"text": text}

    distractors = _each(form, distractors_group, distractor)
    return {"pairs": pairs, "distractors": [item["text"] for item in distractors]}


def _gap(row: Row, _id: str) -> dict[str, Any]:
    name = row.text("name")
    if not re.fullmatch(rf"[^{{}}\s]{{1,{MAX_ID_LENGTH}}}", name):
        message = _("%(field)s: no spaces or braces, at most 64 characters.")
        raise row.refuse("name", message % {"field": row.label("name")})
    gap: dict[str, Any] = {"id": name, "kind": row.values.get("kind") or "text"}
    if gap["kind"] == "text":
        gap["case_sensitive"] = row.values.get("case_sensitive") == "true"
        gap["yo_equals_e"] = row.values.get("yo_equals_e") != "false"
        if row.values.get("first_match") == "true":
            gap["first_match"] = True
    return gap


def _gap_choice(row: Row, choice_id: str) -> dict[str, Any]:
    if row.values.get("feedback", "").strip():
        message = _("%(field)s: a choice in a gap has no feedback.")
        raise row.refuse("feedback", message % {"field": row.label("feedback")})
    weight = row.weight() if row.values.get("weight", "").strip() else 0
    return {"id": choice_id, "text": row.text("value"), "weight": weight}


def _fill_blanks(form: SpecFields) -> dict[str, Any]:
    text = form.scalar_values.get("text", "").strip()
    if not text:
        form.add_error(form.scalar_name("text"), _("Text with gaps: fill this in."))
    gaps: dict[str, dict[str, Any]] = {}

    def add_gap(row: Row, _id: str) -> dict[str, Any]:
        made = _gap(row, _id)
        if made["id"] in gaps:
            message = _("%(field)s: another gap has this id.")
            raise row.refuse("name", message % {"field": row.label("name")})
        gaps[made["id"]] = made
        return made

    _each(form, GAPS, add_gap)
    families = {"text": GAP_TEXT_KINDS, "numeric": GAP_NUMERIC_KINDS, "choice": ("choice",)}
    kept_ids: dict[str, set[str]] = {}
    for row in form._filled(GAP_ANSWERS):
        kept_ids.setdefault(row.values.get("gap", "").strip(), set()).add(
            row.values.get("choice_id", "").strip()
        )

    def answer(row: Row, _id: str) -> dict[str, Any]:
        target = gaps.get(row.text("gap"))
        if target is None:
            message = _("%(field)s: no gap above has this id.")
            raise row.refuse("gap", message % {"field": row.label("gap")})
        if row.values.get("kind") not in families[target["kind"]]:
            message = _("%(field)s does not fit the gap's kind.")
            raise row.refuse("kind", message % {"field": row.label("kind")})
        if target["kind"] == "choice":
            # A kept id stays (learners' answers name it); a new or repeated one gets the
            # gap's next free id.
            used = {choice["id"] for choice in target.setdefault("choices", [])}
            kept = row.values.get("choice_id", "").strip()
            if not kept or kept in used:
                taken = used | kept_ids.get(target["id"], set())
                kept = next(choice_id(i) for i in range(MAX_ROWS * 2) if choice_id(i) not in taken)
            target["choices"].append(_gap_choice(row, kept))
        else:
            made = _text_answer(row, "") if target["kind"] == "text" else _numeric_answer(row, "")
            target.setdefault("answers", []).append(made)
        return {}

    _each(form, GAP_ANSWERS, answer)
    if form.errors:
        return {}
    placeholders = re.findall(r"\{\{([^{}]*)\}\}", text)
    for gap in gaps.values():
        if not gap.get("answers") and not gap.get("choices"):
            form.add_error(
                "gaps", _("Gap %(id)s: give it at least one answer below.") % {"id": gap["id"]}
            )
        elif gap["kind"] == "choice" and (
            len(gap["choices"]) < 2 or not any(c["weight"] == 100 for c in gap["choices"])
        ):
            message = _("Gap %(id)s: at least 2 choices, one of them with weight 100.")
            form.add_error("gaps", message % {"id": gap["id"]})
        if placeholders.count(gap["id"]) != 1:
            message = _("Text with gaps: write {{%(id)s}} once, where the gap %(id)s goes.")
            form.add_error(form.scalar_name("text"), message % {"id": gap["id"]})
    for name in placeholders:
        if name not in gaps:
            message = _("Text with gaps: {{%(id)s}} is not the id of a gap below.")
            form.add_error(form.scalar_name("text"), message % {"id": name})
    return {"text": text, "gaps": list(gaps.values())}


def _whole_number(form: SpecFields, key: str, *, required: bool) -> int | None:
    raw = form.scalar_values.get(key, "").strip()
    if not raw and not required:
        return None
    scalar = next(s for s in form.layout.scalars if s.key == key)
    raw = raw or scalar.default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        form.add_error(
            form.scalar_name(key),
            _("%(field)s: enter a whole number, 0 or more.") % {"field": scalar.label},
        )
        return None
    return int(raw)


def _essay(form: SpecFields) -> dict[str, Any]:
    low = _whole_number(form, "min_words", required=True)
    high = _whole_number(form, "max_words", required=False)
    if low is not None and high is not None and (high < low or high == 0):
        form.add_error(
            form.scalar_name("max_words"),
            _("At most this many words: must be at least 1 and not less than the minimum."),
        )
    return {
        "min_words": low or 0,
        "max_words": high,
        "grader_info": form.scalar_values.get("grader_info", "").strip(),
    }


BUILDERS: Mapping[str, Callable[[SpecFields], dict[str, Any]]] = {
    "single_choice": _single_choice,
    "multiple_choice": _multiple_choice,
    "true_false": _true_false,
    "short_text": _short_text,
    "numeric": _numeric,
    "ordering": _ordering,
    "matching": _matching,
    "fill_blanks": _fill_blanks,
    "essay": _essay,
    "description": lambda form: {},  # text only: nothing but the question's own text
}


# a readable line of a spec (the admin's list of a quiz's questions) --------------------

SUMMARY_CHARS = 300


def spec_summary(question_type: str, spec: Mapping[str, Any]) -> str:
    """The answers of a question in one line, for an author (answer keys included):
    «Go» ✓, «C#» for choices, «a» → «b» for an order, and so on."""
    try:
        text = _SUMMARIES[question_type](spec)
    except (KeyError, TypeError, AttributeError):  # a spec the editor would refuse
        return _("(cannot be read: open the question)")
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def _quoted(text: Any) -> str:
    return f"«{text}»"


def _choices_line(spec: Mapping[str, Any]) -> str:
    return ", ".join(
        _quoted(c["text"]) + (" ✓" if float(c.get("weight", 0)) > 0 else "")
        for c in spec["choices"]
    )


def _text_answers_line(answers: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"/{a['regex']}/" if "regex" in a else _quoted(a.get("text", a.get("value", "")))
        for a in answers
    )


def _numeric_line(answers: list[dict[str, Any]]) -> str:
    shown = []
    for answer in answers:
        if answer.get("kind") == "range":
            shown.append(f"{answer['min']}…{answer['max']}")
        elif answer.get("kind") == "tolerance":
            shown.append(f"{answer['value']} ± {answer['tolerance']}")
        else:
            shown.append(str(answer["value"]))
    return ", ".join(shown)


def _essay_line(spec: Mapping[str, Any]) -> str:
    low, high = spec.get("min_words") or 0, spec.get("max_words")
    if high is None:
        return _("graded by a person; at least %(low)s words") % {"low": low}
    return _("graded by a person; %(low)s to %(high)s words") % {"low": low, "high": high}


_SUMMARIES: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "single_choice": _choices_line,
    "multiple_choice": _choices_line,
    "true_false": lambda spec: _("correct: true") if spec["answer"] else _("correct: false"),
    "short_text": lambda spec: _text_answers_line(spec["answers"]),
    "numeric": lambda spec: _numeric_line(spec["answers"]),
    "ordering": lambda spec: " → ".join(_quoted(item["text"]) for item in spec["items"]),
    "matching": lambda spec: "; ".join(
        f"{_quoted(p['prompt'])} → {_quoted(p['answer'])}" for p in spec["pairs"]
    ),
    "fill_blanks": lambda spec: (
        _("gaps: %(ids)s") % {"ids": ", ".join(g["id"] for g in spec["gaps"])}
    ),
    "essay": _essay_line,
}
