"""Reward lab pages: pick a range and a reward, watch the re-score, read its results."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from toolrl_web.lab import selectors, services
from toolrl_web.lab.forms import RescoreForm
from toolrl_web.runs.selectors import run_get_for_user


@require_http_methods(["GET", "POST"])
def lab_home(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id)
    run_reward = (run.config or {}).get("reward")
    form = RescoreForm(request.POST or None, project=run.project, run_reward=run_reward)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cfg, label = services.reward_config_choose(
                project=run.project,
                source=data["source"],
                saved_id=data["saved"],
                preset=data["preset"],
                edited=data["edited"],
            )
            job, _ = services.rescore_job_create(
                run=run,
                user=request.user,
                cfg=cfg,
                label=label,
                source=data["source"],
                step_from=data["step_from"],
                step_to=data["step_to"],
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            return redirect("lab-job", job_id=job.pk)
    first, last = selectors.run_step_bounds(run=run)
    context = {
        "run": run,
        "project": run.project,
        "form": form,
        "jobs": selectors.rescore_jobs_for_run(run=run),
        "run_reward": run_reward if isinstance(run_reward, str) else "a configuration of its own",
        "first_step": first,
        "last_step": last,
    }
    return render(request, "lab/lab_home.html", context)


@require_GET
def lab_job(request, job_id: int):
    job = selectors.rescore_job_get_for_user(user=request.user, job_id=job_id)
    context = {
        "job": job,
        "run": job.run,
        "project": job.run.project,
        "config_json": json.dumps(job.config, indent=2),
    }
    if request.htmx:
        response = render(request, "lab/_job-status.html", context)
        if job.is_final:
            # The results are a whole page (charts); reload it once the job is done.
            response["HX-Refresh"] = "true"
        return response
    return render(request, "lab/rescorejob_detail.html", context)


@require_GET
def lab_distributions(request, job_id: int):
    """The histograms the job page charts (both rewards on shared bins), empty until finished."""
    job = selectors.rescore_job_get_for_user(user=request.user, job_id=job_id)
    return JsonResponse(
        {"status": job.status, "distributions": job.summary.get("distributions", {})}
    )


def _key(text: str) -> tuple[int, int] | None:
    step, _, group = text.partition(".")
    try:
        return int(step), int(group)
    except ValueError:
        return None


@require_GET
def lab_groups(request, job_id: int):
    """Every group of the job, whether its ranking / best completion changes, paged by key."""
    job = selectors.rescore_job_get_for_user(user=request.user, job_id=job_id)
    changed = request.GET.get("changed", "all")
    if changed not in selectors.GROUP_FILTERS:
        changed = "all"
    rows, next_key = selectors.rescore_groups_page(
        job=job, changed=changed, after=_key(request.GET.get("after", ""))
    )
    context = {
        "job": job,
        "run": job.run,
        "project": job.run.project,
        "rows": rows,
        "changed": changed,
        "filters": list(selectors.GROUP_FILTERS),
        "next_after": f"{next_key[0]}.{next_key[1]}" if next_key else "",
    }
    template = "lab/_group-rows.html" if request.htmx else "lab/rescorejob_groups.html"
    return render(request, template, context)


@require_GET
def lab_group(request, job_id: int, step: int, group: int):
    job = selectors.rescore_job_get_for_user(user=request.user, job_id=job_id)
    rows = selectors.rescore_group_rows(job=job, step=step, group=group)
    context = {
        "job": job,
        "run": job.run,
        "project": job.run.project,
        "step": step,
        "group": group,
        "rows": rows,
        "prompt_id": rows[0]["prompt_id"],
    }
    return render(request, "lab/rescorejob_group.html", context)
