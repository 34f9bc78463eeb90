"""Rollout pages: the browser of a step's rollouts, a GRPO group side by side, one prompt across
steps, and the failure taxonomy chart with its JSON data."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from toolrl.taxonomy import LABELS, is_format_error
from toolrl_web.rollouts import selectors
from toolrl_web.rollouts.forms import RolloutFilterForm
from toolrl_web.runs.selectors import run_get_for_user


def _since(request) -> int:
    try:
        return int(request.GET.get("since", -1))
    except ValueError:
        return -1


@require_GET
def rollout_browser(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id)
    form = RolloutFilterForm(request.GET if request.GET else None)
    filters = form.filters()
    bounds = selectors.rollout_steps(run=run)
    if filters.step is None and bounds is not None and not request.GET:
        # The bare page opens the last step: what a user looks at during a run.
        form = RolloutFilterForm({"step": bounds[1]})
        filters = form.filters()
    rollouts, cursor = selectors.rollout_page(run=run, filters=filters, after=form.cursor())
    params = request.GET.copy()
    params.pop("after", None)
    if not request.GET and filters.step is not None:
        params["step"] = str(filters.step)
    context = {
        "run": run,
        "project": run.project,
        "form": form,
        "filters": filters,
        "bounds": bounds,
        "cards": selectors.rollout_cards(run=run, rollouts=rollouts),
        "next_query": (
            f"{params.urlencode()}&after={cursor[0]}.{cursor[1]}" if cursor is not None else None
        ),
        "error_categories": selectors.rollout_error_categories(),
        "browser_url": reverse("rollout-browser", args=[run.pk]),
        "group_url": reverse("rollout-group", args=[run.pk, 0, 0]).removesuffix("0/0/"),
        "prompt_url": reverse("prompt-history", args=[run.pk]),
    }
    if request.htmx:  # the filter form and "more" swap only the list
        return render(request, "rollouts/_rollout_list.html", context)
    return render(request, "rollouts/rollout_browser.html", context)


@require_GET
def rollout_group(request, run_id: int, step: int, group: int):
    run = run_get_for_user(user=request.user, run_id=run_id)
    rollouts = selectors.rollout_group(run=run, step=step, group=group)
    if not rollouts:
        raise Http404("No such group.")
    context = {
        "run": run,
        "project": run.project,
        "step": step,
        "group": group,
        "prompt_id": rollouts[0].prompt_id,
        "cards": selectors.rollout_cards(run=run, rollouts=rollouts),
        "browser_url": reverse("rollout-browser", args=[run.pk]),
    }
    return render(request, "rollouts/rollout_group.html", context)


@require_GET
def prompt_history(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id)
    prompt_id = request.GET.get("id", "")
    history = selectors.prompt_history(run=run, prompt_id=prompt_id)
    prompt = selectors.prompt_messages(run=run, prompt_ids=[prompt_id]).get(prompt_id)
    context = {
        "run": run,
        "project": run.project,
        "prompt_id": prompt_id,
        "history": history,
        "prompt": prompt,
    }
    return render(request, "rollouts/prompt_history.html", context)


@require_GET
def prompt_history_data(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id)
    since = _since(request)
    rows = [
        r
        for r in selectors.prompt_history(run=run, prompt_id=request.GET.get("id", ""))
        if r["step"] > since
    ]
    return JsonResponse(
        {
            "steps": [r["step"] for r in rows],
            "mean": [r["mean"] for r in rows],
            "low": [r["low"] for r in rows],
            "high": [r["high"] for r in rows],
            "groups": [r["group"] for r in rows],
        }
    )


@require_GET
def failure_chart(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id)
    return render(request, "rollouts/failure_page.html", {"run": run, "project": run.project})


@require_GET
def failure_data(request, run_id: int):
    """Counts per step and label after `since`: {"steps": [...], "labels": {label: [n per
    step]}}, labels in the taxonomy's stacking order."""
    run = run_get_for_user(user=request.user, run_id=run_id)
    rows = selectors.failure_counts(run=run, since_step=_since(request))
    steps = sorted({r["step"] for r in rows})
    index = {s: i for i, s in enumerate(steps)}
    seen = {r["failure"] for r in rows}
    order = [label for label in LABELS if label in seen] + sorted(seen - set(LABELS))
    counts = {label: [0] * len(steps) for label in order}
    for r in rows:
        counts[r["failure"]][index[r["step"]]] = r["n"]
    return JsonResponse(
        {
            "steps": steps,
            "labels": counts,
            "format_labels": [label for label in order if is_format_error(label)],
        }
    )
