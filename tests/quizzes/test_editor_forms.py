"""The question editor's per-type fields: every demo question's spec reads into the fields and
back unchanged, ids are kept or made, and a refusal names the field in Russian and English."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from quizzes.authoring import quiz_import_gift
from quizzes.editor_forms import LAYOUTS, SpecFields
from quizzes.models import Question
from tests.conftest import REPO_DIR
from tests.factories import SectionFactory

DEMO = REPO_DIR / "demo" / "quizzes"


def posted(fields: SpecFields, **changes: str) -> dict[str, str]:
    """What a browser posts back for the rendered fields (an unticked box is not sent)."""
    data: dict[str, str] = {}
    for scalar in fields.scalar_rows():
        if scalar["field"].widget != "check":
            data[scalar["name"]] = scalar["value"]
        elif scalar["checked"]:
            data[scalar["name"]] = "true"
    for table in fields.group_rows():
        data[table["count_name"]] = str(table["count"])
        for row in table["rows"]:
            for cell in row["cells"]:
                data[cell["name"]] = cell["value"]
    return data | changes


def round_trip(question_type: str, spec: dict[str, Any]) -> SpecFields:
    back = SpecFields(question_type, data=posted(SpecFields(question_type, spec=spec)))
    assert back.is_valid(), back.errors
    return back


def demo_specs() -> list[tuple[str, dict[str, Any]]]:
    for path in sorted(DEMO.glob("*.gift")):
        quiz_import_gift(section=SectionFactory.create(), path=Path(path))
    specs = [(q.type, q.spec) for q in Question.objects.order_by("id")]
    extra = json.loads((DEMO / "extra-questions.json").read_text(encoding="utf-8"))
    return specs + [(item["type"], item["spec"]) for item in extra["questions"]]


@pytest.mark.django_db
def test_every_demo_question_round_trips_unchanged_and_all_nine_types_are_among_them():
    specs = demo_specs()

    for question_type, spec in specs:
        assert round_trip(question_type, spec).spec == spec, question_type
    assert {question_type for question_type, _spec in specs} == set(LAYOUTS)


def test_a_new_row_gets_the_next_free_id_and_old_rows_keep_theirs():
    spec = {
        "choices": [
            {"id": "b", "text": "канал", "weight": 100, "feedback": ""},
            {"id": "a", "text": "мьютекс", "weight": 0, "feedback": ""},
        ]
    }
    fields = SpecFields("single_choice", spec=spec)
    data = posted(fields, **{"spec-choices-2-text": "горутина"})

    back = SpecFields("single_choice", data=data)

    assert back.is_valid(), back.errors
    assert [(c["id"], c["text"]) for c in back.spec["choices"]] == [
        ("b", "канал"),
        ("a", "мьютекс"),
        ("c", "горутина"),
    ]


def test_an_emptied_row_is_removed_and_add_rows_adds_empty_ones():
    spec = {
        "items": [
            {"id": "a", "text": "один"},
            {"id": "b", "text": "два"},
            {"id": "c", "text": "три"},
        ],
        "scoring": "positions",
    }
    fields = SpecFields("ordering", spec=spec)
    data = posted(fields, **{"spec-items-1-text": ""})

    back = SpecFields("ordering", data=data)
    more = SpecFields("ordering", data=data, add_rows="items")

    assert back.is_valid(), back.errors
    assert back.spec["items"] == [{"id": "a", "text": "один"}, {"id": "c", "text": "три"}]
    assert more.counts["items"] == fields.counts["items"] + 3


SINGLE = {
    "choices": [
        {"id": "a", "text": "да", "weight": 100, "feedback": ""},
        {"id": "b", "text": "нет", "weight": 0, "feedback": ""},
    ]
}
REFUSALS = [
    (
        "single_choice",
        SINGLE,
        {"spec-choices-1-weight": "150"},
        "spec-choices-1-weight",
        "Вариант 2: вес должен быть от −100 до 100",
        "Choice 2: weight must be between −100 and 100",
    ),
    (
        "single_choice",
        SINGLE,
        {"spec-choices-0-weight": "50"},
        "choices",
        "Варианты: у одного из вариантов вес должен быть 100.",
        "Choices: one choice must have weight 100.",
    ),
    (
        "numeric",
        {"answers": [{"kind": "exact", "value": "3.14", "weight": 100, "feedback": ""}]},
        {"spec-answers-0-value": "пи"},
        "spec-answers-0-value",
        "Ответ 1: значение: введите число, например 3.14.",
        "Answer 1: value: enter a number, such as 3.14.",
    ),
    (
        "short_text",
        {
            "answers": [{"text": "канал", "weight": 100, "feedback": ""}],
            "case_sensitive": False,
            "yo_equals_e": True,
        },
        {"spec-answers-0-kind": "regex", "spec-answers-0-value": "(a+)+"},
        "spec-answers-0-value",
        "Ответ 1: ответ: не годится как регулярное выражение",
        "Answer 1: answer is not a regular expression that can be used",
    ),
    (
        "essay",
        {"min_words": 0, "max_words": None, "grader_info": ""},
        {"spec-min_words": "много"},
        "spec-min_words",
        "Минимум слов: введите целое число, 0 или больше.",
        "At least this many words: enter a whole number, 0 or more.",
    ),
]


@pytest.mark.parametrize(
    ("question_type", "spec", "changes", "name", "russian", "english"), REFUSALS
)
def test_a_refusal_names_the_field_in_russian_and_in_english(
    question_type, spec, changes, name, russian, english
):
    data = posted(SpecFields(question_type, spec=spec), **changes)
    for language, expected in (("ru", russian), ("en", english)):
        with translation.override(language):
            fields = SpecFields(question_type, data=data)

            assert not fields.is_valid()
            assert any(expected in message for message in fields.errors[name]), fields.errors


def test_the_spec_validator_runs_last_on_what_the_fields_make():
    # The fields do not look for a NUL character; the validator does (PostgreSQL refuses it).
    data = posted(SpecFields("single_choice", spec=SINGLE), **{"spec-choices-1-text": "н\x00ет"})

    fields = SpecFields("single_choice", data=data)

    with translation.override("en"):
        assert not fields.is_valid()
    assert fields.errors[""] == [
        "The question cannot be saved: choices.1.text: text with a NUL character or a lone "
        "surrogate"
    ]


BLANKS = {
    "text": "Канал {{1}} передаёт {{n}} значений за раз, а закрывает его {{who}}.",
    "gaps": [
        {
            "id": "1",
            "kind": "text",
            "answers": [{"regex": "chan|канал", "weight": 100, "feedback": ""}],
            "case_sensitive": False,
            "yo_equals_e": True,
        },
        {
            "id": "n",
            "kind": "numeric",
            "answers": [{"kind": "range", "min": "0", "max": "1", "weight": 100, "feedback": ""}],
        },
        {
            "id": "who",
            "kind": "choice",
            "choices": [
                {"id": "b", "text": "отправитель", "weight": 100},
                {"id": "a", "text": "получатель", "weight": 0},
            ],
        },
    ],
}


def test_gaps_and_their_answers_round_trip_and_a_new_choice_gets_the_gaps_next_id():
    fields = SpecFields("fill_blanks", spec=BLANKS)
    rows = len(fields.rows["gap_answers"])
    data = posted(
        fields,
        **{
            f"spec-gap_answers-{rows}-gap": "who",
            f"spec-gap_answers-{rows}-kind": "choice",
            f"spec-gap_answers-{rows}-value": "никто",
        },
    )

    back = SpecFields("fill_blanks", data=data)

    assert round_trip("fill_blanks", BLANKS).spec == BLANKS
    assert back.is_valid(), back.errors
    assert back.spec["gaps"][2]["choices"][2] == {"id": "c", "text": "никто", "weight": 0}


@pytest.mark.parametrize(
    ("changes", "name", "english"),
    [
        (
            {"spec-gap_answers-0-kind": "exact"},
            "spec-gap_answers-0-kind",
            "Answer 1: kind does not fit the gap's kind.",
        ),
        ({"spec-gap_answers-1-gap": "x"}, "spec-gap_answers-1-gap", "Answer 2: gap: no gap"),
        (
            {"spec-text": "Канал {{1}} передаёт {{n}} значений за раз."},
            "spec-text",
            "Text with gaps: write {{who}} once, where the gap who goes.",
        ),
        ({"spec-gaps-1-name": "1"}, "spec-gaps-1-name", "Gap 2: id in the text: another gap"),
    ],
)
def test_a_refused_gap_names_the_field(changes, name, english):
    data = posted(SpecFields("fill_blanks", spec=BLANKS), **changes)

    with translation.override("en"):
        fields = SpecFields("fill_blanks", data=data)

        assert not fields.is_valid()
        assert any(english in message for message in fields.errors[name]), fields.errors


ANSWERS = [
    {"regex": ".*", "weight": 50, "feedback": ""},
    {"text": "go", "weight": 100, "feedback": ""},
]


@pytest.mark.parametrize("order", [{"first_match": True}, {}])
def test_the_matching_order_of_a_short_answer_and_a_text_gap_survives_the_editor(order):
    short = {"answers": ANSWERS, "case_sensitive": False, "yo_equals_e": True, **order}
    blanks = {"text": "{{a}}", "gaps": [{"id": "a", "kind": "text", **short}]}

    assert round_trip("short_text", short).spec == short
    [gap] = round_trip("fill_blanks", blanks).spec["gaps"]
    assert gap.get("first_match", False) == bool(order)


def test_ticking_first_match_makes_an_edited_short_answer_grade_as_moodle():
    fields = SpecFields("short_text", spec={"answers": ANSWERS})
    data = posted(fields, **{"spec-first_match": "true"})

    back = SpecFields("short_text", data=data)

    assert back.is_valid(), back.errors
    assert back.spec["first_match"] is True
