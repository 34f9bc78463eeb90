"""Reads for the runs list and the run page: latest numbers per run, health hints, log tail."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import FloatField, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from toolrl.training.health import (
    EVAL_WINDOW,
    WINDOW,
    component_bounds,
    component_stats,
    health_hints,
)
from toolrl_web.runs.models import EvalRow, MetricRow, Rollout, Run, RunStatus
from toolrl_web.runs.selectors import lineage_filter, run_lineage

EXACT = "eval/exact_call_accuracy"
PAGE_SIZE = 50
LOG_TAIL_BYTES = 64 * 1024
LOG_TAIL_LINES = 200


# --- the runs list -------------------------------------------------------------------------


def run_list_page(
    *, project, status: str = "", before: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the project's runs, newest first, keyset-paged by id; (rows, next `before`)."""
    # The list never shows the configuration: do not fetch and parse 50 of them.
    runs: QuerySet[Run] = (
        Run.objects.filter(project=project)
        .select_related("created_by")
        .defer("config", "versions", "summary", "error")
    )
    if status:
        runs = runs.filter(status=status)
    if before is not None:
        runs = runs.filter(pk__lt=before)
    latest = MetricRow.objects.filter(run=OuterRef("pk")).order_by("-step")
    latest_eval = EvalRow.objects.filter(run=OuterRef("pk")).order_by("-step")
    runs = runs.annotate(
        latest_values=Subquery(latest.values("values")[:1]),
        latest_exact=Subquery(
            latest_eval.annotate(
                exact=Cast(KeyTextTransform(EXACT, "values"), FloatField())
            ).values("exact")[:1]
        ),
    ).order_by("-pk")[: limit + 1]
    page = list(runs)
    more = len(page) > limit
    page = page[:limit]
    return [_list_row(run) for run in page], (page[-1].pk if more else None)


def _list_row(run: Run) -> dict[str, Any]:
    values = run.latest_values or {}
    progress = None
    if run.max_steps:
        progress = max(0.0, min(1.0, run.last_step / run.max_steps))
    return {
        "run": run,
        "reward": values.get("reward"),
        "components": reward_components(values),
        "exact": run.latest_exact,
        "progress": progress,
        "eta": run_eta_seconds(run),
    }


def reward_components(values: dict[str, Any]) -> list[tuple[str, float]]:
    """(component, mean) pairs of one logged step, in the order they were logged."""
    return [
        (key.split("/")[1], value)
        for key, value in values.items()
        if key.startswith("rewards/") and key.endswith("/mean") and value is not None
    ]


def run_eta_seconds(run: Run) -> float | None:
    """Seconds left at the pace of the steps this launch has taken (None when unknown)."""
    done = run.last_step - run.start_step
    if run.status != RunStatus.RUNNING or not run.started_at or not run.max_steps or done <= 0:
        return None
    per_step = (timezone.now() - run.started_at).total_seconds() / done
    return max(0.0, per_step * (run.max_steps - run.last_step))


# --- health hints ----------------------------------------------------------------------------


def _rollouts_url(run: Run, filters: dict[str, Any]) -> str:
    # The rollout browser's URL (app `toolrl_web.rollouts`): runs/<id>/rollouts/?filters.
    return reverse("run-detail", args=[run.pk]) + "rollouts/?" + urlencode(filters)


def _component_stats(run: Run) -> tuple[dict, int | None]:
    step = Rollout.objects.filter(run=run).order_by("-step").values_list("step", flat=True)
    step = step.first()
    if step is None:
        return {}, None
    from toolrl.training.config import RunConfig

    try:
        reward_cfg = RunConfig.from_dict(run.config).reward_config()
    except Exception:  # noqa: BLE001 - an old or odd configuration only loses this hint
        return {}, step
    bounds = component_bounds(reward_cfg, step, run.max_steps)
    rewards = Rollout.objects.filter(run=run, step=step).values_list("rewards", flat=True)
    return component_stats(list(rewards), bounds), step


def run_health(*, run: Run) -> list[dict[str, Any]]:
    """The run's health hints (toolrl.training.health), each with a link to its rollouts."""
    lineage = lineage_filter(run_lineage(run=run))
    recent = MetricRow.objects.filter(lineage).order_by("-step").values_list("step", "values")
    metrics = list(reversed(recent[:WINDOW]))
    evals = [
        (step, exact)
        for step, exact in reversed(
            EvalRow.objects.filter(lineage)
            .annotate(exact=Cast(KeyTextTransform(EXACT, "values"), FloatField()))
            .filter(exact__isnull=False)
            .order_by("-step")
            .values_list("step", "exact")[:EVAL_WINDOW]
        )
    ]
    rewards = None
    if len(evals) == EVAL_WINDOW:
        rewards = list(
            MetricRow.objects.filter(lineage, step__gte=evals[0][0])
            .annotate(reward=Cast(KeyTextTransform("reward", "values"), FloatField()))
            .filter(reward__isnull=False)
            .order_by("step")
            .values_list("step", "reward")
        )
    components, rollout_step = _component_stats(run)
    hints = health_hints(
        metrics=metrics,
        evals=evals,
        rewards=rewards,
        components=components,
        rollout_step=rollout_step,
    )
    return [
        {"kind": h.kind, "message": h.message, "url": _rollouts_url(run, h.filters)} for h in hints
    ]


# --- log tail --------------------------------------------------------------------------------


def run_log_tail(*, run: Run, lines: int = LOG_TAIL_LINES) -> list[str] | None:
    """The training process's last lines (the file the supervisor writes); None when there is
    no log (yet)."""
    if not run.output_dir:
        return None
    path = (Path(run.output_dir) / "train.log").resolve()
    root = Path(settings.ARTIFACTS_DIR).resolve()
    if root not in path.parents:
        return None
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
            text = fh.read().decode(errors="replace")
    except OSError:
        return None
    # A progress bar redraws its line with carriage returns: keep what it shows last.
    shown = [_last_redraw(line) for line in text.split("\n")]
    if len(text) >= LOG_TAIL_BYTES:
        shown = shown[1:]  # the first line was cut by the seek
    while shown and not shown[-1].strip():
        shown.pop()
    return shown[-lines:]


def _last_redraw(line: str) -> str:
    drawn = [part for part in line.split("\r") if part.strip()]
    return drawn[-1].rstrip() if drawn else ""
