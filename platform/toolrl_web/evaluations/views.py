"""Evaluation pages: launch from a run, the run's results over checkpoints, the table across runs."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from toolrl_web.evaluations import selectors, services
from toolrl_web.evaluations.forms import EvaluationLaunchForm
from toolrl_web.runs.selectors import run_get_for_user


def _launch(request, run, form: EvaluationLaunchForm):
    """Create the evaluation from a bound form; None when the form shows errors instead."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        evaluation = services.evaluation_create(
            run=run,
            user=request.user,
            model=data["model"],
            suites=data["suites"],
            limit=data["limit"],
            max_new_tokens=data["max_new_tokens"],
        )
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
        return None
    return evaluation


@require_http_methods(["GET", "POST"])
def run_evaluations(request, run_id: int):
    """The run's evaluations: launch form, jobs, each suite's results over checkpoints."""
    run = run_get_for_user(user=request.user, run_id=run_id)
    form = EvaluationLaunchForm(request.POST or None, run=run)
    if request.method == "POST":
        evaluation = _launch(request, run, form)
        if evaluation is not None:
            messages.success(request, f"Evaluation #{evaluation.pk} queued.")
            return redirect("run-evaluations", run_id=run.pk)
    context = _page_context(request, run, form)
    return render(request, "evaluations/evaluation_list.html", context)


def _before(request) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() else None


def _jobs_context(request, run) -> dict:
    """One page of jobs; `before` names the page shown, so its poll asks for that page again."""
    before = _before(request)
    evaluations, next_before = selectors.evaluation_page_for_run(run=run, before=before)
    return {
        "run": run,
        "evaluations": evaluations,
        "before": before,
        "next_before": next_before,
        "active": selectors.evaluations_active_for_run(run=run),
    }


def _page_context(request, run, form) -> dict:
    return {
        **_jobs_context(request, run),
        "project": run.project,
        "form": form,
        "charts": selectors.suite_charts(run=run),
        "rows": selectors.run_results_rows(run=run),
    }


@require_GET
def run_evaluation_jobs(request, run_id: int):
    """The jobs table htmx polls while one is queued or running (286 once none is)."""
    run = run_get_for_user(user=request.user, run_id=run_id)
    context = _jobs_context(request, run)
    response = render(request, "evaluations/_jobs.html", context)
    if not context["active"]:
        return HttpResponseStopPolling(response.content)
    return response


def _latest_headlines(rows: list[dict]) -> list[dict]:
    """Each suite's headline score at its latest evaluated step (rows come step-ordered)."""
    latest = {r["suite"]: r for r in rows if r["headline"]}
    return list(latest.values())


@require_GET
def run_evaluations_panel(request, run_id: int):
    """What the run page shows: the latest results per suite and the launch form."""
    run = run_get_for_user(user=request.user, run_id=run_id)
    context = {
        "run": run,
        "form": EvaluationLaunchForm(run=run),
        "rows": _latest_headlines(selectors.run_results_rows(run=run)),
        "active": selectors.evaluations_active_for_run(run=run),
    }
    return render(request, "evaluations/_panel.html", context)


@require_GET
def run_evaluations_data(request, run_id: int):
    """Chart points per suite that changed after the cursor `since` (the `cursor` the previous
    answer returned; -1 or none for all), with the paper's references."""
    run = run_get_for_user(user=request.user, run_id=run_id)
    try:
        since = int(request.GET.get("since", -1))
    except ValueError:
        message = "since: give the cursor the previous answer returned (-1 for every point)"
        return JsonResponse({"error": message}, status=400)
    charts, cursor = selectors.run_suite_changes(run=run, since=since)
    active = selectors.evaluations_active_for_run(run=run)
    return JsonResponse({"since": since, "cursor": cursor, "active": active, "suites": charts})


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


@require_GET
def run_evaluations_csv(request, run_id: int):
    run = run_get_for_user(user=request.user, run_id=run_id)
    rows = selectors.run_results_rows(run=run)
    header = ["run", "suite", "step", "model", "score", "value", "items", "evaluation"]
    return _csv_response(
        f"run{run.pk}-evaluations.csv",
        header,
        (
            [run.pk, r["suite"], r["step"], r["model"], r["score"], r["value"], r["items"]]
            + [r["evaluation"]]
            for r in rows
        ),
    )


@require_POST
def evaluation_cancel(request, evaluation_id: int):
    evaluation = selectors.evaluation_get_for_user(user=request.user, evaluation_id=evaluation_id)
    try:
        outcome = services.evaluation_cancel(evaluation=evaluation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Canceled." if outcome == "canceled" else "Stopping.")
    if evaluation.run_id is None:  # a project-level evaluation of a base model
        return redirect("project-detail", slug=evaluation.project.slug)
    return redirect("run-evaluations", run_id=evaluation.run_id)


def _compare_runs(request):
    """The runs of `?runs=1,2`; 404 when one is not the user's; a message for a malformed list."""
    raw = request.GET.get("runs", "")
    try:
        ids = list(dict.fromkeys(int(part) for part in raw.split(",") if part.strip()))
    except ValueError:
        return None, f"runs: {raw!r} is not a list of run numbers separated by commas"
    if not ids:
        return None, "runs: give the run numbers to compare, e.g. ?runs=1,2"
    return selectors.runs_for_user(user=request.user, run_ids=ids), ""


@require_GET
def evaluation_compare(request):
    runs, problem = _compare_runs(request)
    table = selectors.evaluation_table_for_runs(runs=runs) if runs else None
    context = {"table": table, "problem": problem, "runs_param": request.GET.get("runs", "")}
    return render(
        request, "evaluations/evaluation_compare.html", context, status=400 if problem else 200
    )


@require_GET
def evaluation_compare_csv(request):
    runs, problem = _compare_runs(request)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    table = selectors.evaluation_table_for_runs(runs=runs)
    header = ["suite", "score"] + [f"run {r.pk}: {r.name}" for r in runs] + ["best"]
    rows = []
    for row in table.rows:
        best = [f"run {c['run'].pk}" for c in row["cells"] if c["best"]]
        values = ["" if c["value"] is None else c["value"] for c in row["cells"]]
        rows.append([row["suite"], row["score"], *values, " ".join(best)])
    return _csv_response("evaluations-compare.csv", header, rows)
