"""Grader: coding exercises, submissions and the sandbox that runs them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GraderConfig(AppConfig):
    name = "grader"
    verbose_name = _("Code grader")

    def ready(self) -> None:
        from grader.models import CodingExercise
        from grader.selectors import (
            exercise_checks_in_flight,
            exercise_grades,
            exercise_mark,
            exercise_states,
            exercise_work,
            submission_graded_event,
        )
        from grader.services import exercise_learners_recount
        from progress.items import ItemKind, item_kind_register
        from webhooks.payloads import event_source_register

        # An exercise is an item of its section while it is published.
        item_kind_register(
            ItemKind(name="exercise", model=CodingExercise, counted_field="is_published",
                     grades=exercise_grades, states=exercise_states,
                     busy=exercise_checks_in_flight,
                     column_title="{section} exercise: {title} (points)",
                     work=exercise_work, mark=exercise_mark,
                     recount=exercise_learners_recount)
        )  # fmt: skip
        event_source_register("submission.graded", submission_graded_event)
