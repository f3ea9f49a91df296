"""LTI 1.3 endpoints (the URLs an LMS administrator enters: docs/lti.md)."""

from __future__ import annotations

from django.urls import path

from lti import views

app_name = "lti"

urlpatterns = [
    path("lti/jwks/", views.jwks_view, name="jwks"),
    path("lti/login/", views.login_view, name="login"),
    path("lti/launch/", views.launch_view, name="launch"),
    path("lti/register/<str:token>/", views.register_view, name="register"),
    path("lti/deep-link/", views.deep_link_view, name="deep_link"),
    path("teach/<slug:course_slug>/lti/scores/", views.score_log_view, name="scores"),
    path("teach/<slug:course_slug>/lti/roster/", views.roster_view, name="roster"),
    path(
        "teach/<slug:course_slug>/lti/roster/<int:context_id>/sync/",
        views.roster_sync_view,
        name="roster_sync",
    ),
    path(
        "teach/<slug:course_slug>/lti/scores/<int:delivery_id>/resend/",
        views.score_resend_view,
        name="score_resend",
    ),
]
