"""Reading and writing question banks: a Moodle XML and a GIFT file of N questions.

    .venv/bin/python bench/question_bank.py [--questions 200] [--repeat 20]

Builds a bank of every type we export (short answers with wildcards among them), writes it as
Moodle XML and as GIFT, and prints the median time to parse and to render each, and to grade
every short answer of it once. Pure Python: no database, no sandbox (a CodeRunner question's
import time is its exercise check's, see bench/code.py). Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quizzes import grading
from quizzes.gift import GiftQuestion, parse_gift, render_gift
from quizzes.moodle_xml import parse_moodle_xml, render_moodle_xml


def _question(index: int) -> GiftQuestion:
    kind = index % 5
    text = f"Вопрос {index}: что делает оператор go?"
    if kind == 0:
        spec: dict[str, Any] = {
            "choices": [
                {"id": "a", "text": "запускает горутину", "weight": 100, "feedback": "Да"},
                {"id": "b", "text": "останавливает", "weight": 0, "feedback": "Нет"},
                {"id": "c", "text": "ничего", "weight": 0, "feedback": ""},
            ]
        }
        return GiftQuestion(type="single_choice", title=f"q{index}", text=text, spec=spec)
    if kind == 1:
        spec = {
            "answers": [
                {"text": "горутина", "weight": 100, "feedback": "Верно"},
                {"regex": "go.*", "weight": 50, "feedback": "По-английски"},
                {"regex": ".*", "weight": 0, "feedback": "Подумайте ещё"},
            ],
            "case_sensitive": False,
            "yo_equals_e": True,
            "first_match": True,
        }
        return GiftQuestion(type="short_text", title=f"q{index}", text=text, spec=spec)
    if kind == 2:
        spec = {"answers": [{"kind": "tolerance", "value": "3.14", "tolerance": "0.01",
                             "weight": 100, "feedback": ""}]}  # fmt: skip
        return GiftQuestion(type="numeric", title=f"q{index}", text=text, spec=spec)
    if kind == 3:
        return GiftQuestion(
            type="true_false",
            title=f"q{index}",
            text=text,
            spec={"answer": True, "feedback_true": "", "feedback_false": "Нет"},
        )
    spec = {
        "pairs": [
            {"id": "1", "prompt": "chan", "answer": "канал"},
            {"id": "2", "prompt": "go", "answer": "горутина"},
        ],
        "distractors": ["мьютекс"],
    }
    return GiftQuestion(type="matching", title=f"q{index}", text=text, spec=spec)


def _median_ms(job: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    bank = [_question(i) for i in range(args.questions)]
    xml = render_moodle_xml(bank)
    gift = render_gift(bank)
    shorts = [q for q in parse_moodle_xml(xml) if q.type == "short_text"]

    def grade_shorts() -> None:
        for question in shorts:
            grading.grade("short_text", question.spec, {"text": "GoRoutine"}, Decimal(1))

    sizes = f"Moodle XML {len(xml) // 1024} KB, GIFT {len(gift) // 1024} KB"
    print(f"{args.questions} questions; {sizes}")
    for label, job in (
        ("parse Moodle XML", lambda: parse_moodle_xml(xml)),
        ("render Moodle XML", lambda: render_moodle_xml(bank)),
        ("parse GIFT", lambda: parse_gift(gift)),
        ("render GIFT", lambda: render_gift(bank)),
        (f"grade {len(shorts)} short answers (first match)", grade_shorts),
    ):
        print(f"{label:45} {_median_ms(job, args.repeat):8.1f} ms (median of {args.repeat})")


if __name__ == "__main__":
    main()
