"""Reward configuration pages: list (create from a preset or scratch, import), the structured
editor with its live schedule chart, export, delete, and the playground."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from toolrl.rewards import PRESETS, check_config, schedule_points
from toolrl_web.projects.selectors import project_get_for_user
from toolrl_web.rewards import editor, selectors, services
from toolrl_web.rewards.playground import playground_context, playground_result

MAX_CHART_STEPS = 100_000
CHART_POINTS = 201


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def _list(request, project, *, errors=None, values=None, status=200):
    context = {
        "project": project,
        "configurations": selectors.reward_configuration_list_for_project(project=project),
        "presets": list(PRESETS),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "rewards/rewardconfiguration_list.html", context, status=status)


@require_GET
def reward_list(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    return _list(request, project)


@require_POST
def reward_create(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    try:
        configuration = services.reward_configuration_create_from_preset(
            project=project,
            user=request.user,
            name=request.POST.get("name", ""),
            preset=request.POST.get("preset", ""),
        )
    except ValidationError as exc:
        return _list(request, project, errors=_errors(exc), values=request.POST, status=400)
    messages.success(request, f"Created “{configuration.name}”.")
    return redirect("reward-edit", pk=configuration.pk)


@require_POST
def reward_import(request, slug: str):
    project = project_get_for_user(user=request.user, slug=slug)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError({"file": "Choose a YAML or JSON file."})
        content = upload.read(services.MAX_IMPORT_BYTES + 1)  # enough for the service to refuse
        configuration = services.reward_configuration_import(
            project=project,
            user=request.user,
            filename=upload.name,
            content=content,
            name=request.POST.get("import_name", ""),
        )
    except ValidationError as exc:
        errors = _errors(exc)
        if "name" in errors:
            errors["import_name"] = errors.pop("name")
        return _list(request, project, errors=errors, values=request.POST, status=400)
    messages.success(request, f"Imported “{configuration.name}”.")
    return redirect("reward-edit", pk=configuration.pk)


def _edit_context(
    configuration, components: list, errors: dict, name: str, description: str
) -> dict:
    return {
        "configuration": configuration,
        "project": configuration.project,
        "runs": selectors.reward_configuration_runs(configuration=configuration),
        "components": components,
        "errors": errors,
        "name": name,
        "description": description,
        "kinds": editor.KINDS,
        "granularities": editor.GRANULARITIES,
        "matchings": editor.MATCHINGS,
        "normalizations": editor.NORMALIZATIONS,
    }


def _posted_config(post) -> tuple[dict, dict[str, list[str]]]:
    """The posted editor as a mapping, with its unreadable numbers and `toolrl`'s problems
    (a field already reported as not a number is not reported again as missing)."""
    data, errors = editor.config_from_post(post)
    _, problems = check_config(data)
    for path, found in problems.items():
        if not any(key == path or key.startswith(path + ".") for key in errors):
            errors[path] = found
    return data, errors


@require_http_methods(["GET", "POST"])
def reward_edit(request, pk: int):
    configuration = selectors.reward_configuration_get_for_user(user=request.user, pk=pk)
    if request.method == "GET":
        components = editor.editor_components(configuration.config)
        context = _edit_context(
            configuration, components, {}, configuration.name, configuration.description
        )
        return render(request, "rewards/rewardconfiguration_edit.html", context)
    data, errors = _posted_config(request.POST)
    name, description = request.POST.get("name", ""), request.POST.get("description", "")
    if not errors:
        try:
            services.reward_configuration_update(
                configuration=configuration, name=name, description=description, config=data
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"Saved “{configuration.name}”.")
            return redirect("reward-edit", pk=configuration.pk)
    components = editor.editor_components_as_typed(request.POST, errors)
    context = _edit_context(configuration, components, errors, name, description)
    return render(request, "rewards/rewardconfiguration_edit.html", context, status=400)


def _steps(raw) -> int:
    try:
        return min(max(int(raw), 1), MAX_CHART_STEPS)
    except (TypeError, ValueError):
        return 100


@require_http_methods(["GET", "POST"])
def reward_schedule(request, pk: int):
    """The effective weights and [min, max] over `steps` training steps: of the saved config
    (GET) or of the editor's current, unsaved values (POST), for the live chart."""
    configuration = selectors.reward_configuration_get_for_user(user=request.user, pk=pk)
    steps = _steps(request.POST.get("steps") or request.GET.get("steps"))
    if request.method == "POST":
        data, errors = _posted_config(request.POST)
        cfg = None if errors else check_config(data)[0]
    else:
        cfg, errors = selectors.reward_configuration_config(configuration=configuration), {}
    if cfg is None:
        return JsonResponse({"steps": steps, "points": [], "errors": errors})
    points = schedule_points(cfg, max_steps=steps, n=min(steps + 1, CHART_POINTS))
    return JsonResponse({"steps": steps, "points": points, "errors": {}})


@require_GET
def reward_export(request, pk: int):
    configuration = selectors.reward_configuration_get_for_user(user=request.user, pk=pk)
    fmt = "json" if request.GET.get("format") == "json" else "yaml"
    filename, text = selectors.reward_configuration_export(configuration=configuration, fmt=fmt)
    kind = "application/json" if fmt == "json" else "application/yaml"
    response = HttpResponse(text, content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
def reward_delete(request, pk: int):
    configuration = selectors.reward_configuration_get_for_user(user=request.user, pk=pk)
    project, name = configuration.project, configuration.name
    services.reward_configuration_delete(configuration=configuration)
    messages.success(request, f"Deleted “{name}”.")
    return redirect("reward-list", slug=project.slug)


@require_GET
def reward_playground(request, pk: int):
    configuration = selectors.reward_configuration_get_for_user(user=request.user, pk=pk)
    context = playground_context(configuration, request.GET)
    return render(request, "rewards/rewardconfiguration_playground.html", context)


@require_POST
def reward_playground_score(request, pk: int):
    configuration = selectors.reward_configuration_get_for_user(user=request.user, pk=pk)
    context = playground_result(configuration, request.POST)
    return render(request, "rewards/_playground_result.html", context)
