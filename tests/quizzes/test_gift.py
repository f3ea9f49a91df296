"""GIFT parser and writer: every question kind, malformed input, and parse/render round trips."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes import grading
from quizzes.gift import (
    GiftError,
    GiftQuestion,
    QuestionType,
    has_wildcard,
    parse_gift,
    render_gift,
    wildcard_regex,
)

ESSAY = {"min_words": 0, "max_words": None, "grader_info": ""}


def choice(id_: str, text: str, weight: int | float, feedback: str = "") -> dict[str, Any]:
    return {"id": id_, "text": text, "weight": weight, "feedback": feedback}


def short(*answers: tuple[str, int] | tuple[str, int, str]) -> dict[str, Any]:
    return {
        "answers": [
            {"text": a[0], "weight": a[1], "feedback": (a[2:] or ("",))[0]} for a in answers
        ],
        "case_sensitive": False,
        "yo_equals_e": True,
        "first_match": True,
    }


def num(kind: str, weight: int = 100, feedback: str = "", **values: str) -> dict[str, Any]:
    return {"kind": kind, **values, "weight": weight, "feedback": feedback}


# (GIFT, type, spec) for one question each.
KINDS = [
    pytest.param(
        "Кто похоронен в гробнице Гранта?{~Грант ~Джефферсон =никто}",
        "single_choice",
        {
            "choices": [
                choice("a", "Грант", 0),
                choice("b", "Джефферсон", 0),
                choice("c", "никто", 100),
            ]
        },
        id="single-choice",
    ),
    pytest.param(
        "Q {=right#Верно! ~%50%half#почти ~%-25%bad ~wrong}",
        "single_choice",
        {
            "choices": [
                choice("a", "right", 100, "Верно!"),
                choice("b", "half", 50, "почти"),
                choice("c", "bad", -25),
                choice("d", "wrong", 0),
            ]
        },
        id="single-choice-partial-weights-feedback",
    ),
    pytest.param(
        "Q {=one =two ~three}",
        "single_choice",
        {"choices": [choice("a", "one", 100), choice("b", "two", 100), choice("c", "three", 0)]},
        id="single-choice-two-right",
    ),
    pytest.param(
        "Какие типы ссылочные? {~%50%map ~%50%slice ~%-100%int}",
        "multiple_choice",
        {
            "choices": [choice("a", "map", 50), choice("b", "slice", 50), choice("c", "int", -100)],
            "scoring": "partial",
        },
        id="multiple-answers",
    ),
    pytest.param(
        "Q {~%33.33333%a ~%33.33333%b ~%33.33333%c ~d}",
        "multiple_choice",
        {
            "choices": [
                choice("a", "a", 33.33333),
                choice("b", "b", 33.33333),
                choice("c", "c", 33.33333),
                choice("d", "d", 0),
            ],
            "scoring": "partial",
        },
        id="multiple-answers-thirds",
    ),
    pytest.param(
        "Q {~%100%only ~other}",
        "multiple_choice",
        {"choices": [choice("a", "only", 100), choice("b", "other", 0)], "scoring": "partial"},
        id="tilde-only-is-multiple-answers",
    ),
    pytest.param(
        "Горутины легче потоков.{T}",
        "true_false",
        {"answer": True, "feedback_true": "", "feedback_false": ""},
        id="true",
    ),
    pytest.param(
        "Q {TRUE}",
        "true_false",
        {"answer": True, "feedback_true": "", "feedback_false": ""},
        id="TRUE",
    ),
    pytest.param(
        "Q {F}", "true_false", {"answer": False, "feedback_true": "", "feedback_false": ""}, id="F"
    ),
    pytest.param(
        "Q {FALSE}",
        "true_false",
        {"answer": False, "feedback_true": "", "feedback_false": ""},
        id="FALSE",
    ),
    # {T#wrong#right}: the first feedback is for a learner who answered wrongly.
    pytest.param(
        "Q {T#Нет, это правда#Верно}",
        "true_false",
        {"answer": True, "feedback_true": "Верно", "feedback_false": "Нет, это правда"},
        id="true-feedback",
    ),
    pytest.param(
        "Q {FALSE#Нет, это ложь#Верно}",
        "true_false",
        {"answer": False, "feedback_true": "Нет, это ложь", "feedback_false": "Верно"},
        id="false-feedback",
    ),
    pytest.param(
        "Q {T#a \\= b}",
        "true_false",
        {"answer": True, "feedback_true": "", "feedback_false": "a = b"},
        id="true-feedback-escaped-equals",
    ),
    pytest.param(
        "Как называется лёгкий поток Go?{=горутина =goroutine}",
        "short_text",
        short(("горутина", 100), ("goroutine", 100)),
        id="short-answer",
    ),
    pytest.param(
        "Q {=горутина#Да =%50%поток#Почти =%-10%процесс}",
        "short_text",
        short(("горутина", 100, "Да"), ("поток", 50, "Почти"), ("процесс", -10)),
        id="short-answer-weights",
    ),
    pytest.param("Q {=T}", "short_text", short(("T", 100)), id="short-answer-T-is-not-true-false"),
    pytest.param(
        "Q {=a#x -> y}",
        "short_text",
        short(("a", 100, "x -> y")),
        id="short-answer-arrow-in-feedback",
    ),
    pytest.param(
        "Q {#3:0.5}",
        "numeric",
        {"answers": [num("tolerance", value="3", tolerance="0.5")]},
        id="tolerance",
    ),
    pytest.param("Q {#1..5}", "numeric", {"answers": [num("range", min="1", max="5")]}, id="range"),
    pytest.param(
        "Q {#-5..-1.5}",
        "numeric",
        {"answers": [num("range", min="-5", max="-1.5")]},
        id="range-negative",
    ),
    pytest.param("Q {#3.14}", "numeric", {"answers": [num("exact", value="3.14")]}, id="exact"),
    pytest.param(
        "Q {#1e3#тысяча}",
        "numeric",
        {"answers": [num("exact", feedback="тысяча", value="1e3")]},
        id="exact-exponent",
    ),
    pytest.param(
        "Q {# =3:0 =%50%3:1#близко}",
        "numeric",
        {
            "answers": [
                num("tolerance", value="3", tolerance="0"),
                num("tolerance", 50, "близко", value="3", tolerance="1"),
            ]
        },
        id="numeric-alternatives",
    ),
    pytest.param(
        "Q {#\n  =1822:0#Верно\n  =%50%1822:2#Почти\n}",
        "numeric",
        {
            "answers": [
                num("tolerance", feedback="Верно", value="1822", tolerance="0"),
                num("tolerance", 50, "Почти", value="1822", tolerance="2"),
            ]
        },
        id="numeric-multiline",
    ),
    pytest.param(
        "Сопоставьте.{=Канада -> Оттава =Италия -> Рим =Япония -> Токио}",
        "matching",
        {
            "pairs": [
                {"id": "a", "prompt": "Канада", "answer": "Оттава"},
                {"id": "b", "prompt": "Италия", "answer": "Рим"},
                {"id": "c", "prompt": "Япония", "answer": "Токио"},
            ],
            "distractors": [],
        },
        id="matching",
    ),
    pytest.param(
        "Q {=chan->канал =map->словарь = -> срез =->массив}",
        "matching",
        {
            "pairs": [
                {"id": "a", "prompt": "chan", "answer": "канал"},
                {"id": "b", "prompt": "map", "answer": "словарь"},
            ],
            "distractors": ["срез", "массив"],
        },
        id="matching-distractors",
    ),
    pytest.param(
        "Q {=x -> a->b =y -> c}",
        "matching",
        {
            "pairs": [
                {"id": "a", "prompt": "x", "answer": "a->b"},
                {"id": "b", "prompt": "y", "answer": "c"},
            ],
            "distractors": [],
        },
        id="matching-arrow-in-answer",
    ),
    pytest.param("Расскажите о каналах.{}", "essay", ESSAY, id="essay"),
    pytest.param("Q {\n}", "essay", ESSAY, id="essay-multiline"),
    pytest.param(
        "Go uses {=goroutines ~threads} for concurrency.",
        "fill_blanks",
        {
            "text": "Go uses {{1}} for concurrency.",
            "gaps": [
                {
                    "id": "1",
                    "kind": "choice",
                    "choices": [
                        {"id": "a", "text": "goroutines", "weight": 100},
                        {"id": "b", "text": "threads", "weight": 0},
                    ],
                }
            ],
        },
        id="missing-word-choice",
    ),
    pytest.param(
        "Go запускает {=горутины =goroutines} с помощью go.",
        "fill_blanks",
        {
            "text": "Go запускает {{1}} с помощью go.",
            "gaps": [{"id": "1", "kind": "text", **short(("горутины", 100), ("goroutines", 100))}],
        },
        id="missing-word-text",
    ),
    pytest.param(
        "В байте {#8} бит.",
        "fill_blanks",
        {
            "text": "В байте {{1}} бит.",
            "gaps": [{"id": "1", "kind": "numeric", "answers": [num("exact", value="8")]}],
        },
        id="missing-word-numeric",
    ),
    pytest.param(
        "{~buried =entombed} in Grant's tomb.",
        "fill_blanks",
        {
            "text": "{{1}} in Grant's tomb.",
            "gaps": [
                {
                    "id": "1",
                    "kind": "choice",
                    "choices": [
                        {"id": "a", "text": "buried", "weight": 0},
                        {"id": "b", "text": "entombed", "weight": 100},
                    ],
                }
            ],
        },
        id="missing-word-at-start",
    ),
    pytest.param(
        r"Escapes \~ \= \# \{ \} \: \\ \d{~a\~b =c\=d#fb\#1 ~e\{f\}g\:h}",
        "single_choice",
        {
            "choices": [
                choice("a", "a~b", 0),
                choice("b", "c=d", 100, "fb#1"),
                choice("c", "e{f}g:h", 0),
            ]
        },
        id="escapes",
    ),
    pytest.param(
        "Q {~%d and %s =%v}",
        "single_choice",
        {"choices": [choice("a", "%d and %s", 0), choice("b", "%v", 100)]},
        id="percent-text-is-not-a-weight",
    ),
    pytest.param(
        "Q {~%0%%50% off =full}",
        "single_choice",
        {"choices": [choice("a", "%50% off", 0), choice("b", "full", 100)]},
        id="explicit-weight-before-percent-text",
    ),
]


@pytest.mark.parametrize(("gift", "type_", "spec"), KINDS)
def test_each_gift_kind_becomes_our_type_and_spec(gift, type_, spec):
    [question] = parse_gift(gift)

    assert (question.type, question.spec) == (type_, spec)
    assert question.points == Decimal(1)


def test_question_fields_title_format_feedback_category_and_line():
    gift = (
        "// Вопросы по каналам\n"
        "$CATEGORY: $course$/top/Go/Каналы\n"
        "\n"
        "::Каналы::[markdown]Что делает `close(ch)`?\n"
        "Выберите ответ.{\n"
        "  =Закрывает канал#Верно\n"
        "  // комментарий внутри вопроса\n"
        "  ~Удаляет канал\n"
        "  ####См. спецификацию\\: *Close*\n"
        "}\n"
    )

    [question] = parse_gift(gift)

    assert question.title == "Каналы"
    assert question.text == "Что делает `close(ch)`?\nВыберите ответ."
    assert question.text_format == "markdown"
    assert question.general_feedback == "См. спецификацию: *Close*"
    assert question.category == "$course$/top/Go/Каналы"
    assert question.line == 4
    assert [c["text"] for c in question.spec["choices"]] == ["Закрывает канал", "Удаляет канал"]


@pytest.mark.parametrize("text_format", ["markdown", "html", "moodle", "plain"])
def test_format_prefixes(text_format):
    [question] = parse_gift(f"::t::[{text_format}]<b>Go</b>{{T}}")

    assert (question.text_format, question.text) == (text_format, "<b>Go</b>")


def test_defaults_without_title_format_or_category():
    [question] = parse_gift("Q{T}")

    assert (question.title, question.text_format, question.category) == ("", "moodle", "")
    assert question.general_feedback == ""


def test_brackets_that_are_not_a_format_stay_in_the_text():
    [question] = parse_gift(r"[]int\{1, 2\} — это срез?{T}")

    assert question.text == "[]int{1, 2} — это срез?"
    assert question.text_format == "moodle"


def test_moodle_prefix_keeps_a_literal_bracket_word():
    [question] = parse_gift("[moodle][Go] Что такое defer?{}")

    assert (question.text, question.text_format) == ("[Go] Что такое defer?", "moodle")


def test_escaped_newline_and_backslash():
    [question] = parse_gift(r"Строка 1\nСтрока 2, путь C\\new {=a\nb}")

    assert question.text == "Строка 1\nСтрока 2, путь C\\new"
    assert question.spec["answers"][0]["text"] == "a\nb"


def test_comments_blank_lines_categories_and_lines_across_a_file():
    gift = (
        "// header comment\n"  # 1
        "\n"  # 2
        "$CATEGORY: Основы\n"  # 3
        "::a::Q1{T}\n"  # 4
        "\n"  # 5
        "// comment between\n"  # 6
        "::b::Q2\n"  # 7
        "  // a comment line inside a question does not end it\n"  # 8
        "{F}\n"  # 9
        "\n\n\n"  # 10-12
        "$CATEGORY: Каналы\n"  # 13
        "\n"  # 14
        "::c::Q3 // not a comment here{=x}\n"  # 15
    )

    questions = parse_gift(gift)

    assert [(q.title, q.category, q.line) for q in questions] == [
        ("a", "Основы", 4),
        ("b", "Основы", 7),
        ("c", "Каналы", 15),
    ]
    assert questions[2].text == "Q3 // not a comment here"


def test_only_comments_and_categories_give_no_questions():
    assert parse_gift("// nothing\n\n$CATEGORY: x\n\n   \n") == []


def test_windows_line_endings_and_bom():
    [first, second] = parse_gift("\ufeff::a::Q{T}\r\n\r\n::b::Q{F}\r\n")

    assert (first.title, second.title, second.line) == ("a", "b", 3)


def test_choice_ids_continue_after_z():
    answers = " ".join(f"~c{i}" for i in range(27))
    [question] = parse_gift(f"Q{{={answers[1:]}}}")

    assert [c["id"] for c in question.spec["choices"]][-3:] == ["y", "z", "aa"]


def test_equality_ignores_the_line():
    [first] = parse_gift("Q{T}")
    [second] = parse_gift("\n\n\nQ{T}")

    assert first.line != second.line
    assert first == second


# (GIFT, line, question name, message fragment)
ERRORS = [
    pytest.param("::Каналы::Q {=a ~b", 1, "Каналы", "unterminated answer block", id="unterminated"),
    pytest.param(
        "::Каналы::Первая строка\nQ {\n=a\n~b\n",
        2,
        "Каналы",
        "unterminated answer block",
        id="unterminated-multiline",
    ),
    pytest.param("::Каналы Q {=a ~b}", 1, "::Каналы Q {=a ~b}", "unterminated title", id="title"),
    pytest.param("::t::Q {=a {~b}}", 1, "t", "nested '{'", id="nested"),
    pytest.param("::t::Q {=a ~b} и {=c ~d}", 1, "t", "more than one answer block", id="two-blocks"),
    pytest.param("::t::Q } {=a ~b}", 1, "t", "'}' without", id="stray-close"),
    pytest.param(
        "Очень длинный вопрос без заголовка, который обрезается на сорока символах {~a ~b}",
        1,
        "Очень длинный вопрос без заголовка, кото",
        "no correct answer",
        id="no-title-snippet",
    ),
    pytest.param("::t::Q {~a ~b}", 1, "t", "no correct answer", id="mc-no-correct"),
    pytest.param("::t::Q {~%-50%a ~b}", 1, "t", "no correct answer", id="mc-only-negative"),
    pytest.param("::t::Q {=%50%a ~b}", 1, "t", "no choice is worth 100%", id="single-no-full"),
    pytest.param("::t::Q {~%50%a ~%40%b}", 1, "t", "sum to 90%", id="multi-sum"),
    pytest.param("::t::Q {~ ~}", 1, "t", "empty answer", id="mc-empty-choices"),
    pytest.param("::t::Q {~a}", 1, "t", "at least 2 choices", id="mc-one-choice"),
    pytest.param("::t::Q {~=}", 1, "t", "empty answer", id="mc-markers-only"),
    pytest.param("::t::Q {=}", 1, "t", "empty answer", id="short-empty"),
    pytest.param("::t::Q {=a ~%150%b}", 1, "t", "outside -100..100", id="weight-high"),
    pytest.param("::t::Q {=a ~%-101%b}", 1, "t", "outside -100..100", id="weight-low"),
    pytest.param("::t::Q {=a =%50%b =%-200%c}", 1, "t", "outside -100..100", id="short-weight"),
    pytest.param("::t::Q {=%50%a}", 1, "t", "no answer is worth 100%", id="short-no-full"),
    pytest.param("::t::Q {#три}", 1, "t", "is not a number", id="numeric-nan"),
    pytest.param("::t::Q {#3,14}", 1, "t", "is not a number", id="numeric-comma"),
    pytest.param("::t::Q {#NaN}", 1, "t", "is not a number", id="numeric-NaN"),
    pytest.param("::t::Q {#3:x}", 1, "t", "tolerance 'x' is not a number", id="numeric-bad-tol"),
    pytest.param("::t::Q {#3:-0.5}", 1, "t", "tolerance -0.5 is negative", id="tolerance-negative"),
    pytest.param("::t::Q {#5..1}", 1, "t", "greater than maximum", id="range-min-max"),
    pytest.param("::t::Q {#1..}", 1, "t", "range maximum", id="range-open"),
    pytest.param("::t::Q {#}", 1, "t", "empty numeric answer", id="numeric-empty"),
    pytest.param(
        "::t::Q {#%50%3}", 1, "t", "no numeric answer is worth 100%", id="numeric-no-full"
    ),
    pytest.param("::t::Q {=a -> b =c}", 1, "t", "matching pair without '->'", id="matching-arrow"),
    pytest.param("::t::Q {=a -> b}", 1, "t", "at least 2 pairs", id="matching-one-pair"),
    pytest.param(
        "::t::Q {=a -> b =a -> c}", 1, "t", "duplicate matching prompt", id="matching-dup"
    ),
    pytest.param(
        "::t::Q {=a -> b =c -> d = -> b}", 1, "t", "also the answer", id="distractor-clash"
    ),
    pytest.param(
        "::t::Q {=a -> b =c -> d = -> e = -> e}",
        1,
        "t",
        "duplicate distractor",
        id="distractor-dup",
    ),
    pytest.param(
        "::t::Q {=a -> b#fb =c -> d}", 1, "t", "cannot have feedback", id="matching-feedback"
    ),
    pytest.param("::t::Q {=a -> =c -> d}", 1, "t", "empty right side", id="matching-empty-answer"),
    pytest.param("::t::{=a ~b}", 1, "t", "empty question text", id="no-text"),
    pytest.param(
        "::t::Go \\{\\{1\\}\\} {=a ~b} x", 1, "t", "already contains {{1}}", id="missing-gap-text"
    ),
    pytest.param(
        "::t::Q \ufdd0 {T}", 1, "::t::Q \ufdd0 {T}", "unsupported character U+FDD0", id="nonchar"
    ),
]


@pytest.mark.parametrize(("gift", "line", "name", "message"), ERRORS)
def test_malformed_input_names_the_line_and_the_question(gift, line, name, message):
    with pytest.raises(GiftError) as caught:
        parse_gift(gift, source="quiz.gift")

    error = caught.value
    assert message in error.message
    assert (error.line, error.question) == (line, name)
    assert str(error).startswith(f"quiz.gift:{line}: question '{name}': ")


def test_error_line_is_the_line_of_the_bad_answer_in_a_later_question():
    gift = "::ok::Q{T}\n\n::Каналы::Что закрывает канал?{\n  =close\n  ~%150%delete\n}\n"

    with pytest.raises(GiftError) as caught:
        parse_gift(gift, source="go.gift")

    assert str(caught.value) == ("go.gift:5: question 'Каналы': weight 150% is outside -100..100")


VALID = [p.values[0] for p in KINDS] + [
    "$CATEGORY: A\n\n::x::[html]<p>Q</p>{#1..2####общий}\n\n$CATEGORY: Б/В\n\nQ{}\n",
    "::t\\:1::Q{TRUE####gf}\n\n::t2::Q{F#wrong}\n\nQ{T##right}",
    "[]int — срез?{=да ~нет}",
    "[moodle]// не комментарий {=a ~b}",
    "Q{~%33.33333%a ~%66.66667%b}",
    "Go {# =3:0 =%50%3:1 ####все} x",
]


@pytest.mark.parametrize("gift", VALID)
def test_render_then_parse_gives_the_same_questions(gift):
    questions = parse_gift(gift)

    rendered = render_gift(questions)

    assert parse_gift(rendered) == questions


def test_rendered_gift_is_canonical_and_escaped():
    question = GiftQuestion(
        type="single_choice",
        title="Каналы: основы",
        text="Что делает {close}? a=b #1 ~x\nвторая строка",
        text_format="markdown",
        spec={"choices": [choice("a", "закрывает", 100, "да: верно"), choice("b", "%5% ~", 0)]},
        general_feedback="см. \\ спецификацию",
        category="Go/Каналы",
    )

    rendered = render_gift([question])

    assert rendered == (
        "$CATEGORY: Go/Каналы\n"
        "\n"
        "::Каналы\\: основы::[markdown]"
        "Что делает \\{close\\}? a\\=b \\#1 \\~x\\nвторая строка {\n"
        "\t=закрывает#да\\: верно\n"
        "\t~%0%%5% \\~\n"
        "\t####см. \\\\ спецификацию\n"
        "}\n"
    )
    assert parse_gift(rendered) == [question]


def test_category_lines_only_when_the_category_changes():
    questions = [
        GiftQuestion(type="true_false", text=f"Q{i}", spec=parse_gift("Q{T}")[0].spec, category=c)
        for i, c in enumerate(["", "a", "a", "b", ""])
    ]

    rendered = render_gift(questions)

    assert rendered.count("$CATEGORY:") == 3
    assert "$CATEGORY:\n" in rendered
    assert parse_gift(rendered) == questions


def test_render_accepts_stored_specs_without_optional_fields():
    stored = [
        GiftQuestion(type="true_false", text="Q", spec={"answer": False}),
        GiftQuestion(type="essay", text="Q", spec={}),
        GiftQuestion(
            type="matching",
            text="Q",
            spec={
                "pairs": [
                    {"id": "a", "prompt": "x", "answer": "1"},
                    {"id": "b", "prompt": "y", "answer": "2"},
                ]
            },
        ),
        GiftQuestion(
            type="short_text", text="Q", spec={"answers": [{"text": "a", "weight": "100"}]}
        ),
        GiftQuestion(
            type="numeric",
            text="Q",
            spec={"answers": [{"kind": "exact", "value": 3, "weight": 100}]},
        ),
    ]

    parsed = parse_gift(render_gift(stored))

    assert [q.type for q in parsed] == [q.type for q in stored]
    assert parsed[0].spec == {"answer": False, "feedback_true": "", "feedback_false": ""}
    assert parsed[2].spec["distractors"] == []
    assert parsed[3].spec["answers"] == [{"text": "a", "weight": 100, "feedback": ""}]
    assert parsed[4].spec["answers"][0]["value"] == "3"


@pytest.mark.parametrize(
    ("question", "message"),
    [
        (
            GiftQuestion(
                type="short_text", text="Q", spec={"answers": [{"regex": "^a$", "weight": 100}]}
            ),
            "regular-expression",
        ),
        (
            GiftQuestion(
                type="short_text", text="Q", spec={**short(("a", 100)), "case_sensitive": True}
            ),
            "case-insensitive",
        ),
        (GiftQuestion(type="short_text", text="Q", spec=short(("a->b", 100))), "'->'"),
        (GiftQuestion(type="essay", text="Q", spec={**ESSAY, "max_words": 300}), "word limits"),
        (
            GiftQuestion(
                type="multiple_choice",
                text="Q",
                spec={
                    "choices": [choice("a", "a", 100), choice("b", "b", 0)],
                    "scoring": "all_or_nothing",
                },
            ),
            "partially",
        ),
        (
            GiftQuestion(
                type="fill_blanks",
                text="Go {{1}}",
                spec={
                    "text": "Go {{1}}",
                    "gaps": [{"id": "1", "kind": "text", **short(("a", 100))}],
                },
            ),
            "at the end",
        ),
        (
            GiftQuestion(
                type="fill_blanks",
                text="{{1}} и {{2}}.",
                spec={"text": "{{1}} и {{2}}.", "gaps": []},
            ),
            "one gap",
        ),
        (
            GiftQuestion(
                type="ordering",  # type: ignore[arg-type]  # GIFT has no ordering questions
                text="Q",
                spec={"items": [], "scoring": "positions"},
            ),
            "no ordering",
        ),
        (
            GiftQuestion(type="true_false", text="Q", spec={"answer": True}, category="a\nb"),
            "one line",
        ),
    ],
)
def test_render_refuses_what_gift_cannot_express(question, message):
    with pytest.raises(GiftError, match=message):
        render_gift([question])


# --- property: any question GIFT can express survives render -> parse ------------------------

SPECIAL = "~=#{}:\\%[]/->*<&"
alphabet = st.sampled_from(list(SPECIAL + " \nabcxyz01.ёЁеабвгдюя"))


def texts(*, min_size: int = 1) -> st.SearchStrategy[str]:
    return (
        st.text(alphabet, min_size=min_size, max_size=20)
        .map(str.strip)
        .filter(lambda s: len(s) >= min_size)
    )


feedbacks = st.one_of(st.just(""), texts())
labels = texts().filter(lambda t: "]" not in t and "\n" not in t)
weights = st.sampled_from([0, 50, -50, 25, -100, 33.5, 12.34567])


def unique_by(key, elements, min_size, max_size):
    return st.lists(elements, min_size=min_size, max_size=max_size, unique_by=key)


@st.composite
def single_choice_specs(draw, *, with_feedback: bool = True) -> dict[str, Any]:
    choice_texts = draw(unique_by(lambda t: t, texts(), 2, 5))
    right = draw(st.integers(0, len(choice_texts) - 1))
    out = []
    for i, text in enumerate(choice_texts):
        weight = 100 if i == right else draw(st.sampled_from([100, 0, 50, -25]))
        out.append(
            choice(chr(ord("a") + i), text, weight, draw(feedbacks) if with_feedback else "")
        )
    if not with_feedback:
        for item in out:
            del item["feedback"]
    return {"choices": out}


@st.composite
def multiple_choice_specs(draw) -> dict[str, Any]:
    choice_texts = draw(unique_by(lambda t: t, texts(), 2, 5))
    positive = draw(st.integers(1, len(choice_texts)))
    shares = [100 // positive] * positive
    shares[0] += 100 - sum(shares)
    out = []
    for i, text in enumerate(choice_texts):
        weight = shares[i] if i < positive else draw(st.sampled_from([0, -50, -100]))
        out.append(choice(chr(ord("a") + i), text, weight, draw(feedbacks)))
    return {"choices": out, "scoring": "partial"}


def short_key(text: str) -> str:
    return " ".join(text.split()).casefold().replace("ё", "е")


def short_answer(draw, text: str) -> dict[str, str]:
    """A text answer, or (sometimes) Moodle's wildcard "*" made of it."""
    if draw(st.booleans()):
        return {"text": text}
    at = draw(st.integers(0, len(text)))
    pattern = text[:at] + "*" + text[at:]
    # (after a backslash the star is a literal star: no wildcard then)
    return {"regex": wildcard_regex(pattern)} if has_wildcard(pattern) else {"text": text}


@st.composite
def short_text_specs(draw) -> dict[str, Any]:
    answer_texts = draw(unique_by(short_key, texts().filter(lambda t: "->" not in t), 1, 4))
    answers = [
        {
            **short_answer(draw, t),
            "weight": 100 if i == 0 else draw(weights),
            "feedback": draw(feedbacks),
        }
        for i, t in enumerate(answer_texts)
    ]
    # Ours grade by the best answer, imported ones by the first (Moodle's order).
    order = {"first_match": True} if draw(st.booleans()) else {}
    return {
        "answers": draw(st.permutations(answers)),
        "case_sensitive": False,
        "yo_equals_e": True,
        **order,
    }


def in_moodle_order(spec: dict[str, Any]) -> dict[str, Any]:
    """A short answer as Moodle's first-match reader gets it from our export: as listed when
    it grades by the first match; else best weight first (ties as listed), which that reader
    grades as we do."""
    answers = spec["answers"]
    if not spec.get("first_match"):
        answers = sorted(answers, key=lambda a: -Decimal(str(a["weight"])))
    return {**spec, "answers": answers, "first_match": True}


def as_reimported(question: GiftQuestion) -> GiftQuestion:
    """What our export re-imports as: short answers and text gaps grade by the first match."""
    spec = question.spec
    if question.type == "short_text":
        spec = in_moodle_order(spec)
    elif question.type == "fill_blanks":
        gaps = [in_moodle_order(g) if g["kind"] == "text" else g for g in spec["gaps"]]
        spec = {**spec, "gaps": gaps}
    return dataclasses.replace(question, spec=spec)


numbers = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False).map(str)


@st.composite
def numeric_answers(draw) -> dict[str, Any]:
    kind = draw(st.sampled_from(["exact", "tolerance", "range"]))
    if kind == "exact":
        values = {"value": draw(numbers)}
    elif kind == "tolerance":
        values = {"value": draw(numbers), "tolerance": draw(numbers.filter(lambda n: n[0] != "-"))}
    else:
        low, high = sorted([draw(numbers), draw(numbers)], key=Decimal)
        values = {"min": low, "max": high}
    return {"kind": kind, **values, "weight": draw(weights), "feedback": draw(feedbacks)}


@st.composite
def numeric_specs(draw) -> dict[str, Any]:
    answers = draw(
        unique_by(
            lambda a: repr({k: v for k, v in a.items() if k not in ("weight", "feedback")}),
            numeric_answers(),
            1,
            3,
        )
    )
    answers[0]["weight"] = 100
    if draw(st.booleans()):  # GIFT's "~#feedback": any other number
        answers.append({"kind": "any", "weight": 0, "feedback": draw(feedbacks)})
    return {"answers": answers}


@st.composite
def matching_specs(draw) -> dict[str, Any]:
    prompts = draw(unique_by(lambda t: t, texts().filter(lambda t: "->" not in t), 2, 4))
    pairs = [
        {"id": chr(ord("a") + i), "prompt": p, "answer": draw(texts())}
        for i, p in enumerate(prompts)
    ]
    taken = {p["answer"] for p in pairs}
    distractors = draw(unique_by(lambda t: t, texts().filter(lambda t: t not in taken), 0, 2))
    return {"pairs": pairs, "distractors": distractors}


@st.composite
def fill_blank_specs(draw, text: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(["choice", "text", "numeric"]))
    if kind == "choice":
        gap = {"id": "1", "kind": "choice", **draw(single_choice_specs(with_feedback=False))}
    elif kind == "text":
        gap = {"id": "1", "kind": "text", **draw(short_text_specs())}
    else:
        gap = {"id": "1", "kind": "numeric", **draw(numeric_specs())}
    return {"text": text, "gaps": [gap]}


no_gap = texts().filter(lambda t: "{{1}}" not in t)


@st.composite
def gift_questions(draw) -> GiftQuestion:
    type_ = draw(st.sampled_from(get_args(QuestionType)))
    text = draw(texts())
    if type_ == "single_choice":
        spec = draw(single_choice_specs())
    elif type_ == "multiple_choice":
        spec = draw(multiple_choice_specs())
    elif type_ == "true_false":
        spec = {
            "answer": draw(st.booleans()),
            "feedback_true": draw(feedbacks),
            "feedback_false": draw(feedbacks),
        }
    elif type_ == "short_text":
        spec = draw(short_text_specs())
    elif type_ == "numeric":
        spec = draw(numeric_specs())
    elif type_ == "matching":
        spec = draw(matching_specs())
    elif type_ == "essay":
        spec = dict(ESSAY)
    elif type_ == "description":
        spec = {}
    else:
        before = draw(st.one_of(st.just(""), no_gap))
        after = draw(no_gap)
        text = (before + " {{1}} " + after).strip()
        spec = draw(fill_blank_specs(text))
    description = type_ == "description"
    return GiftQuestion(
        type=type_,
        title=draw(st.one_of(st.just(""), texts())),
        text=text,
        text_format=draw(st.sampled_from(["markdown", "html", "moodle", "plain"])),
        spec=spec,
        general_feedback="" if description else draw(feedbacks),
        category=draw(st.sampled_from(["", "Go", "$course$/Каналы/Основы", "a b"])),
        points=Decimal(0 if description else 1),
        tags=tuple(draw(st.lists(labels, max_size=3))),
        idnumber=draw(st.one_of(st.just(""), labels)),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(gift_questions(), min_size=1, max_size=4))
def test_any_expressible_question_survives_render_then_parse(questions):
    assert parse_gift(render_gift(questions)) == [as_reimported(q) for q in questions]


@settings(max_examples=200, deadline=None)
@given(short_text_specs(), st.lists(texts(), max_size=2))
def test_a_best_match_short_answer_exported_grades_every_response_the_same(spec, others):
    # Moodle takes the first answer that matches: our export of a best-match question must
    # order its answers so that the first match is the best one.
    question = GiftQuestion(type="short_text", title="q", text="Q", spec=spec)
    [again] = parse_gift(render_gift([question]))

    for response in [a.get("text", "") for a in spec["answers"]] + others + ["Квиз"]:
        graded = [
            grading.grade("short_text", q.spec, {"text": response}, Decimal(1))
            for q in (question, again)
        ]
        assert graded[0] == graded[1], response
