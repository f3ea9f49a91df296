"""Quizzes: questions, attempts and their grading."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = _("Quizzes")

    def ready(self) -> None:
        from quizzes import signals  # noqa: F401 - registers the receivers
