"""Progress: learners' enrolment and completion of items, sections, parts and courses."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "progress"
    verbose_name = _("Learner progress")

    def ready(self) -> None:
        from deadlines.changes import results_rule_listener_register
        from progress.selectors import section_completed_events
        from progress.services import results_rule_changed
        from webhooks.payloads import event_source_register

        event_source_register("section.completed", section_completed_events)
        results_rule_listener_register(results_rule_changed)
