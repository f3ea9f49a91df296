"""A quiz's updated_at moves with any change to its questions.

The grading worker caches a quiz's questions keyed by (quiz id, updated_at)
(services._quiz_questions), so every save or delete of a question, from the admin,
the API, an import or a cascade, must move it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from quizzes.models import Question, Quiz


@receiver(post_save, sender=Question, dispatch_uid="quiz_touched_by_question_save")
@receiver(post_delete, sender=Question, dispatch_uid="quiz_touched_by_question_delete")
def touch_quiz(sender: Any, instance: Question, **kwargs: Any) -> None:
    Quiz.objects.filter(pk=instance.quiz_id).update(updated_at=timezone.now())
