"""Scoring a code run: all or nothing, per test, per task."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from grader.scoring import code_score


@dataclass(frozen=True)
class T:
    status: str
    task_id: int | None = None


TEN = Decimal(10)


@pytest.mark.parametrize(
    ("scoring", "tests", "expected"),
    [
        ("all_or_nothing", [T("pass"), T("pass")], "10.00"),
        ("all_or_nothing", [T("pass"), T("fail")], "0.00"),
        ("per_test", [T("pass"), T("fail"), T("pass")], "6.67"),
        ("per_test", [T("error"), T("fail")], "0.00"),
        ("per_task", [T("pass", 1), T("fail", 1), T("pass", 2), T("pass", 2)], "5.00"),
        ("per_task", [T("pass", 1), T("pass", 2), T("pass", 3)], "10.00"),
        ("per_task", [T("pass"), T("pass", 1), T("fail", 2)], "6.67"),
    ],
)
def test_scoring_rules(scoring, tests, expected):
    assert code_score(scoring=scoring, points=TEN, verdict="failed", tests=tests) == Decimal(
        expected
    )


@pytest.mark.parametrize("verdict", ["compile_error", "time_limit", "memory_limit", "output_limit"])
def test_a_run_that_did_not_finish_scores_zero(verdict):
    assert code_score(scoring="per_test", points=TEN, verdict=verdict, tests=[T("pass")]) == 0


def test_no_tests_scores_zero():
    assert code_score(scoring="per_test", points=TEN, verdict="passed", tests=[]) == 0
