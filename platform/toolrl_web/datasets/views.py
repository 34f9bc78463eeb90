"""Dataset pages: the project's datasets and tool sets, upload, the report (live while the
worker validates), preview, statistics for the charts, download, settings, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from toolrl.formats import rowfile
from toolrl.prompt import render_messages, render_target
from toolrl_web.datasets import selectors, services, storage
from toolrl_web.datasets.forms import (
    DatasetFileForm,
    DatasetSettingsForm,
    DatasetUploadForm,
    SyntheticDatasetForm,
)
from toolrl_web.datasets.uploads import upload_refused
from toolrl_web.projects.selectors import project_get_for_user

PREVIEW_PAGE = 10


def apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _list_context(project, synthetic_form=None) -> dict:
    return {
        "project": project,
        "datasets": selectors.dataset_list_for_project(project=project),
        "toolsets": selectors.toolset_list_for_project(project=project),
        "synthetic_form": synthetic_form or SyntheticDatasetForm(),
    }


@require_GET
def dataset_list(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    return render(request, "datasets/dataset_list.html", _list_context(project))


@require_http_methods(["GET", "POST"])
def dataset_upload(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    refused = upload_refused(request)
    if request.method == "POST" and refused:
        form = DatasetUploadForm(project=project)
        context = {"project": project, "form": form, "refused": refused}
        return render(request, "datasets/dataset_upload.html", context, status=413)
    form = DatasetUploadForm(request.POST or None, request.FILES or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = services.dataset_create_from_upload(
                project=project,
                user=request.user,
                upload=form.cleaned_data["file"],
                name=form.cleaned_data["name"],
                **form.settings_values(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"“{dataset.name}” uploaded; a worker is checking it.")
            return redirect("dataset-detail", dataset_id=dataset.pk)
    return render(request, "datasets/dataset_upload.html", {"project": project, "form": form})


@require_POST
def dataset_synthetic(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    form = SyntheticDatasetForm(request.POST)
    if form.is_valid():
        try:
            dataset = services.dataset_create_synthetic(
                project=project, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"“{dataset.name}” added.")
            return redirect("dataset-detail", dataset_id=dataset.pk)
    context = _list_context(project, synthetic_form=form)
    return render(request, "datasets/dataset_list.html", context, status=400)


def _report_context(dataset, request) -> dict:
    errors_after = request.GET.get("errors_after", "")
    warnings_after = request.GET.get("warnings_after", "")
    return {
        "dataset": dataset,
        "project": dataset.project,
        "errors": selectors.dataset_problems_page(
            dataset=dataset, severity="error", after=errors_after
        ),
        "warnings": selectors.dataset_problems_page(
            dataset=dataset, severity="warning", after=warnings_after
        ),
        "stuck": services.dataset_validation_is_stuck(dataset=dataset),
    }


def _detail(request, dataset, *, settings_form=None, status: int = 200):
    context = _report_context(dataset, request)
    context.update(
        settings_form=settings_form
        or DatasetSettingsForm(
            project=dataset.project,
            exclude_dataset=dataset,
            initial={
                "format": dataset.format,
                "toolset": dataset.toolset,
                "validation_fraction": dataset.validation_fraction,
                "split_seed": dataset.split_seed,
                "validation_dataset": dataset.validation_dataset,
                "tokenizer": dataset.tokenizer,
            },
        ),
        file_form=DatasetFileForm(),
        used_by=selectors.dataset_used_by(dataset=dataset),
    )
    return render(request, "datasets/dataset_detail.html", context, status=status)


@require_GET
def dataset_detail(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    part = request.GET.get("part") if request.htmx else None
    if part == "report":
        response = render(request, "datasets/_report.html", _report_context(dataset, request))
        # Once the verdict is in, status 286 tells htmx to stop polling.
        return HttpResponseStopPolling(response.content) if dataset.is_final else response
    if part == "tokens":  # counted after the verdict, on their own poll
        response = render(request, "datasets/_tokens.html", {"dataset": dataset})
        return response if dataset.tokens_pending else HttpResponseStopPolling(response.content)
    return _detail(request, dataset)


@require_GET
def dataset_problems(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    severity = "warning" if request.GET.get("severity") == "warning" else "error"
    page = selectors.dataset_problems_page(
        dataset=dataset, severity=severity, after=request.GET.get("after", "")
    )
    context = {"dataset": dataset, "page": page, "severity": severity}
    return render(request, "datasets/_problems.html", context)


@require_GET
def dataset_statistics(request, dataset_id: int):
    """What the charts draw: histograms of calls and tools per row, prompt tokens."""
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    stats = dataset.statistics or {}
    tokens = stats.get("prompt_tokens") or {}
    return JsonResponse(
        {
            "status": dataset.status,
            "calls_per_row": (stats.get("calls_per_row") or {}).get("histogram", []),
            "tools_per_row": (stats.get("tools_per_row") or {}).get("histogram", []),
            "prompt_tokens": tokens.get("histogram", []),
            "prompt_tokens_bin": tokens.get("bin_width", 1),
        }
    )


def _preview_rows(dataset, query: str, after: int) -> tuple[list[dict], int | None]:
    path = storage.prepared_dir(dataset.pk, dataset.version) / "rows.jsonl"
    if not path.is_file():
        return [], None
    if query:
        found = rowfile.search_rows(path, query, after=after, limit=PREVIEW_PAGE + 1)
    else:
        found = rowfile.read_rows(path, after + 1, PREVIEW_PAGE + 1)
    more = len(found) > PREVIEW_PAGE
    rows = []
    for index, row in found[:PREVIEW_PAGE]:
        system, user = render_messages(row)
        rows.append(
            {
                "index": index,
                "row": row,
                "system": system["content"],
                "user": user["content"],
                "target": render_target(row.target),
            }
        )
    return rows, (rows[-1]["index"] if more and rows else None)


@require_GET
def dataset_preview(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    query = request.GET.get("q", "").strip()[:200]
    try:
        after = int(request.GET.get("after", -1))
    except ValueError:
        after = -1
    rows, next_after = _preview_rows(dataset, query, max(-1, after))
    context = {
        "dataset": dataset,
        "project": dataset.project,
        "rows": rows,
        "query": query,
        "after": after,
        "next_after": next_after,
        "ready": storage.prepared_dir(dataset.pk, dataset.version).is_dir(),
    }
    template = "datasets/_preview_rows.html" if request.htmx else "datasets/dataset_preview.html"
    return render(request, template, context)


@require_GET
def dataset_download(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    try:
        if dataset.kind == dataset.Kind.SYNTHETIC:
            path = storage.prepared_dir(dataset.pk, dataset.version) / "rows.jsonl"
        else:
            path = storage.blob_path(dataset.sha256)
        path = storage.confined(path)
    except storage.OutsideUploads:
        raise Http404("No such file.") from None
    if not path.is_file():
        raise Http404("The file is no longer there.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=dataset.display_name)


@require_POST
def dataset_replace_file(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    refused = upload_refused(request)
    form = DatasetFileForm(request.POST, request.FILES)
    if refused:
        messages.error(request, refused)
    elif not form.is_valid():
        messages.error(request, "Choose the corrected file to upload.")
    else:
        try:
            services.dataset_replace_file(dataset=dataset, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "New file uploaded; a worker is checking it.")
    return redirect("dataset-detail", dataset_id=dataset.pk)


@require_POST
def dataset_settings(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    form = DatasetSettingsForm(request.POST, project=dataset.project, exclude_dataset=dataset)
    if form.is_valid():
        try:
            services.dataset_update_settings(dataset=dataset, **form.settings_values())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Settings saved; a worker is checking the file again.")
            return redirect("dataset-detail", dataset_id=dataset.pk)
    return _detail(request, dataset, settings_form=form, status=400)


@require_POST
def dataset_revalidate(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    try:
        services.dataset_revalidate(dataset=dataset)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Queued for validation.")
    return redirect("dataset-detail", dataset_id=dataset.pk)


@require_POST
def dataset_delete(request, dataset_id: int):
    dataset = selectors.dataset_get_for_user(user=request.user, dataset_id=dataset_id)
    try:
        services.dataset_delete(dataset=dataset)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("dataset-detail", dataset_id=dataset.pk)
    messages.success(request, f"Dataset “{dataset.name}” deleted.")
    return redirect("dataset-list", slug=dataset.project.slug)
