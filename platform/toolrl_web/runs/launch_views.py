"""Launch pages: the form, its live preview (resolved YAML, command, clone diff), the YAML
download, cloning a run, and the page of a sweep."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from toolrl_web.projects.selectors import project_get_for_user
from toolrl_web.runs import launch, launch_display, selectors
from toolrl_web.runs.forms import RunLaunchForm
from toolrl_web.runs.models import Run

GRPO_FIELDS = ["num_generations", "prompts_per_step", "learning_rate", "temperature", "top_p",
               "max_completion_length", "max_steps", "epochs", "beta", "epsilon", "scale_rewards",
               "eval_every", "seed"]  # fmt: skip


def _add_errors(form: RunLaunchForm, exc: ValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    for name, problems in errors.items():
        target = name if name in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


def _named(exc: ValidationError) -> list[str]:
    """Each problem as `field: message` (the preview panel is away from the fields)."""
    if not hasattr(exc, "error_dict"):
        return exc.messages
    return [
        message
        if name == NON_FIELD_ERRORS or message.startswith(f"{name}:")
        else f"{name}: {message}"
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


def _preview(project, data) -> dict:
    """The preview panel: the resolved configuration and command, or what stops the launch."""
    try:
        resolved = launch.launch_resolve(project=project, form_data=data)
    except ValidationError as exc:
        return {"problems": _named(exc)}
    sweep = None
    if (data.get("sweep_values") or "").strip():
        try:
            field = data.get("sweep_field") or ""
            sweep = (field, launch.sweep_values_parse(field, data["sweep_values"]))
        except ValidationError as exc:
            return {"problems": _named(exc)}
    diff = None
    if resolved.clone_of is not None:
        diff = launch_display.config_diff(resolved.clone_of.config, resolved.config)
    return {
        "config_yaml": launch_display.config_yaml(resolved.config),
        "command": launch_display.equivalent_command(resolved.config),
        "file_name": launch_display.config_file_name(resolved.config),
        "clone_of": resolved.clone_of,
        "diff": diff,
        "sweep": sweep,
    }


def _page(request, project, form: RunLaunchForm, data, clone_of: Run | None = None):
    form.show_preset_values(clone_of.config if clone_of else {"preset": form["preset"].value()})
    context = {
        "project": project,
        "form": form,
        "grpo_fields": [form[name] for name in GRPO_FIELDS],
        "clone_of": clone_of,
        **_preview(project, data),
    }
    return render(request, "runs/run_launch.html", context)


def _initial_data(form: RunLaunchForm) -> dict:
    return {name: form[name].value() for name in form.fields if form[name].value() is not None}


def _launch(request, project, form: RunLaunchForm):
    data = request.POST.dict()
    try:
        if (data.get("sweep_values") or "").strip():
            runs = launch.run_sweep(project=project, user=request.user, form_data=data)
            messages.success(request, f"{len(runs)} runs queued as one sweep.")
            return redirect("run-sweep", slug=project.slug, label=runs[0].sweep)
        run = launch.run_launch(project=project, user=request.user, form_data=data)
    except ValidationError as exc:
        _add_errors(form, exc)
        return None
    messages.success(request, f"Run #{run.pk} queued.")
    return redirect("run-detail", run_id=run.pk)


@require_http_methods(["GET", "POST"])
def run_launch(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    if request.method == "GET":
        form = RunLaunchForm(project=project)
        return _page(request, project, form, _initial_data(form))
    form = RunLaunchForm(request.POST, project=project)
    try:
        clone_of = launch.run_clone_source(project=project, values=request.POST)
    except ValidationError:
        clone_of = None  # the form shows the problem on its field
    if form.is_valid() and request.POST.get("action") != "preview":
        response = _launch(request, project, form)
        if response is not None:
            return response
    return _page(request, project, form, request.POST.dict(), clone_of)


@require_POST
def run_launch_preview(request, slug: str):
    """The preview panel alone (htmx swaps it in as the form changes)."""
    project = project_get_for_user(user=request.user, slug=slug)
    return render(request, "runs/_launch_preview.html", _preview(project, request.POST.dict()))


@require_GET
def run_launch_yaml(request, slug: str):
    """The resolved configuration as a YAML file `toolrl train` loads (nothing is queued)."""
    project = project_get_for_user(user=request.user, slug=slug)
    try:
        resolved = launch.launch_resolve(project=project, form_data=request.GET.dict())
    except ValidationError as exc:
        return HttpResponse("\n".join(exc.messages) + "\n", status=400, content_type="text/plain")
    body = launch_display.config_yaml(resolved.config)
    response = HttpResponse(body, content_type="application/yaml; charset=utf-8")
    name = launch_display.config_file_name(resolved.config)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def run_clone(request, run_id: int):
    """The launch form filled from a run; the preview shows what the user changes."""
    run = selectors.run_get_for_user(user=request.user, run_id=run_id)
    form = RunLaunchForm(initial=launch_display.clone_initial(run), project=run.project)
    return _page(request, run.project, form, _initial_data(form), run)


@require_GET
def run_sweep(request, slug: str, label: str):
    """The runs of one sweep, with the link that compares them."""
    project = project_get_for_user(user=request.user, slug=slug)
    runs = launch.runs_in_sweep(project=project, label=label)
    if not runs:
        raise Http404("No such sweep.")
    ids = ",".join(str(r.pk) for r in runs)
    context = {"project": project, "label": label, "runs": runs, "compare_ids": ids}
    return render(request, "runs/run_sweep.html", context)
