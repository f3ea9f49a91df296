"""What of a graded attempt its learner may see, by the quiz's feedback policy.

Instructors of the course (and admins) always see everything. A learner sees:
- the total (score, percent, passed) once graded, except under `after_due`
  before the due date;
- per-question scores, feedback and explanations once graded under
  `immediately`, after the due date (or at once with no due date) under
  `after_due`, and never under `never`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from api.roles import teaches
from quizzes.models import Attempt, Quiz


def _due_passed(quiz: Quiz, now: datetime | None) -> bool:
    return quiz.due_at is None or (now or timezone.now()) >= quiz.due_at


def attempt_result_visible(*, attempt: Attempt, user: Any, now: datetime | None = None) -> bool:
    quiz = attempt.quiz
    if teaches(user, quiz.section.part.course_id):
        return attempt.status == Attempt.Status.GRADED
    if attempt.status != Attempt.Status.GRADED:
        return False
    if quiz.feedback_policy == Quiz.FeedbackPolicy.AFTER_DUE:
        return _due_passed(quiz, now)
    return True


def attempt_feedback_visible(*, attempt: Attempt, user: Any, now: datetime | None = None) -> bool:
    quiz = attempt.quiz
    if teaches(user, quiz.section.part.course_id):
        return True
    if attempt.status != Attempt.Status.GRADED:
        return False
    if quiz.feedback_policy == Quiz.FeedbackPolicy.NEVER:
        return False
    if quiz.feedback_policy == Quiz.FeedbackPolicy.AFTER_DUE:
        return _due_passed(quiz, now)
    return True
