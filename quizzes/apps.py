"""Quizzes: questions, attempts and their grading."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self) -> None:
        from progress.items import ItemKind, item_kind_register
        from quizzes import signals  # noqa: F401 - registers the receivers
        from quizzes.models import Quiz
        from quizzes.selectors import quiz_grades, quiz_states

        # A quiz is an item of its section: it counts while it exists.
        item_kind_register(
            ItemKind(name="quiz", model=Quiz, counted_field=None, grades=quiz_grades,
                     states=quiz_states)
        )  # fmt: skip
