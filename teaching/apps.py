"""Instructor tools: regrading, and (next) the gradebook, item analysis and similarity."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeachingConfig(AppConfig):
    name = "teaching"
    verbose_name = _("Instructor tools")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from teaching.results_release import release_notice_events
        from webhooks.payloads import event_source_register

        event_source_register("results.released", release_notice_events)
