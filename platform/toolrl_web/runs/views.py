"""Run pages: list, detail with live status, charts and log, cancel, resume, downloads.

Launching, cloning and sweeps live in `launch_views`."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from toolrl_web.projects.selectors import project_get_for_user
from toolrl_web.runs import chart_data, page_data, selectors, services
from toolrl_web.runs.models import RunStatus

STATUS_FILTERS = [("", "All")] + list(RunStatus.choices)


@require_GET
def run_list(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    status = request.GET.get("status", "")
    if status not in dict(STATUS_FILTERS):
        status = ""
    before = _int_param(request, "before")
    rows, next_before = page_data.run_list_page(project=project, status=status, before=before)
    context = {
        "project": project,
        "rows": rows,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "next_before": next_before,
    }
    return render(request, "runs/run_list.html", context)


def _int_param(request, name: str, default: int | None = None) -> int | None:
    try:
        return int(request.GET[name])
    except (KeyError, ValueError):
        return default


def _url_or_none(name: str, *args) -> str | None:
    """The URL if the page exists in this build (pages other branches add may not yet)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _template_or_none(name: str) -> str | None:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def _status_context(run) -> dict:
    latest = selectors.run_metric_rows(run=run).order_by("-step", "-run_id").first()
    values = (latest or {}).get("values", {})
    return {
        "run": run,
        "project": run.project,
        "latest": values,
        "latest_components": page_data.reward_components(values),
        "latest_step": (latest or {}).get("step"),
        "eta": page_data.run_eta_seconds(run),
        "hints": page_data.run_health(run=run),
        "artifacts": run.artifacts.order_by("-step"),
    }


def _detail_context(run) -> dict:
    rollouts_url = reverse("run-detail", args=[run.pk]) + "rollouts/"
    return {
        **_status_context(run),
        "config_json": json.dumps(run.config, indent=2),
        "lineage": selectors.run_lineage(run=run),
        "clone_url": _url_or_none("run-clone", run.pk),
        # The evaluations page adds its results here; absent until it is merged.
        "evaluations_template": _template_or_none("evaluations/_run_results.html"),
        "charts_config": {
            "dataUrl": reverse("run-chart-data", args=[run.pk]),
            "rolloutsUrl": rollouts_url.replace(f"/{run.pk}/", "/RUN/", 1),
            "final": run.is_final,
            "intervalMs": 3000,
        },
    }


@require_GET
def run_detail(request, run_id: int):
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    if request.htmx:
        # The artifacts table further down the page is refreshed out of band.
        context = {**_status_context(run), "oob": True}
        response = render(request, "runs/_run_status.html", context)
        # Once the run is final, status 286 tells htmx to stop polling.
        return HttpResponseStopPolling(response.content) if run.is_final else response
    return render(request, "runs/run_detail.html", _detail_context(run))


@require_GET
def run_chart_data(request, run_id: int):
    """The charts' points after `since` (metrics) and `eval_since` (evaluations)."""
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    data = chart_data.run_chart_data(
        run=run,
        since=_int_param(request, "since", -1),
        eval_since=_int_param(request, "eval_since", -1),
    )
    return JsonResponse(data)


@require_GET
def run_log(request, run_id: int):
    """The training log's last lines, polled by the run page until the run is final."""
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    lines = page_data.run_log_tail(run=run)
    response = render(request, "runs/_run_log.html", {"run": run, "lines": lines})
    return HttpResponseStopPolling(response.content) if run.is_final else response


@require_POST
def run_cancel(request, run_id: int):
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    try:
        outcome = services.run_cancel(run=run)
    except services.IllegalTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "Canceled."
            if outcome == "canceled"
            else "Stopping: the run writes a checkpoint at its next step.",
        )
    return redirect("run-detail", run_id=run.pk)


@require_POST
def run_resume(request, run_id: int):
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    try:
        continuation = services.run_resume(run=run, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("run-detail", run_id=run.pk)
    messages.success(
        request, f"Run #{continuation.pk} resumes from step {continuation.start_step}."
    )
    return redirect("run-detail", run_id=continuation.pk)


class _TarStream:
    """A write-only file object whose writes are collected for a streaming response."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _stream_directory(path: Path, arcname: str):
    sink = _TarStream()
    with tarfile.open(fileobj=sink, mode="w|gz") as tar:
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            tar.add(file, arcname=f"{arcname}/{file.relative_to(path)}")
            yield sink.drain()
    yield sink.drain()


@require_GET
def artifact_download(request, run_id: int, artifact_id: int):
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    artifact = run.artifacts.filter(pk=artifact_id).first()
    if artifact is None:
        raise Http404("No such artifact.")
    path = Path(artifact.path).resolve()
    root = Path(settings.ARTIFACTS_DIR).resolve()
    if not path.exists() or root not in (path, *path.parents):
        raise Http404("The artifact's files are no longer there.")
    name = f"run{run.pk}-{path.name}"
    if path.is_file():
        response = StreamingHttpResponse(open(path, "rb"), content_type="application/octet-stream")  # noqa: SIM115
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    response = StreamingHttpResponse(_stream_directory(path, name), content_type="application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{name}.tar.gz"'
    return response
