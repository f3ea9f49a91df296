"""Deadlines: dates, late policies and per-learner extensions of quizzes and exercises."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = _("Deadlines")
