"""The compare page `compare/?runs=1,2,3`, its value-at-step partial, data endpoint and CSV."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.http import require_GET

from toolrl_web.compare import selectors, series

EVALUATION_TABLE = "evaluations/_compare_table.html"
POLL_SECONDS = 10  # how often the charts ask for new points while a compared run is active


def _selection(request):
    """The compared runs of `?runs=`; raises SelectionError (shown) or Http404 (not yours)."""
    ids = selectors.parse_run_ids(request.GET.getlist("runs"))
    runs = selectors.compare_runs_for_user(user=request.user, run_ids=ids)
    return selectors.compared_runs(runs=runs)


def _metrics(request, compared) -> list[str]:
    """The metrics the URL names, or the defaults the runs have. Listing every metric the runs
    logged reads every row's keys, so only the metric picker does it (`compare_metrics`)."""
    return series.chosen_metrics(request.GET.getlist("metrics"), compared=compared)


def _int(request, name: str, default: int | None) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise selectors.SelectionError(f"{name}: {raw[:20]!r} is not a whole number.") from None


def _evaluation_table(compared) -> dict | None:
    """The evaluations app's cross-run table when that app provides it (guarded: the page works
    without it)."""
    try:
        from toolrl_web.evaluations.selectors import evaluation_table_for_runs

        get_template(EVALUATION_TABLE)
    except (ImportError, TemplateDoesNotExist):
        return None
    runs = [c.run for c in compared]
    return {"template": EVALUATION_TABLE, "table": evaluation_table_for_runs(runs=runs)}


def _picker(request, chosen: list[int]) -> dict:
    projects, project, runs, sweeps = selectors.picker_runs(
        user=request.user, project_slug=request.GET.get("project"), chosen=chosen
    )
    return {
        "projects": projects,
        "picker_project": project,
        "picker_runs": runs,
        "sweeps": sweeps,
        "chosen": chosen,
    }


@require_GET
def compare_page(request):
    runs_params = request.GET.getlist("runs")
    repeated = [k for k in ("runs", "metrics") if len(request.GET.getlist(k)) > 1]
    if repeated:  # check boxes send runs=1&runs=2: share the short form runs=1,2
        query = request.GET.copy()
        for key in repeated:
            query.setlist(key, [",".join(request.GET.getlist(key))])
        return redirect(f"{request.path}?{query.urlencode(safe=',/')}")
    if not any(p.strip() for p in runs_params):
        return render(request, "compare/compare_page.html", _picker(request, []))
    try:
        compared = _selection(request)
        metrics = _metrics(request, compared)
        last = series.last_steps(compared=compared)
        step = _int(request, "step", min(last.values()))
    except selectors.SelectionError as exc:
        context = {"selection_error": str(exc), **_picker(request, [])}
        return render(request, "compare/compare_page.html", context, status=400)
    context = {
        **_picker(request, [c.pk for c in compared]),
        "compared": compared,
        "project": compared[0].run.project,
        "metrics": metrics,
        "metrics_param": ",".join(metrics),
        "runs_param": ",".join(str(c.pk) for c in compared),
        "last_steps": [(c, last[c.pk]) for c in compared],
        "uneven": len(set(last.values())) > 1,
        "step": step,
        "value_rows": series.values_at_step(compared=compared, metrics=metrics, step=step),
        "diff_rows": selectors.config_diff(compared=compared),
        "diff_only": request.GET.get("diff") == "only",
        "smoothing": _smoothing(request),
        "x_axis": "time" if request.GET.get("x") == "time" else "step",
        "evaluation_table": _evaluation_table(compared),
    }
    context["n_differ"] = sum(1 for row in context["diff_rows"] if row["differs"])
    context["page_config"] = {
        "dataUrl": reverse("compare-data"),
        "runs": context["runs_param"],
        "metrics": context["metrics_param"],
        "smoothing": context["smoothing"],
        "x": context["x_axis"],
        "pollSeconds": POLL_SECONDS,
    }
    return render(request, "compare/compare_page.html", context)


def _smoothing(request) -> float:
    try:
        value = float(request.GET.get("smoothing", "0.6"))
    except ValueError:
        return 0.6
    return min(max(value, 0.0), 0.99)


@require_GET
def compare_metrics(request):
    """The metric picker: every metric the runs logged, grouped (htmx loads it when opened)."""
    try:
        compared = _selection(request)
    except selectors.SelectionError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    catalog = series.metric_catalog(compared=compared)
    context = {
        "compared": compared,
        "runs_param": ",".join(str(c.pk) for c in compared),
        "groups": series.metric_groups(catalog),
        "metrics": _metrics(request, compared),
        "smoothing": _smoothing(request),
        "x_axis": "time" if request.GET.get("x") == "time" else "step",
        "diff_only": request.GET.get("diff") == "only",
    }
    template = "compare/_metric_picker.html" if request.htmx else "compare/metric_picker.html"
    return render(request, template, context)


@require_GET
def compare_table(request):
    """The value-at-step table alone (htmx swaps it when the step changes)."""
    try:
        compared = _selection(request)
        metrics = _metrics(request, compared)
        last = series.last_steps(compared=compared)
        step = _int(request, "step", min(last.values()))
    except selectors.SelectionError as exc:
        return HttpResponseBadRequest(str(exc))
    rows = series.values_at_step(compared=compared, metrics=metrics, step=step)
    context = {"compared": compared, "value_rows": rows, "step": step}
    return render(request, "compare/_value_table.html", context)


@require_GET
def compare_data(request):
    """JSON for the charts: only the requested metrics, points after `since`, downsampled."""
    try:
        compared = _selection(request)
        metrics = _metrics(request, compared)
        since = _int(request, "since", -1)
    except selectors.SelectionError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    data = series.compare_series(compared=compared, metrics=metrics, since=since)
    return JsonResponse(data)


@require_GET
def compare_csv(request):
    """Every point of the compared series (not downsampled), one row per run and step."""
    try:
        compared = _selection(request)
        metrics = _metrics(request, compared)
    except selectors.SelectionError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["run_id", "run", "step", "wall_time_seconds", *metrics])
    per_run = series.many_series(compared=compared, metrics=metrics)
    for c in compared:
        pk, legend, curves = c.pk, c.legend, per_run[c.pk]
        rows: dict[int, list] = {}
        for col, m in enumerate(metrics, start=3):
            points = curves[m]
            for step, t, value in zip(points["step"], points["time"], points["value"], strict=True):
                row = rows.get(step)
                if row is None:
                    row = rows[step] = [pk, legend, step, t, *[""] * len(metrics)]
                row[col + 1] = value  # str(float) round-trips exactly
        writer.writerows(rows[step] for step in sorted(rows))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = "compare-runs-" + "-".join(str(c.pk) for c in compared) + ".csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def compare_url(*, runs: list[int], **params) -> str:
    """`compare/?runs=1,2,3` for links from other pages (the runs list, a sweep)."""
    query = urlencode({"runs": ",".join(map(str, runs)), **params}, safe=",")
    return f"{reverse('compare')}?{query}"
