"""/metrics (Prometheus) and the staff page of queues, workers and waiting work."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from ops import selectors
from ops.metrics import metrics_text


def _may_scrape(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and secrets.compare_digest(header, f"Bearer {token}"):
        return True
    return bool(request.user.is_authenticated and request.user.is_staff)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Counts only, but not public: Prometheus sends `Authorization: Bearer METRICS_TOKEN`."""
    if not _may_scrape(request):
        return HttpResponse(status=404)
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


KIND_LABELS = {
    selectors.QUIZ_ATTEMPT: _("Quiz attempts"),
    selectors.CODE_SUBMISSION: _("Code submissions"),
}


@never_cache
@staff_member_required
def status(request: HttpRequest) -> HttpResponse:
    now = selectors.now()
    waiting = [
        {
            "label": KIND_LABELS[work.kind],
            "count": work.count,
            "oldest_seconds": round(work.oldest_seconds(now)),
        }
        for work in selectors.waiting_work()
    ]
    return render(
        request,
        "ops/status.html",
        {
            "queues": selectors.queue_depths(),
            "workers": selectors.workers_seen(),
            "waiting": waiting,
        },
    )
