"""Learner code cannot pass tests by returning objects that claim to equal anything.

Regression guard: with plain `==` (and unittest's assertEqual), an object whose
__eq__ always returns True, or an int subclass doing the same, passed every
equality test, also inside lists and dicts.
"""

from __future__ import annotations

import pytest

from grader.runners import run_tests
from grader.sandbox import Limits

pytestmark = [pytest.mark.slow, pytest.mark.no_database, pytest.mark.usefixtures("need_sandbox")]

TESTS = {
    "test_sol.py": """
import unittest, pytest
from sol import add, pair, table, count
def test_add(): assert add(1, 2) == 3
def test_pair(): assert pair() == [1, 2]
def test_table(): assert table() == {"a": 1}
def test_count(): assert count() == 5
def test_reversed(): assert 3 == add(1, 2)
def test_int_and_float(): assert add(1, 1) == 2.0
def test_approx(): assert 0.1 + 0.2 == pytest.approx(0.3)
class T(unittest.TestCase):
    def test_eq(self): self.assertEqual(add(2, 2), 4)
    def test_list(self): self.assertEqual(pair(), [1, 2])
"""
}

HONEST = """
def add(a, b): return a + b
def pair(): return [1, 2]
def table(): return {"a": 1}
def count(): return 5
"""

FORGED = """
class AlwaysEqual:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __hash__ = object.__hash__
class MyInt(int):
    def __eq__(self, other): return True
    __hash__ = int.__hash__
def add(a, b): return AlwaysEqual()
def pair(): return [AlwaysEqual(), AlwaysEqual()]
def table(): return {"a": AlwaysEqual()}
def count(): return MyInt(0)
"""


def statuses(code: str) -> dict[str, str]:
    report = run_tests(language="python", files={"sol.py": code}, test_files=TESTS, limits=Limits())
    return {test.name: test.status for test in report.tests}


def test_honest_solution_passes_every_test():
    assert set(statuses(HONEST).values()) == {"pass"}


def test_always_equal_objects_fail_every_equality_test():
    result = statuses(FORGED)
    assert result.pop("test_approx") == "pass"  # does not touch the learner's code
    assert result == dict.fromkeys(result, "fail")
    assert len(result) == 8
