"""LTI 1.3 Advantage: LMS platforms launch our quizzes and exercises, and get grades back."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = _("LTI")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from lti.embedding import partitioned_cookies_enable
        from lti.grades import listeners_register

        listeners_register()
        partitioned_cookies_enable()
