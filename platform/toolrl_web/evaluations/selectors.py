"""Reads for evaluations: a run's jobs, each suite's results over checkpoints, the table across runs.

Every lookup a page makes is scoped to the asking user's projects: an outsider gets 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from toolrl_web.evaluations.catalog import PAPER_REFERENCES, SUITE_LABELS
from toolrl_web.evaluations.models import Evaluation, EvaluationResult, EvaluationStatus
from toolrl_web.runs.models import Artifact, Run
from toolrl_web.runs.selectors import lineage_filter, run_lineage


def evaluation_get_for_user(*, user, evaluation_id: int) -> Evaluation:
    evaluation = (
        Evaluation.objects.filter(pk=evaluation_id, project__memberships__user=user)
        .select_related("project", "run")
        .first()
    )
    if evaluation is None:
        raise Http404("No such evaluation.")
    return evaluation


def evaluation_get(*, evaluation_id: int) -> Evaluation:
    return Evaluation.objects.get(pk=evaluation_id)


def lineage_artifacts(*, run: Run) -> QuerySet[Artifact]:
    """The checkpoints an evaluation of `run` may use, newest step first: its own, and those of
    the runs it continues, each up to the step its continuation restarted from (the parent's
    later steps were redone and are not this run's history)."""
    return (
        Artifact.objects.filter(lineage_filter(run_lineage(run=run)))
        .select_related("run")
        .order_by("-step", "-run_id")
    )


def evaluation_list_for_run(*, run: Run) -> QuerySet[Evaluation]:
    return (
        Evaluation.objects.filter(run=run)
        .select_related("created_by")
        .prefetch_related("results")
        .order_by("-created_at")
    )


JOBS_PAGE_SIZE = 20


def evaluation_page_for_run(
    *, run: Run, before: int | None = None, size: int = JOBS_PAGE_SIZE
) -> tuple[list[Evaluation], int | None]:
    """Newest first, `size` at a time by keyset (ids below `before`); and the next page's key."""
    qs = evaluation_list_for_run(run=run).order_by("-pk")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    page = list(qs[: size + 1])
    more = len(page) > size
    page = page[:size]
    return page, (page[-1].pk if more else None)


def evaluations_active_for_run(*, run: Run) -> bool:
    return Evaluation.objects.filter(
        run=run, status__in=(EvaluationStatus.QUEUED, EvaluationStatus.RUNNING)
    ).exists()


def runs_for_user(*, user, run_ids: list[int]) -> list[Run]:
    """The runs named, in the order given; 404 if any is not the user's (never say which exist)."""
    runs = {
        r.pk: r
        for r in Run.objects.filter(pk__in=run_ids, project__memberships__user=user).distinct()
    }
    if not run_ids or any(pk not in runs for pk in run_ids):
        raise Http404("No such run.")
    return [runs[pk] for pk in run_ids]


def _finished_results(run_ids: list[int]) -> QuerySet[EvaluationResult]:
    # Oldest first, so for a repeated (run, step, suite) the latest evaluation wins below.
    return (
        EvaluationResult.objects.filter(
            evaluation__run_id__in=run_ids, evaluation__status=EvaluationStatus.FINISHED
        )
        .select_related("evaluation")
        .order_by("evaluation__created_at", "pk")
    )


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def run_suite_points(*, run: Run) -> dict[str, list[dict[str, Any]]]:
    """Per suite, one point per checkpoint step (the latest finished result of that step): step,
    headline score, every score, the evaluation, the model label, and `updated`, when the point
    became what it is (its evaluation's end, in microseconds): the charts' cursor."""
    points: dict[str, dict[int, dict[str, Any]]] = {}
    for result in _finished_results([run.pk]):
        evaluation = result.evaluation
        step = evaluation.checkpoint_step
        points.setdefault(result.suite, {})[step] = {
            "step": step,
            "score": result.score,
            "scores": result.metrics.get("scores") or {"accuracy": result.metrics.get("accuracy")},
            "headline": result.metrics.get("headline") or "accuracy",
            "items": result.item_count,
            "evaluation": result.evaluation_id,
            "model": evaluation.model_label,
            "updated": _micros(evaluation.finished_at or evaluation.created_at),
        }
    ordered = [s for s in SUITE_LABELS if s in points] + [
        s for s in points if s not in SUITE_LABELS
    ]
    return {s: [points[s][k] for k in sorted(points[s])] for s in ordered}


# A result becomes visible when its evaluation's end commits, a moment after `finished_at` is
# taken: a cursor this far behind the present lets a late commit still arrive (the page merges
# a point it already has by step, so a repeat is harmless).
CURSOR_LAG_SECONDS = 5


def run_suite_changes(*, run: Run, since: int = -1) -> tuple[list[dict[str, Any]], int]:
    """The charts' points that changed after the cursor `since` (any step: an earlier
    checkpoint evaluated again arrives too), and the cursor to ask with next time."""
    charts = suite_charts(run=run)
    latest = max((p["updated"] for c in charts for p in c["points"]), default=since)
    cursor = min(latest, _micros(timezone.now()) - CURSOR_LAG_SECONDS * 1_000_000)
    for chart in charts:
        chart["points"] = [p for p in chart["points"] if p["updated"] > since]
    return charts, max(cursor, -1)


def suite_charts(*, run: Run) -> list[dict[str, Any]]:
    """What the run page draws: per suite its label, points and the paper's reference lines."""
    return [
        {
            "suite": suite,
            "label": SUITE_LABELS.get(suite, suite),
            "points": pts,
            "references": PAPER_REFERENCES.get(suite),
        }
        for suite, pts in run_suite_points(run=run).items()
    ]


def run_results_rows(*, run: Run) -> list[dict[str, Any]]:
    """One row per (suite, checkpoint step, score) for the table and the CSV."""
    rows = []
    for suite, pts in run_suite_points(run=run).items():
        for point in pts:
            for name, value in point["scores"].items():
                rows.append(
                    {
                        "suite": suite,
                        "step": point["step"],
                        "model": point["model"],
                        "score": name,
                        "value": value,
                        "items": point["items"],
                        "evaluation": point["evaluation"],
                        "headline": name == point["headline"],
                    }
                )
    return rows


@dataclass
class CompareTable:
    """Rows (suite, score) by columns (runs); a cell is the value at the run's latest evaluated
    checkpoint for that suite, and `best` marks the highest value of each row."""

    runs: list[Run]
    rows: list[dict[str, Any]] = field(default_factory=list)
    # The paper's numbers for the suites in the table: (label, measure, {model: value in %}).
    references: list[tuple[str, str, dict[str, float]]] = field(default_factory=list)


def _latest_scores(runs: list[Run]) -> dict[tuple[int, str], dict[str, Any]]:
    """(run id, suite) -> the step and scores of its latest evaluated checkpoint."""
    latest: dict[tuple[int, str], dict[str, Any]] = {}
    for result in _finished_results([r.pk for r in runs]):
        key = (result.evaluation.run_id, result.suite)
        step = result.evaluation.checkpoint_step
        if key not in latest or step >= latest[key]["step"]:
            scores = result.metrics.get("scores") or {"accuracy": result.metrics.get("accuracy")}
            latest[key] = {"step": step, "scores": scores}
    return latest


def _row(suite: str, name: str, runs: list[Run], latest: dict) -> dict[str, Any]:
    cells = []
    for run in runs:
        found = latest.get((run.pk, suite))
        value = found["scores"].get(name) if found else None
        cells.append({"run": run, "value": value, "step": found and found["step"]})
    values = [c["value"] for c in cells if isinstance(c["value"], int | float)]
    best = max(values) if values else None
    for c in cells:
        # Nothing to beat with one value; ties are all marked.
        c["best"] = best is not None and len(values) > 1 and c["value"] == best
    return {"suite": suite, "label": SUITE_LABELS.get(suite, suite), "score": name, "cells": cells}


def evaluation_table_for_runs(*, runs: list[Run]) -> CompareTable:
    """Rows (suite, score) by the runs given, the best value of each row marked."""
    latest = _latest_scores(runs)
    table = CompareTable(runs=runs)
    suites = sorted({s for _, s in latest}, key=_suite_order)
    for suite in suites:
        names = {}
        for run in runs:
            names.update(dict.fromkeys((latest.get((run.pk, suite)) or {}).get("scores", {})))
        table.rows.extend(_row(suite, name, runs, latest) for name in names)
    table.references = [
        (SUITE_LABELS[s], PAPER_REFERENCES[s]["measure"], PAPER_REFERENCES[s]["values"])
        for s in suites
        if s in PAPER_REFERENCES
    ]
    return table


def _suite_order(suite: str) -> tuple[int, str]:
    order = list(SUITE_LABELS)
    return (order.index(suite) if suite in order else len(order), suite)
