"""Learners' section rows follow the section's items.

A section is complete when its quizzes and published exercises are (SectionProgress, and
from it a part's and a course's "N из M разделов"). Adding, deleting or moving a quiz, or
publishing, unpublishing, deleting or moving an exercise, from the admin, the API or an
import, changes that for every learner of the section: a task recomputes every learner's
row of the sections concerned after the commit (sections_refresh_after_commit), from the
database as it then is, so a stale instance saved here can cost a refresh, never a wrong
row. Nothing heavy runs in the saving transaction (the admin checks an exercise in it).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from grader.models import CodingExercise
from progress.services import sections_refresh_after_commit
from quizzes.models import Quiz

# (section id, counts towards completion)
Placement = tuple[int, bool]


def _placement(item: Quiz | CodingExercise) -> Placement:
    return item.section_id, isinstance(item, Quiz) or bool(item.is_published)


def _stored_placement(sender: type[Quiz] | type[CodingExercise], pk: int) -> Placement | None:
    if sender is Quiz:
        section_id = Quiz.objects.filter(pk=pk).values_list("section_id", flat=True).first()
        return None if section_id is None else (section_id, True)
    row = CodingExercise.objects.filter(pk=pk).values_list("section_id", "is_published").first()
    return None if row is None else (row[0], bool(row[1]))


@receiver(pre_save, sender=Quiz, dispatch_uid="progress_quiz_before_save")
@receiver(pre_save, sender=CodingExercise, dispatch_uid="progress_exercise_before_save")
def remember_placement(sender: Any, instance: Quiz | CodingExercise, **kwargs: Any) -> None:
    stored = None
    if instance.pk is not None and not kwargs.get("raw"):
        stored = _stored_placement(sender, instance.pk)
    instance._placement_before = stored  # type: ignore[union-attr]


@receiver(post_save, sender=Quiz, dispatch_uid="progress_quiz_saved")
@receiver(post_save, sender=CodingExercise, dispatch_uid="progress_exercise_saved")
def placement_changed(sender: Any, instance: Quiz | CodingExercise, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # loaddata: rows as they were, nothing to recompute
        return
    before: Placement | None = getattr(instance, "_placement_before", None)
    after = _placement(instance)
    if before == after:
        return  # a title, a rule, a statement: the same items to complete
    sections = {section for section, counted in filter(None, (before, after)) if counted}
    if before is not None and before[0] != after[0]:
        sections |= {before[0], after[0]}  # (the item rows follow in the task)
    if sections:
        sections_refresh_after_commit(sections)


@receiver(post_delete, sender=Quiz, dispatch_uid="progress_quiz_deleted")
@receiver(post_delete, sender=CodingExercise, dispatch_uid="progress_exercise_deleted")
def item_deleted(sender: Any, instance: Quiz | CodingExercise, **kwargs: Any) -> None:
    section_id, counted = _placement(instance)
    if counted:
        sections_refresh_after_commit({section_id})
