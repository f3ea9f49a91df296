"""What of a submission's results.json each viewer sees: a list of what is shown."""

from __future__ import annotations

from grader.selectors import results_shown

RESULTS = {
    "version": 3,
    "status": "fail",
    "message": "",
    "runner_debug": {"host": "worker-1"},  # a key nobody named: shown to nobody
    "tests": [
        {"name": "test_add", "status": "fail", "message": "expected 3, got 0", "output": "",
         "test_code": "assert add(1, 2) == 3", "task_id": 1, "duration_ms": 3},
        "not a test",
    ],
}  # fmt: skip


def test_a_learner_sees_the_named_keys_only():
    shown = results_shown(RESULTS, teaches=False)

    assert set(shown) == {"version", "status", "message", "tests"}
    assert shown["tests"] == [
        {"name": "test_add", "status": "fail", "message": "expected 3, got 0", "output": "",
         "task_id": 1}
    ]  # fmt: skip


def test_the_courses_instructors_also_see_the_tests_source():
    (test,) = results_shown(RESULTS, teaches=True)["tests"]
    assert test["test_code"] == "assert add(1, 2) == 3"
    assert "duration_ms" not in test


def test_results_that_are_not_an_object_show_nothing():
    assert results_shown(None, teaches=True) == {}
    assert results_shown({"tests": None}, teaches=False) == {"tests": []}


def test_a_learner_sees_a_test_s_code_only_when_it_is_in_a_visible_example_file():
    examples = {"test_examples.py": "def test_add():\n    assert add(1, 2) == 3\n"}
    hidden = {"test_examples.py": "def test_other():\n    assert add(2, 2) == 4\n"}

    (shown,) = results_shown(RESULTS, teaches=False, visible=examples)["tests"]
    (kept_back,) = results_shown(RESULTS, teaches=False, visible=hidden)["tests"]
    (blank,) = results_shown(
        {"tests": [{"name": "t", "test_code": ""}]}, teaches=False, visible={"e.py": "x"}
    )["tests"]

    assert shown["test_code"] == "assert add(1, 2) == 3"
    assert "test_code" not in kept_back
    assert "test_code" not in blank
