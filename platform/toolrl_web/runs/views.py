"""Run pages: detail with live status, cancel, resume, artifact download."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from toolrl_web.runs import selectors, services


def _detail_context(run) -> dict:
    latest = selectors.run_metric_rows(run=run).last()
    values = (latest or {}).get("values", {})
    components = [
        (key.split("/")[1], value)
        for key, value in values.items()
        if key.startswith("rewards/") and key.endswith("/mean") and value is not None
    ]
    return {
        "run": run,
        "project": run.project,
        "latest": values,
        "latest_components": components,
        "latest_step": (latest or {}).get("step"),
        "artifacts": run.artifacts.order_by("-step"),
        "config_json": json.dumps(run.config, indent=2),
        "lineage": selectors.run_lineage(run=run),
    }


@require_GET
def run_detail(request, run_id: int):
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    context = _detail_context(run)
    if request.htmx:
        response = render(request, "runs/_run_status.html", context)
        # Once the run is final, status 286 tells htmx to stop polling.
        return HttpResponseStopPolling(response.content) if run.is_final else response
    return render(request, "runs/run_detail.html", context)


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
