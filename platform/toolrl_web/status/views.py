"""The status page: is the database up, the broker reachable, which workers are live."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from toolrl_web.runs.selectors import runs_active_for_user, runs_queued_for_user
from toolrl_web.status import selectors


@require_GET
def status_page(request):
    context = {
        "checks": [selectors.database_check(), selectors.broker_check()],
        "workers": selectors.worker_list(),
        "active_runs": runs_active_for_user(user=request.user),
        "queued_runs": runs_queued_for_user(user=request.user),
    }
    template = "status/_services.html" if request.htmx else "status/status.html"
    return render(request, template, context)


@login_not_required
@require_GET
def healthz(request):
    """Liveness for load balancers and compose health checks: the database answers."""
    check = selectors.database_check()
    return JsonResponse({"database": check.ok}, status=200 if check.ok else 503)
