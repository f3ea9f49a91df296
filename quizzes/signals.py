"""Saves and deletes that others must hear of, from the admin, the API, an import or a cascade.

- A quiz's updated_at moves with any change to its questions: the grading worker caches
  a quiz's questions keyed by (quiz id, updated_at) (services._quiz_questions), so every
  save or delete of a question must move it, both quizzes' when a question moves.
- A quiz added, moved or deleted changes what every learner of its section must complete:
  progress refreshes those sections after the commit.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from progress.services import item_placement_changed
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


@receiver(pre_save, sender=Quiz, dispatch_uid="progress_quiz_before_save")
def remember_quiz_section(sender: Any, instance: Quiz, **kwargs: Any) -> None:
    section_id = None
    if instance.pk is not None and not kwargs.get("raw"):
        section_id = (
            Quiz.objects.filter(pk=instance.pk).values_list("section_id", flat=True).first()
        )
    instance._placement_before = None if section_id is None else (section_id, True)  # type: ignore[attr-defined]


@receiver(post_save, sender=Quiz, dispatch_uid="progress_quiz_saved")
def quiz_placed(sender: Any, instance: Quiz, **kwargs: Any) -> None:
    if not kwargs.get("raw"):  # loaddata: rows as they were, nothing to recompute
        before = getattr(instance, "_placement_before", None)
        item_placement_changed(before=before, after=(instance.section_id, True))


@receiver(post_delete, sender=Quiz, dispatch_uid="progress_quiz_deleted")
def quiz_deleted(sender: Any, instance: Quiz, **kwargs: Any) -> None:
    item_placement_changed(before=(instance.section_id, True), after=None)
