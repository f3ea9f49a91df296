"""GIFT as Moodle reads it: every construct of Moodle's GIFT documentation, the question Moodle
makes of it, and how answers to it are graded (the share of the points and the feedback)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from quizzes import grading
from quizzes.gift import BLANK, GiftError, parse_gift, render_gift


def choice(id_: str, text: str, weight: int | float, feedback: str = "") -> dict[str, Any]:
    return {"id": id_, "text": text, "weight": weight, "feedback": feedback}


def answer(text: str, weight: int = 100, feedback: str = "") -> dict[str, Any]:
    return {"text": text, "weight": weight, "feedback": feedback}


def short(*answers: dict[str, Any]) -> dict[str, Any]:
    return {
        "answers": list(answers), "case_sensitive": False, "yo_equals_e": True, "first_match": True
    }  # fmt: skip


def num(kind: str, weight: int = 100, feedback: str = "", **values: str) -> dict[str, Any]:
    return {"kind": kind, **values, "weight": weight, "feedback": feedback}


TF = {"feedback_true": "", "feedback_false": ""}

# (GIFT, type, text, spec, [(response, share, feedback)]): what Moodle makes of the GIFT, and
# responses graded as Moodle grades them.
CASES = [
    pytest.param(
        "Who's buried in Grant's tomb?{=Grant ~no one ~Napoleon ~Churchill ~Mother Teresa }",
        "single_choice",
        "Who's buried in Grant's tomb?",
        {
            "choices": [
                choice("a", "Grant", 100),
                choice("b", "no one", 0),
                choice("c", "Napoleon", 0),
                choice("d", "Churchill", 0),
                choice("e", "Mother Teresa", 0),
            ]
        },
        [({"choice": "a"}, 1, ()), ({"choice": "b"}, 0, ())],
        id="multiple-choice",
    ),
    pytest.param(
        "What two people are entombed in Grant's tomb? {\n"
        "   ~%-100%No one\n   ~%50%Grant\n   ~%50%Grant's wife\n   ~%-100%Grant's father\n}",
        "multiple_choice",
        "What two people are entombed in Grant's tomb?",
        {
            "choices": [
                choice("a", "No one", -100),
                choice("b", "Grant", 50),
                choice("c", "Grant's wife", 50),
                choice("d", "Grant's father", -100),
            ],
            "scoring": "partial",
        },
        [
            ({"choices": ["b", "c"]}, 1, ()),
            ({"choices": ["b"]}, Fraction(1, 2), ()),
            ({"choices": ["a", "b", "c"]}, 0, ()),
        ],
        id="multiple-answers",
    ),
    pytest.param(
        "Grant is {~buried =entombed ~living} in Grant's tomb.",
        "fill_blanks",
        "Grant is {{1}} in Grant's tomb.",
        {
            "text": "Grant is {{1}} in Grant's tomb.",
            "gaps": [
                {
                    "id": "1",
                    "kind": "choice",
                    "choices": [
                        {"id": "a", "text": "buried", "weight": 0},
                        {"id": "b", "text": "entombed", "weight": 100},
                        {"id": "c", "text": "living", "weight": 0},
                    ],
                }
            ],
        },
        [({"gaps": {"1": "b"}}, 1, ()), ({"gaps": {"1": "a"}}, 0, ())],
        id="missing-word-choice",
    ),
    pytest.param(
        "Grant is buried in Grant's tomb.{F}",
        "true_false",
        "Grant is buried in Grant's tomb.",
        {"answer": False, **TF},
        [({"value": False}, 1, ()), ({"value": True}, 0, ())],
        id="false",
    ),
    pytest.param(
        "The sun rises in the east.{T}",
        "true_false",
        "The sun rises in the east.",
        {"answer": True, **TF},
        [({"value": True}, 1, ())],
        id="true",
    ),
    pytest.param(
        "Who's buried in Grant's tomb?{=Grant =Ulysses S. Grant =Ulysses Grant}",
        "short_text",
        "Who's buried in Grant's tomb?",
        short(answer("Grant"), answer("Ulysses S. Grant"), answer("Ulysses Grant")),
        [({"text": "ulysses grant"}, 1, ()), ({"text": "Lincoln"}, 0, ())],
        id="short-answer",
    ),
    pytest.param(
        "Two plus two equals {=four =4}.",
        "fill_blanks",
        "Two plus two equals {{1}}.",
        {
            "text": "Two plus two equals {{1}}.",
            "gaps": [{"id": "1", "kind": "text", **short(answer("four"), answer("4"))}],
        },
        [({"gaps": {"1": "4"}}, 1, ()), ({"gaps": {"1": "5"}}, 0, ())],
        id="missing-word-short-answer",
    ),
    pytest.param(
        "Match the following countries with their corresponding capitals. {\n"
        "   =Canada -> Ottawa\n   =Italy  -> Rome\n   =Japan  -> Tokyo\n   =India  -> New Delhi\n"
        "   ####It's good to know the capitals\n}",
        "matching",
        "Match the following countries with their corresponding capitals.",
        {
            "pairs": [
                {"id": "a", "prompt": "Canada", "answer": "Ottawa"},
                {"id": "b", "prompt": "Italy", "answer": "Rome"},
                {"id": "c", "prompt": "Japan", "answer": "Tokyo"},
                {"id": "d", "prompt": "India", "answer": "New Delhi"},
            ],
            "distractors": [],
        },
        [
            ({"matches": {"a": "Ottawa", "b": "Rome", "c": "Tokyo", "d": "New Delhi"}}, 1, ()),
            ({"matches": {"a": "Ottawa", "b": "Tokyo"}}, Fraction(1, 4), ()),
        ],
        id="matching",
    ),
    pytest.param(
        "When was Ulysses S. Grant born?{#1822:5}",
        "numeric",
        "When was Ulysses S. Grant born?",
        {"answers": [num("tolerance", value="1822", tolerance="5")]},
        [({"text": "1826"}, 1, ()), ({"text": "1828"}, 0, ())],
        id="numeric-tolerance",
    ),
    pytest.param(
        "What is the value of pi (to 3 decimal places)? {#3.141..3.142}.",
        "fill_blanks",
        "What is the value of pi (to 3 decimal places)? {{1}}.",
        {
            "text": "What is the value of pi (to 3 decimal places)? {{1}}.",
            "gaps": [
                {"id": "1", "kind": "numeric", "answers": [num("range", min="3.141", max="3.142")]}
            ],
        },
        [({"gaps": {"1": "3.1415"}}, 1, ()), ({"gaps": {"1": "3.14"}}, 0, ())],
        id="numeric-range-missing-word",
    ),
    pytest.param(
        "When was Ulysses S. Grant born? {#\n    =1822:0      # Correct! Full credit.\n"
        "    =%50%1822:2 # He was born in 1822. Half credit for being close.\n}",
        "numeric",
        "When was Ulysses S. Grant born?",
        {
            "answers": [
                num("tolerance", feedback="Correct! Full credit.", value="1822", tolerance="0"),
                num(
                    "tolerance",
                    50,
                    "He was born in 1822. Half credit for being close.",
                    value="1822",
                    tolerance="2",
                ),
            ]
        },
        [
            ({"text": "1822"}, 1, ("Correct! Full credit.",)),
            (
                {"text": "1823"},
                Fraction(1, 2),
                ("He was born in 1822. Half credit for being close.",),
            ),
        ],
        id="numeric-several-answers-partial-credit",
    ),
    pytest.param(
        "Сколько будет 2+2? {#4 =%50%5 ~#Посчитайте ещё раз}",
        "numeric",
        "Сколько будет 2+2?",
        {
            "answers": [
                num("exact", value="4"),
                num("exact", 50, value="5"),
                num("any", 0, "Посчитайте ещё раз"),
            ]
        },
        [
            ({"text": "4"}, 1, ()),
            ({"text": "5"}, Fraction(1, 2), ()),
            ({"text": "7"}, 0, ("Посчитайте ещё раз",)),
        ],
        id="numeric-first-answer-without-equals-and-catch-all-feedback",
    ),
    pytest.param(
        "Write a short biography of Dag Hammarskjöld. {}",
        "essay",
        "Write a short biography of Dag Hammarskjöld.",
        {"min_words": 0, "max_words": None, "grader_info": ""},
        [],
        id="essay",
    ),
    pytest.param(
        "You can use your pencil and paper for these next math questions.",
        "description",
        "You can use your pencil and paper for these next math questions.",
        {},
        [(None, 0, ()), ({"text": "anything"}, 0, ())],
        id="description",
    ),
    pytest.param(
        "What's the answer to this multiple-choice question? {\n"
        "~wrong answer#feedback comment on the wrong answer\n"
        "~another wrong answer#feedback comment on this wrong answer\n"
        "=right answer#Very good!}",
        "single_choice",
        "What's the answer to this multiple-choice question?",
        {
            "choices": [
                choice("a", "wrong answer", 0, "feedback comment on the wrong answer"),
                choice("b", "another wrong answer", 0, "feedback comment on this wrong answer"),
                choice("c", "right answer", 100, "Very good!"),
            ]
        },
        [
            ({"choice": "c"}, 1, ("Very good!",)),
            ({"choice": "a"}, 0, ("feedback comment on the wrong answer",)),
        ],
        id="feedback",
    ),
    pytest.param(
        "Grant is buried in Grant's tomb.{FALSE#No one is buried in Grant's tomb.#Right!}",
        "true_false",
        "Grant is buried in Grant's tomb.",
        {
            "answer": False,
            "feedback_true": "No one is buried in Grant's tomb.",
            "feedback_false": "Right!",
        },
        [
            ({"value": True}, 0, ("No one is buried in Grant's tomb.",)),
            ({"value": False}, 1, ("Right!",)),
        ],
        id="true-false-feedback",
    ),
    pytest.param(
        "Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}",
        "single_choice",
        "Difficult question.",
        {
            "choices": [
                choice("a", "wrong answer", 0),
                choice("b", "half credit answer", 50),
                choice("c", "full credit answer", 100),
            ]
        },
        [({"choice": "b"}, Fraction(1, 2), ())],
        id="percentage-weights",
    ),
    pytest.param(
        "::Jesus' hometown::Jesus Christ was from {\n"
        "    ~Jerusalem#This was an important city, but the wrong answer.\n"
        "    ~%25%Bethlehem#He was born here, but not raised here.\n"
        "    ~%50%Galilee#You need to be more specific.\n"
        "    =Nazareth#Yes! That's right!\n}.",
        "single_choice",
        f"Jesus Christ was from {BLANK}.",
        {
            "choices": [
                choice("a", "Jerusalem", 0, "This was an important city, but the wrong answer."),
                choice("b", "Bethlehem", 25, "He was born here, but not raised here."),
                choice("c", "Galilee", 50, "You need to be more specific."),
                choice("d", "Nazareth", 100, "Yes! That's right!"),
            ]
        },
        [({"choice": "c"}, Fraction(1, 2), ("You need to be more specific.",))],
        id="missing-word-with-feedback-keeps-its-type",
    ),
    pytest.param(
        "::Jesus' hometown:: Jesus Christ was from {\n"
        "    =Nazareth#Yes! That's right!\n"
        "    =%75%Nazereth#Right, but misspelled.\n"
        "    =%25%Bethlehem#He was born here, but not raised here.\n}",
        "short_text",
        "Jesus Christ was from",
        short(
            answer("Nazareth", 100, "Yes! That's right!"),
            answer("Nazereth", 75, "Right, but misspelled."),
            answer("Bethlehem", 25, "He was born here, but not raised here."),
        ),
        [({"text": "nazereth"}, Fraction(3, 4), ("Right, but misspelled.",))],
        id="short-answer-weights",
    ),
    pytest.param(
        "How many legs has a spider? {=8 ####Spiders are arachnids.}",
        "short_text",
        "How many legs has a spider?",
        short(answer("8")),
        [({"text": "8"}, 1, ())],
        id="general-feedback",
    ),
    pytest.param(
        "What is a forum for? {=Forum =%50%*#Partial credit}",
        "short_text",
        "What is a forum for?",
        short(answer("Forum"), {"regex": ".*", "weight": 50, "feedback": "Partial credit"}),
        [
            ({"text": "forum"}, 1, ()),
            ({"text": "Quiz"}, Fraction(1, 2), ("Partial credit",)),
            ({"text": "*"}, Fraction(1, 2), ("Partial credit",)),
        ],
        id="wildcard-gives-its-weight-to-any-other-answer",
    ),
    pytest.param(
        # qtype_shortanswer::get_matching_answer takes the first answer that matches, in the
        # order given: a wildcard listed first grades every response, the right one too.
        "What is a forum for? {=%50%*#Any answer =Forum#Right}",
        "short_text",
        "What is a forum for?",
        short(
            {"regex": ".*", "weight": 50, "feedback": "Any answer"}, answer("Forum", 100, "Right")
        ),
        [
            ({"text": "Forum"}, Fraction(1, 2), ("Any answer",)),
            ({"text": "Quiz"}, Fraction(1, 2), ("Any answer",)),
        ],
        id="the-first-matching-answer-grades-not-the-best",
    ),
    pytest.param(
        "Name a Go keyword. {=%30%go* =goto#Yes =%80%go#Almost}",
        "short_text",
        "Name a Go keyword.",
        short(
            {"regex": "go.*", "weight": 30, "feedback": ""},
            answer("goto", 100, "Yes"),
            answer("go", 80, "Almost"),
        ),
        [
            ({"text": "goto"}, Fraction(3, 10), ()),
            ({"text": "GO"}, Fraction(3, 10), ()),
            ({"text": "func"}, 0, ()),
        ],
        id="an-earlier-wildcard-hides-later-exact-answers",
    ),
    pytest.param(
        "Name a Go channel operation. {=close(*) =%50%*<-*#Close: a send or a receive}",
        "short_text",
        "Name a Go channel operation.",
        short(
            {"regex": r"close\(.*\)", "weight": 100, "feedback": ""},
            {"regex": ".*<-.*", "weight": 50, "feedback": "Close: a send or a receive"},
        ),
        [
            ({"text": "CLOSE(ch)"}, 1, ()),
            ({"text": "v := <-ch"}, Fraction(1, 2), ("Close: a send or a receive",)),
            ({"text": "go f()"}, 0, ()),
        ],
        id="wildcards-inside-an-answer",
    ),
    pytest.param(
        "Сколько будет 2\\*3? {=6 =2\\*3}",
        "short_text",
        "Сколько будет 2\\*3?",
        short(answer("6"), answer("2*3")),
        [({"text": "2*3"}, 1, ()), ({"text": "2x3"}, 0, ())],
        id="escaped-star-is-a-star",
    ),
    pytest.param(
        "The sky is {T} blue.",
        "true_false",
        f"The sky is {BLANK} blue.",
        {"answer": True, **TF},
        [({"value": True}, 1, ())],
        id="missing-word-true-false",
    ),
    pytest.param(
        "Go has {~%50%goroutines ~%50%channels ~%-100%classes} built in.",
        "multiple_choice",
        f"Go has {BLANK} built in.",
        {
            "choices": [
                choice("a", "goroutines", 50),
                choice("b", "channels", 50),
                choice("c", "classes", -100),
            ],
            "scoring": "partial",
        },
        [({"choices": ["a", "b"]}, 1, ())],
        id="missing-word-multiple-answers",
    ),
    pytest.param(
        "Describe {} in your words.",
        "essay",
        f"Describe {BLANK} in your words.",
        {"min_words": 0, "max_words": None, "grader_info": ""},
        [],
        id="missing-word-essay",
    ),
    pytest.param(
        "Which answer equals 5? { ~ \\= 2 + 2 = \\= 2 + 3 ~ \\= 2 + 4 }",
        "single_choice",
        "Which answer equals 5?",
        {
            "choices": [
                choice("a", "= 2 + 2", 0),
                choice("b", "= 2 + 3", 100),
                choice("c", "= 2 + 4", 0),
            ]
        },
        [({"choice": "b"}, 1, ())],
        id="special-characters",
    ),
    pytest.param(
        "Столица Франции? {Париж =Paris}",
        "short_text",
        "Столица Франции?",
        short(answer("Париж"), answer("Paris")),
        [({"text": "париж"}, 1, ())],
        id="short-answer-text-before-the-first-equals",
    ),
    pytest.param(
        "Столица Франции? {Лион ~Марсель =Париж}",
        "single_choice",
        "Столица Франции?",
        {
            "choices": [
                choice("a", "Лион", 0),
                choice("b", "Марсель", 0),
                choice("c", "Париж", 100),
            ]
        },
        [({"choice": "a"}, 0, ()), ({"choice": "c"}, 1, ())],
        id="choice-text-before-the-first-marker",
    ),
    pytest.param(
        "Q {=a =a ~b}",
        "single_choice",
        "Q",
        {"choices": [choice("a", "a", 100), choice("b", "a", 100), choice("c", "b", 0)]},
        [({"choice": "b"}, 1, ())],
        id="duplicate-choices-allowed",
    ),
    pytest.param(
        "Is this true? {true}",
        "short_text",
        "Is this true?",
        short(answer("true")),
        [({"text": "TRUE"}, 1, ())],
        id="lowercase-true-is-a-short-answer",
    ),
    pytest.param(
        "[markdown]Которое **верно**? {\n"
        "  =[plain]a *b*#[plain]*так*\n"
        "  ~[html]<b>c</b> &amp; d#[html]<i>нет</i>\n"
        "  ####[plain]1 < 2\n}",
        "single_choice",
        "Которое **верно**?",
        {
            "choices": [
                choice("a", "a *b*", 100, "\\*так\\*"),
                choice("b", "c & d", 0, "<i>нет</i>"),
            ]
        },
        [({"choice": "a"}, 1, ("\\*так\\*",))],
        id="format-markers-on-answers-and-feedback",
    ),
    pytest.param(
        "::t::[html]<p>Pick</p>{=<b>x</b>#<i>yes</i> ~[plain]<y> ####[markdown]**See**}",
        "single_choice",
        "<p>Pick</p>",
        {"choices": [choice("a", "x", 100, "<i>yes</i>"), choice("b", "<y>", 0)]},
        [({"choice": "a"}, 1, ("<i>yes</i>",))],
        id="html-question-choices-shown-as-text",
    ),
    pytest.param(
        "Match. {=[html]<b>Go</b> -> Google =[plain]Rust -> Mozilla}",
        "matching",
        "Match.",
        {
            "pairs": [
                {"id": "a", "prompt": "Go", "answer": "Google"},
                {"id": "b", "prompt": "Rust", "answer": "Mozilla"},
            ],
            "distractors": [],
        },
        [({"matches": {"a": "Google", "b": "Mozilla"}}, 1, ())],
        id="format-markers-on-matching-items",
    ),
    pytest.param(
        "Q {=[plain]blue}",
        "short_text",
        "Q",
        short(answer("[plain]blue")),
        [({"text": "[plain]blue"}, 1, ())],
        id="short-answers-are-plain-text-in-moodle",
    ),
    pytest.param(
        "[unknown] text {T}",
        "true_false",
        "[unknown] text",
        {"answer": True, **TF},
        [],
        id="unknown-bracket-word-stays-text",
    ),
]


@pytest.mark.parametrize(("gift", "type_", "text", "spec", "graded"), CASES)
def test_moodle_documented_gift_becomes_the_question_moodle_makes(gift, type_, text, spec, graded):
    [question] = parse_gift(gift)

    assert (question.type, question.text, question.spec) == (type_, text, spec)
    grading.validate_spec(question.type, question.spec)
    for response, share, feedback in graded:
        result = grading.grade(question.type, question.spec, response, Decimal(1))
        assert (result.share, result.feedback) == (Fraction(share), feedback), response


@pytest.mark.parametrize(("gift", "type_", "text", "spec", "graded"), CASES)
def test_each_documented_case_round_trips_through_our_export(gift, type_, text, spec, graded):
    questions = parse_gift(gift)

    assert parse_gift(render_gift(questions)) == questions


def test_general_feedback_in_another_format_is_converted():
    [question] = parse_gift("::t::[html]Q {T ####[markdown]**See** the docs}")

    assert question.general_feedback == "<p><strong>See</strong> the docs</p>"
    [plain] = parse_gift("::t::[markdown]Q {T ####[plain]a_b*c}")
    assert plain.general_feedback == "a\\_b\\*c"


def test_description_is_worth_nothing_and_keeps_title_and_format():
    [question] = parse_gift("::Intro::[markdown]Next: **maths**.\nUse paper.")

    assert question.type == "description"
    assert (question.title, question.text, question.text_format) == (
        "Intro",
        "Next: **maths**.\nUse paper.",
        "markdown",
    )
    assert question.points == 0
    result = grading.grade("description", {}, None, question.points)
    assert (result.score, result.needs_manual) == (0, False)


def test_tags_and_id_number_from_comments_above_the_question():
    gift = (
        "// question: 12  name: Q1\n"
        "// [id:GO-1] [tag:каналы] [tag: основы ]\n"
        "::Q1::Channels? {T}\n"
        "\n"
        "// [tag:lost] a comment block alone belongs to no question\n"
        "\n"
        "::Q2::No tags {F}\n"
    )

    first, second = parse_gift(gift)

    assert (first.idnumber, first.tags) == ("GO-1", ("каналы", "основы"))
    assert (second.idnumber, second.tags) == ("", ())
    rendered = render_gift([first, second])
    assert "// [id:GO-1] [tag:каналы] [tag:основы]\n::Q1::" in rendered
    assert parse_gift(rendered) == [first, second]


def test_every_category_is_kept_on_its_questions():
    gift = (
        "$CATEGORY: $course$/top/Default for Go/Каналы\n\n"
        "::a::Q{T}\n\n"
        "$CATEGORY: $course$/top/Default for Go/Горутины\n\n"
        "::b::Q{T}\n\n"
        "::c::Q{T}\n"
    )

    assert [(q.title, q.category) for q in parse_gift(gift)] == [
        ("a", "$course$/top/Default for Go/Каналы"),
        ("b", "$course$/top/Default for Go/Горутины"),
        ("c", "$course$/top/Default for Go/Горутины"),
    ]


def test_duplicate_names_are_allowed():
    first, second = parse_gift("::Same::One {T}\n\n::Same::Two {F}\n")

    assert (first.title, second.title) == ("Same", "Same")


def test_one_bad_question_is_skipped_and_named_the_rest_is_read():
    problems: list[GiftError] = []
    gift = "::a::Q{T}\n\n::b::Q {#x}\n\n::c::Q {=a ~b\n\n::d::Q{F}\n"

    questions = parse_gift(gift, source="bank.gift", problems=problems)

    assert [q.title for q in questions] == ["a", "d"]
    assert [(p.line, p.question) for p in problems] == [(3, "b"), (5, "c")]
    assert "not a number" in problems[0].message


def test_render_writes_the_wildcard_and_the_catch_all_back():
    [question] = parse_gift("Q {=a =%50%*#Partial ~%0%x}")
    assert question.type == "single_choice"  # ("~" makes it a choice, as in Moodle)

    [wild] = parse_gift("Q {=Forum =%50%*#Partial credit}")
    assert "=%50%*#Partial credit" in render_gift([wild])
    [numeric] = parse_gift("Q {#4 ~#Посчитайте}")
    assert "~#Посчитайте" in render_gift([numeric])
