"""What of an attempt's result its learner may see: one rule for every channel.

The pages, the API, the section page's scores and webhooks all ask here (a review found
four copies that had drifted apart). Pure: the quiz's policy and the attempt's state in,
an answer out; who teaches the course is the caller's to say.

A learner sees
- the total (score, percent, passed) once the attempt is graded, except under `after_due`
  before the due date;
- per-question scores, feedback and explanations once the automatic grading is done (an
  essay may still wait for its instructor), under `immediately`; under `after_due` from the
  due date (at once without one); under `never`, not at all.
In exam mode, until the results are released (deadlines: a release date or an instructor's
release), a learner sees neither: the attempt is "submitted", whatever its grading says.
The due date of `after_due` is the latest one granted to any learner for the quiz
(deadlines.selectors.item_results_gate): nobody reads the answers while someone may still
answer on time.
Instructors of the course (and admins) see everything, the total once it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FEEDBACK_IMMEDIATELY, FEEDBACK_AFTER_DUE, FEEDBACK_NEVER = "immediately", "after_due", "never"


@dataclass(frozen=True)
class ResultVisibility:
    total: bool
    details: bool
    # When the details become visible (after_due with a due date), for the page to say so.
    details_from: datetime | None = None


def scores_hidden_until_due(
    *, feedback_policy: str, due_at: datetime | None, now: datetime
) -> bool:
    """A quiz's scores wait for its due date (after_due, before it): on every page and API."""
    return feedback_policy == FEEDBACK_AFTER_DUE and due_at is not None and now < due_at


def result_visibility(
    *,
    feedback_policy: str,
    due_at: datetime | None,
    graded: bool,
    awaiting_manual_grading: bool,
    teaches: bool,
    now: datetime,
    held: bool = False,
) -> ResultVisibility:
    """`graded`: the attempt's status is graded; `awaiting_manual_grading`: the automatic
    part is done and an essay waits for its instructor; `held`: exam mode, not released."""
    if teaches:
        return ResultVisibility(total=graded, details=True)
    if held:
        return ResultVisibility(total=False, details=False)
    auto_done = graded or awaiting_manual_grading
    before_due = scores_hidden_until_due(feedback_policy=feedback_policy, due_at=due_at, now=now)
    if feedback_policy == FEEDBACK_IMMEDIATELY:
        details = auto_done
    elif feedback_policy == FEEDBACK_AFTER_DUE:
        details = auto_done and not before_due
    else:
        details = False
    return ResultVisibility(
        total=graded and not before_due,
        details=details,
        details_from=due_at if feedback_policy == FEEDBACK_AFTER_DUE else None,
    )
