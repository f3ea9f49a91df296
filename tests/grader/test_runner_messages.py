"""The runners' messages (English in results.json) shown in the learner's language, and failed
tests listed first (issue 22, item 3)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import translation

from grader.presentation import failed_first, runner_message

pytestmark = pytest.mark.no_database


@pytest.mark.parametrize(
    ("english", "russian"),
    [
        ("memory limit exceeded (256 MB)", "превышено ограничение памяти (256 МБ)"),
        ("CPU time limit exceeded (5 s)", "превышено ограничение процессорного времени (5 с)"),
        ("time limit exceeded: the run took over 10 s",
         "превышено ограничение времени: выполнение заняло больше 10 с"),
        ("output limit exceeded (64 KB)", "превышено ограничение вывода (64 КБ)"),
        ("the program was killed by signal SIGSEGV", "программа остановлена сигналом SIGSEGV"),
        ("the program ended during this test: the other process ended",
         "программа завершилась во время этого теста: программа завершилась"),
        ("panic in TestGet; the tests after it did not run",
         "паника в TestGet; следующие тесты не выполнялись"),
        ("did not run: CPU time limit exceeded (2 s)",
         "не выполнялся: превышено ограничение процессорного времени (2 с)"),
        ("the test program failed outside the tests:\nboom\n",
         "тестовая программа упала вне тестов:\nboom\n"),
        ("the test failed (see its output)", "тест не прошёл (см. его вывод)"),
        # A Go test's bare t.Fail / t.FailNow, on its own or after what the test logged.
        ("cache_test.go:12: the test failed (t.FailNow)",
         "cache_test.go:12: тест не прошёл (t.FailNow)"),
        ("cache_test.go:11: miss for 7\ncache_test.go:12: the test failed (t.Fail)",
         "cache_test.go:11: miss for 7\ncache_test.go:12: тест не прошёл (t.Fail)"),
    ],
)  # fmt: skip
def test_known_messages_are_shown_in_russian_with_their_numbers(english: str, russian: str):
    with translation.override("ru"):
        assert runner_message(english) == russian
    with translation.override("en"):  # (the wire's own words name the learner's program)
        assert runner_message(english) == english.replace("the other process", "the program")


def test_other_text_is_shown_as_it_is():
    with translation.override("ru"):
        assert runner_message("-20.0 != 0 (float vs int)") == "-20.0 != 0 (float vs int)"
        assert runner_message("memory limit exceeded (lots)") == "memory limit exceeded (lots)"


@dataclass(frozen=True)
class Line:
    name: str
    status: str


def test_failed_tests_come_first_each_group_in_run_order():
    tests = [Line("a", "pass"), Line("b", "fail"), Line("c", "pass"), Line("d", "error")]

    assert [t.name for t in failed_first(tests)] == ["b", "d", "a", "c"]


def test_assertions_on_truth_say_what_was_expected_and_where_in_the_learner_s_language():
    with translation.override("ru"):
        assert runner_message("True is not false (at test_calc.py:6)") == (
            "ожидалось ложное значение, получено True (в test_calc.py:6)"
        )
        assert runner_message("ZeroDivisionError: division by zero (at calc.py:6)") == (
            "ZeroDivisionError: division by zero (в calc.py:6)"
        )
        assert runner_message("'no' != 'ok'\n(at test_probe.py:7)") == (
            "'no' != 'ok'\n(в test_probe.py:7)"
        )
    with translation.override("en"):
        assert runner_message("None is not true (at t.py:3)") == (
            "expected a true value, got None (at t.py:3)"
        )
