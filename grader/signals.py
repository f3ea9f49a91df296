"""An exercise published, unpublished, moved or deleted (from the admin, the API, an import or
a cascade) changes what every learner of its section must complete: progress refreshes
those sections after the commit."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from grader.models import CodingExercise
from progress.services import item_placement_changed


@receiver(pre_save, sender=CodingExercise, dispatch_uid="progress_exercise_before_save")
def remember_exercise_placement(sender: Any, instance: CodingExercise, **kwargs: Any) -> None:
    row = None
    if instance.pk is not None and not kwargs.get("raw"):
        row = (
            CodingExercise.objects.filter(pk=instance.pk)
            .values_list("section_id", "is_published")
            .first()
        )
    instance._placement_before = None if row is None else (row[0], bool(row[1]))  # type: ignore[attr-defined]


@receiver(post_save, sender=CodingExercise, dispatch_uid="progress_exercise_saved")
def exercise_placed(sender: Any, instance: CodingExercise, **kwargs: Any) -> None:
    if not kwargs.get("raw"):  # loaddata: rows as they were, nothing to recompute
        before = getattr(instance, "_placement_before", None)
        after = (instance.section_id, bool(instance.is_published))
        item_placement_changed(before=before, after=after)


@receiver(post_delete, sender=CodingExercise, dispatch_uid="progress_exercise_deleted")
def exercise_deleted(sender: Any, instance: CodingExercise, **kwargs: Any) -> None:
    item_placement_changed(before=(instance.section_id, bool(instance.is_published)), after=None)
