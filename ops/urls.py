from django.urls import path

from ops import views

app_name = "ops"
urlpatterns = [
    path("metrics", views.metrics, name="metrics"),
    path("ops/", views.status, name="status"),
]
