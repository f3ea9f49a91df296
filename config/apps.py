"""The admin app with our site (config.admin.ZachetAdminSite) as its default `admin.site`."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "config.admin.ZachetAdminSite"
