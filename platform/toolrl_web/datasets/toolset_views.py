"""Tool set pages: upload (checked in the request: the report is the form), detail, download,
delete."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from toolrl_web.datasets import selectors, services, storage
from toolrl_web.datasets.forms import ToolsetUploadForm
from toolrl_web.datasets.uploads import upload_refused
from toolrl_web.datasets.views import apply_errors
from toolrl_web.projects.selectors import project_get_for_user


@require_http_methods(["GET", "POST"])
def toolset_upload(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    context: dict = {"project": project}
    refused = upload_refused(request)
    if request.method == "POST" and refused:
        context.update(form=ToolsetUploadForm(), refused=refused)
        return render(request, "datasets/toolset_upload.html", context, status=413)
    form = ToolsetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            toolset = services.toolset_create_from_upload(
                project=project,
                user=request.user,
                upload=form.cleaned_data["file"],
                name=form.cleaned_data["name"],
            )
        except services.ToolsetInvalid as exc:
            context["problems"] = exc.problems
            form.add_error("file", "The file has errors (listed below); nothing was kept.")
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, f"Tool set “{toolset.name}” added ({toolset.tool_count} tools)."
            )
            return redirect("toolset-detail", toolset_id=toolset.pk)
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "datasets/toolset_upload.html", context, status=status)


@require_GET
def toolset_detail(request, toolset_id: int):
    toolset = selectors.toolset_get_for_user(user=request.user, toolset_id=toolset_id)
    tools = [
        {**tool, "parameters_json": json.dumps(tool.get("parameters", {}), indent=2)}
        for tool in toolset.tools
    ]
    context = {
        "toolset": toolset,
        "project": toolset.project,
        "tools": tools,
        "datasets": toolset.datasets.all(),
        "used_by": selectors.toolset_used_by(toolset=toolset),
    }
    return render(request, "datasets/toolset_detail.html", context)


@require_GET
def toolset_download(request, toolset_id: int):
    toolset = selectors.toolset_get_for_user(user=request.user, toolset_id=toolset_id)
    if not toolset.sha256:  # the synthetic task's tools: written from the record
        body = json.dumps(
            [{"type": "function", "function": t} for t in toolset.tools], indent=2
        ).encode()
        response = FileResponse(iter([body]), as_attachment=True, filename="synthetic-tools.json")
        response["Content-Type"] = "application/json"
        return response
    try:
        path = storage.blob_path(toolset.sha256)
    except storage.OutsideUploads:
        raise Http404("No such file.") from None
    if not path.is_file():
        raise Http404("The file is no longer there.")
    name = toolset.original_name or f"{toolset.name}.json"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)


@require_POST
def toolset_delete(request, toolset_id: int):
    toolset = selectors.toolset_get_for_user(user=request.user, toolset_id=toolset_id)
    try:
        services.toolset_delete(toolset=toolset)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("toolset-detail", toolset_id=toolset.pk)
    messages.success(request, f"Tool set “{toolset.name}” deleted.")
    return redirect("dataset-list", slug=toolset.project.slug)
