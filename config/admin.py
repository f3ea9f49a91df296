"""The admin site under our own name, in the reader's language (Django's says «Администрирование
Django»). `config.apps.AdminConfig` makes it `admin.site`, so every `@admin.register` lands here."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ZachetAdminSite(admin.AdminSite):
    site_header = _("Zachet administration")
    site_title = _("Zachet administration")
    index_title = _("Courses, learners’ work and settings")
