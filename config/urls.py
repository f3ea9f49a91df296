"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls", namespace="api")),
    path("", include("accounts.urls")),
    path("", include("progress.urls")),
    path("", include("quizzes.urls")),
    path("", include("courses.urls")),
    path("", include("grader.urls")),
    path("", include("teaching.urls")),
    path("", include("ops.urls")),
    path("", include("lti.urls")),
]
