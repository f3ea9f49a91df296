"""Moodle XML: a file per question type as Moodle writes it, read into our questions and
written back; hostile files refused; our export re-imports to the same questions."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes import grading
from quizzes.gift import GiftError, GiftQuestion
from quizzes.moodle_xml import (
    MoodleXmlError,
    MoodleXmlRenderError,
    parse_moodle_xml,
    render_moodle_xml,
)
from tests.quizzes.test_gift import as_reimported, gift_questions

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def xml(*questions: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n"


def head(kind: str, name: str, text: str, text_format: str = "html") -> str:
    return (
        f'<question type="{kind}"><name><text>{name}</text></name>'
        f'<questiontext format="{text_format}"><text><![CDATA[{text}]]></text></questiontext>'
        '<generalfeedback format="html"><text></text></generalfeedback>'
        "<defaultgrade>1.0000000</defaultgrade><penalty>0.3333333</penalty>"
        "<hidden>0</hidden><idnumber></idnumber>"
    )


def answer(fraction: str, text: str, feedback: str = "", text_format: str = "html") -> str:
    return (
        f'<answer fraction="{fraction}" format="{text_format}"><text><![CDATA[{text}]]></text>'
        f'<feedback format="html"><text><![CDATA[{feedback}]]></text></feedback></answer>'
    )


# (XML of one question, type, spec)
TYPES = [
    pytest.param(
        head("multichoice", "Каналы", "<p>Что делает <code>close(ch)</code>?</p>")
        + "<single>true</single><shuffleanswers>true</shuffleanswers>"
        + answer("100", "<p>Закрывает канал</p>", "<p>Верно</p>")
        + answer("0", "Удаляет канал")
        + "<hint format='html'><text>Подумайте</text></hint></question>",
        "single_choice",
        {
            "choices": [
                {"id": "a", "text": "Закрывает канал", "weight": 100, "feedback": "<p>Верно</p>"},
                {"id": "b", "text": "Удаляет канал", "weight": 0, "feedback": ""},
            ]
        },
        id="multichoice-single",
    ),
    pytest.param(
        head("multichoice", "Типы", "Ссылочные типы?")
        + "<single>false</single>"
        + answer("50", "map")
        + answer("50", "slice")
        + answer("-100", "int")
        + "</question>",
        "multiple_choice",
        {
            "choices": [
                {"id": "a", "text": "map", "weight": 50, "feedback": ""},
                {"id": "b", "text": "slice", "weight": 50, "feedback": ""},
                {"id": "c", "text": "int", "weight": -100, "feedback": ""},
            ],
            "scoring": "partial",
        },
        id="multichoice-multiple",
    ),
    pytest.param(
        head("truefalse", "Горутины", "Горутины легче потоков.")
        + answer("100", "true", "Да", "moodle_auto_format")
        + answer("0", "false", "Нет", "moodle_auto_format")
        + "</question>",
        "true_false",
        {"answer": True, "feedback_true": "Да", "feedback_false": "Нет"},
        id="truefalse",
    ),
    pytest.param(
        head("shortanswer", "Форум", "What is a forum for?")
        + "<usecase>0</usecase>"
        + answer("100", "Forum", "", "moodle_auto_format")
        + answer("50", "*", "Partial credit", "moodle_auto_format")
        + "</question>",
        "short_text",
        {
            "answers": [
                {"text": "Forum", "weight": 100, "feedback": ""},
                {"regex": ".*", "weight": 50, "feedback": "Partial credit"},
            ],
            "case_sensitive": False,
            "yo_equals_e": True,
            "first_match": True,
        },
        id="shortanswer-wildcard",
    ),
    pytest.param(
        head("numerical", "Грант", "When was Ulysses S. Grant born?")
        + answer("100", "1822")
        + answer("50", "1822").replace("</answer>", "<tolerance>2</tolerance></answer>")
        + answer("0", "*", "No")
        + "<units></units></question>",
        "numeric",
        {
            "answers": [
                {"kind": "exact", "value": "1822", "weight": 100, "feedback": ""},
                {
                    "kind": "tolerance",
                    "value": "1822",
                    "tolerance": "2",
                    "weight": 50,
                    "feedback": "",
                },
                {"kind": "any", "weight": 0, "feedback": "No"},
            ]
        },
        id="numerical",
    ),
    pytest.param(
        head("matching", "Столицы", "Match the capitals.")
        + "<shuffleanswers>true</shuffleanswers>"
        + '<subquestion format="html"><text><![CDATA[<p>Canada</p>]]></text>'
        "<answer><text>Ottawa</text></answer></subquestion>"
        + '<subquestion format="html"><text>Italy</text><answer><text>Rome</text></answer>'
        "</subquestion>"
        + '<subquestion format="html"><text></text><answer><text>Paris</text></answer>'
        "</subquestion></question>",
        "matching",
        {
            "pairs": [
                {"id": "a", "prompt": "Canada", "answer": "Ottawa"},
                {"id": "b", "prompt": "Italy", "answer": "Rome"},
            ],
            "distractors": ["Paris"],
        },
        id="matching-with-distractor",
    ),
    pytest.param(
        head("essay", "Биография", "Write a short biography.")
        + "<responseformat>editor</responseformat><minwordlimit>50</minwordlimit>"
        "<maxwordlimit>200</maxwordlimit>"
        '<graderinfo format="markdown"><text>Look for **dates**</text></graderinfo>'
        "</question>",
        "essay",
        {"min_words": 50, "max_words": 200, "grader_info": "Look for **dates**"},
        id="essay",
    ),
    pytest.param(
        head(
            "cloze",
            "Пропуски",
            "<p>Оператор {1:SHORTANSWER:=go#Верно~%50%*#Почти} запускает горутину,"
            " их {1:MULTICHOICE:=много~одна}; &lt;e&gt; = {1:NUMERICAL:=2.718:0.01~*#Нет}</p>",
        )
        + "</question>",
        "fill_blanks",
        {
            "text": "Оператор {{1}} запускает горутину, их {{2}}; <e> = {{3}}",
            "gaps": [
                {
                    "id": "1",
                    "kind": "text",
                    "answers": [
                        {"text": "go", "weight": 100, "feedback": "Верно"},
                        {"regex": ".*", "weight": 50, "feedback": "Почти"},
                    ],
                    "case_sensitive": False,
                    "yo_equals_e": True,
                    "first_match": True,
                },
                {
                    "id": "2",
                    "kind": "choice",
                    "choices": [
                        {"id": "a", "text": "много", "weight": 100},
                        {"id": "b", "text": "одна", "weight": 0},
                    ],
                },
                {
                    "id": "3",
                    "kind": "numeric",
                    "answers": [
                        {
                            "kind": "tolerance",
                            "value": "2.718",
                            "tolerance": "0.01",
                            "weight": 100,
                            "feedback": "",
                        },
                        {"kind": "any", "weight": 0, "feedback": "Нет"},
                    ],
                },
            ],
        },
        id="cloze",
    ),
    pytest.param(
        head("description", "Вступление", "Next: maths.") + "</question>",
        "description",
        {},
        id="description",
    ),
    pytest.param(
        head("ordering", "Порядок", "Put in order.")
        + "<gradingtype>ABSOLUTE_POSITION</gradingtype>"
        + answer("1", "first")
        + answer("2", "second")
        + "</question>",
        "ordering",
        {
            "items": [{"id": "a", "text": "first"}, {"id": "b", "text": "second"}],
            "scoring": "positions",
        },
        id="ordering",
    ),
]


@pytest.mark.parametrize(("question_xml", "type_", "spec"), TYPES)
def test_each_moodle_type_becomes_our_type_and_round_trips(question_xml, type_, spec):
    [question] = parse_moodle_xml(xml(question_xml))

    assert (question.type, question.spec) == (type_, spec)
    grading.validate_spec(question.type, question.spec)
    assert parse_moodle_xml(render_moodle_xml([question])) == [question]


def test_question_fields_category_tags_id_and_points():
    text = xml(
        '<question type="category"><category><text>$course$/top/Go/Каналы</text></category>'
        "</question>",
        head("truefalse", "Q1", "<p>Go?</p>")
        .replace("<defaultgrade>1.0000000", "<defaultgrade>2.5000000")
        .replace("<idnumber></idnumber>", "<idnumber>GO-1</idnumber>")
        + answer("0", "true")
        + answer("100", "false")
        + "<tags><tag><text>каналы</text></tag><tag><text>основы</text></tag></tags>"
        "</question>",
    )

    [question] = parse_moodle_xml(text)

    assert question.category == "$course$/top/Go/Каналы"
    assert (question.title, question.text, question.text_format) == ("Q1", "<p>Go?</p>", "html")
    assert (question.points, question.idnumber, question.tags) == (
        Decimal("2.5"),
        "GO-1",
        ("каналы", "основы"),
    )
    assert question.spec["answer"] is False


def test_images_come_with_the_question_and_go_back_out():
    picture = base64.b64encode(PNG).decode()
    text = xml(
        head(
            "truefalse", "Pic", '<p><img src="@@PLUGINFILE@@/chan.png" alt="a channel"></p>'
        ).replace(
            "</text></questiontext>",
            f'</text><file name="chan.png" path="/" encoding="base64">{picture}</file>'
            "</questiontext>",
        )
        + answer("100", "true")
        + answer("0", "false")
        + "</question>"
    )

    [question] = parse_moodle_xml(text)

    [file] = question.files
    assert (file.name, file.content_type, file.data) == ("chan.png", "image/png", PNG)
    assert parse_moodle_xml(render_moodle_xml([question])) == [question]


@pytest.mark.parametrize(
    ("file_xml", "message"),
    [
        (
            '<file name="x.svg" encoding="base64">'
            + base64.b64encode(b"<svg onload='alert(1)'/>").decode()
            + "</file>",
            "not a PNG, JPEG or GIF",
        ),
        ('<file name="x.png" encoding="base64">!!!</file>', "not valid base64"),
        ('<file name="../x.png" encoding="base64">AAAA</file>', "not allowed"),
        (
            '<file name="x.png" encoding="base64">'
            + base64.b64encode(PNG * 200_000).decode()
            + "</file>",
            "is over",
        ),
    ],
)
def test_files_other_than_small_images_skip_their_question(file_xml, message):
    text = xml(
        head("description", "Bad", '<img src="@@PLUGINFILE@@/x.png">').replace(
            "</text></questiontext>", f"</text>{file_xml}</questiontext>"
        )
        + "</question>",
        head("description", "Good", "fine") + "</question>",
    )
    problems: list[GiftError] = []

    questions = parse_moodle_xml(text, source="bank.xml", problems=problems)

    assert [q.title for q in questions] == ["Good"]
    [problem] = problems
    assert message in problem.message
    assert (problem.line, problem.question) == (1, "Bad")


def test_unknown_types_are_skipped_with_a_message_the_rest_is_read():
    text = xml(
        head("calculated", "Calc", "{a} + {b}?") + "</question>",
        head("cloze", "Weights", "{1:SA:=a} and {2:SA:=b}") + "</question>",
        head("coderunner", "Sqr", "Write sqr(n)")
        + "<coderunnertype>python3</coderunnertype><answer>def sqr(n): return n * n</answer>"
        "</question>",
        head("description", "Text", "Hello") + "</question>",
        head("numerical", "Units", "Speed?")
        + answer("100", "3")
        + "<units><unit><multiplier>1</multiplier><unit_name>m/s</unit_name></unit></units>"
        "</question>",
    )
    problems: list[GiftError] = []

    questions = parse_moodle_xml(text, source="bank.xml", problems=problems)

    assert [q.title for q in questions] == ["Text"]
    assert [str(p) for p in problems] == [
        "bank.xml:1: question 'Calc': question type 'calculated' is not supported",
        "bank.xml:2: question 'Weights': gaps of different weights (ours are worth equal shares)",
        "bank.xml:3: question 'Sqr': a CodeRunner question is an exercise, not a quiz question",
        "bank.xml:5: question 'Units': numeric answers with units are not supported",
    ]


@pytest.mark.parametrize(
    "hostile",
    [
        '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><quiz>&b;</quiz>',
        '<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<quiz>&x;</quiz>",
        "<quiz><question",
        "<html></html>",
    ],
    ids=["entity-expansion", "external-entity", "broken", "not-moodle"],
)
def test_hostile_or_broken_xml_is_refused_whole(hostile):
    with pytest.raises(MoodleXmlError):
        parse_moodle_xml(hostile, problems=[])


def test_what_moodle_xml_cannot_hold_is_refused_by_name():
    question = GiftQuestion(
        type="short_text",
        title="re",
        text="Q",
        spec={
            "answers": [{"regex": "go(routine)?s?", "weight": 100}],
            "case_sensitive": False,
            "yo_equals_e": True,
        },
    )
    with pytest.raises(MoodleXmlRenderError, match="no regular expressions"):
        render_moodle_xml([question])


# --- property: our export re-imports to the same questions -----------------------------------


def as_moodle_keeps_it(question: GiftQuestion) -> GiftQuestion:
    """What a question becomes through Moodle XML: a numeric answer is a value and a tolerance
    (exact: tolerance 0, a range: its middle ± half its width), every question has a
    name (the start of its text when it had none), and short answers grade by the first
    match, best first."""
    question = as_reimported(question)
    spec: dict[str, Any] = question.spec
    if question.type == "numeric":
        spec = {"answers": numbers_as_moodle(spec["answers"])}
    if question.type == "fill_blanks":
        gaps = [
            {**gap, "answers": numbers_as_moodle(gap["answers"])} if gap["kind"] == "numeric"
            else gap
            for gap in spec["gaps"]
        ]  # fmt: skip
        spec = {**spec, "gaps": gaps}
    title = question.title or " ".join(question.text.split())[:80]
    return GiftQuestion(
        type=question.type,
        title=title,
        text=question.text,
        text_format=question.text_format,
        spec=spec,
        general_feedback=question.general_feedback,
        category=question.category,
        points=question.points,
        tags=question.tags,
        idnumber=question.idnumber,
    )


def numbers_as_moodle(given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answers = []
    for item in given:
        if item["kind"] == "range":
            low, high = Decimal(item["min"]), Decimal(item["max"])
            item = {
                "kind": "tolerance",
                "value": format((low + high) / 2, "f"),
                "tolerance": format((high - low) / 2, "f"),
                "weight": item["weight"],
                "feedback": item["feedback"],
            }
        if item["kind"] == "tolerance" and Decimal(item["tolerance"]) == 0:
            item = {k: v for k, v in item.items() if k != "tolerance"} | {"kind": "exact"}
        answers.append(item)
    return answers


xml_questions = gift_questions()


@settings(max_examples=200, deadline=None)
@given(st.lists(xml_questions, min_size=1, max_size=4))
def test_our_export_reimports_to_the_same_questions(questions):
    again = parse_moodle_xml(render_moodle_xml(questions))

    assert again == [as_moodle_keeps_it(q) for q in questions]
