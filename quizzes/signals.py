"""A quiz's updated_at moves with any change to its questions.

The grading worker caches a quiz's questions keyed by (quiz id, updated_at)
(services._quiz_questions), so every save or delete of a question, from the admin,
the API, an import or a cascade, must move it: both quizzes' when a question moves.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from quizzes.models import Question, Quiz


@receiver(pre_save, sender=Question, dispatch_uid="quiz_of_question_before_save")
def remember_quiz(sender: Any, instance: Question, **kwargs: Any) -> None:
    instance._quiz_before_save = (  # type: ignore[attr-defined]
        Question.objects.filter(pk=instance.pk).values_list("quiz_id", flat=True).first()
        if instance.pk is not None
        else None
    )


@receiver(post_save, sender=Question, dispatch_uid="quiz_touched_by_question_save")
@receiver(post_delete, sender=Question, dispatch_uid="quiz_touched_by_question_delete")
def touch_quiz(sender: Any, instance: Question, **kwargs: Any) -> None:
    before: int | None = getattr(instance, "_quiz_before_save", None)
    quizzes = {instance.quiz_id} if before is None else {instance.quiz_id, before}
    Quiz.objects.filter(pk__in=quizzes).update(updated_at=timezone.now())
