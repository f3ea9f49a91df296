"""Quizzes: questions, attempts and their grading."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self) -> None:
        from progress.items import ItemKind, item_kind_register
        from quizzes.models import Quiz
        from quizzes.selectors import (
            attempt_graded_event,
            quiz_grades,
            quiz_mark,
            quiz_states,
            quiz_work,
        )
        from quizzes.services import quiz_learners_recount
        from webhooks.payloads import event_source_register

        # A quiz is an item of its section: it counts while it exists.
        item_kind_register(
            ItemKind(name="quiz", model=Quiz, counted_field=None, grades=quiz_grades,
                     states=quiz_states, column_title="{section} quiz: {title} (%)",
                     work=quiz_work, mark=quiz_mark, recount=quiz_learners_recount)
        )  # fmt: skip
        event_source_register("attempt.graded", attempt_graded_event)
