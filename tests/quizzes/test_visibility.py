"""quizzes.visibility: the one rule for what of a result its learner sees (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quizzes.visibility import result_visibility, scores_hidden_until_due

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
PAST, FUTURE = NOW - timedelta(days=1), NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("policy", "due", "graded", "awaiting", "total", "details"),
    [
        ("immediately", None, True, False, True, True),
        ("immediately", None, False, True, False, True),  # an essay waits: the rest shows
        ("immediately", None, False, False, False, False),  # still grading
        ("after_due", FUTURE, True, False, False, False),
        ("after_due", PAST, True, False, True, True),
        ("after_due", None, True, False, True, True),  # no due date: at once
        ("after_due", PAST, False, True, False, True),
        ("never", None, True, False, True, False),
        ("never", FUTURE, True, False, True, False),
    ],
)
def test_a_learner_sees_by_the_policy(policy, due, graded, awaiting, total, details):
    seen = result_visibility(
        feedback_policy=policy, due_at=due, graded=graded, awaiting_manual_grading=awaiting,
        teaches=False, now=NOW,
    )  # fmt: skip
    assert (seen.total, seen.details) == (total, details)


@pytest.mark.parametrize("policy", ["immediately", "after_due", "never"])
@pytest.mark.parametrize("graded", [True, False])
def test_an_instructor_sees_everything(policy, graded):
    seen = result_visibility(
        feedback_policy=policy, due_at=FUTURE, graded=graded, awaiting_manual_grading=False,
        teaches=True, now=NOW,
    )  # fmt: skip
    assert (seen.total, seen.details) == (graded, True)


def test_scores_wait_for_the_due_date_only_under_after_due():
    assert scores_hidden_until_due(feedback_policy="after_due", due_at=FUTURE, now=NOW)
    assert not scores_hidden_until_due(feedback_policy="after_due", due_at=PAST, now=NOW)
    assert not scores_hidden_until_due(feedback_policy="after_due", due_at=None, now=NOW)
    assert not scores_hidden_until_due(feedback_policy="immediately", due_at=FUTURE, now=NOW)
