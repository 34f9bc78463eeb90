"""Metric series of compared runs: the names available, the curves, the value at a step.

Training metrics live in `MetricRow.values` (TRL's names), evaluation metrics in `EvalRow.values`
(`eval/...`). Only the requested keys are read out of the JSON, as numbers, by the database
(`toolrl_web.compare.sqlvalues`), so a chart of 6 metrics over 10 runs of 1,000 steps decodes
no JSON in Python. A continuation's curve joins its parent's (the runs app's lineage rule).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import Max, Q

from toolrl import comparison
from toolrl_web.compare.selectors import ComparedRun
from toolrl_web.compare.sqlvalues import Epoch, JsonNumber, fetch_rows
from toolrl_web.runs.models import EvalRow, MetricRow, Run

# TRL's end-of-training summary arrives with the last step: one point each, not a curve.
SUMMARY_KEYS = {
    "train_runtime",
    "train_samples_per_second",
    "train_steps_per_second",
    "total_flos",
    "train_loss",
}
# What the page shows when the URL names no metrics (those the runs have).
DEFAULT_METRICS = (
    "reward",
    "rewards/format/mean",
    "rewards/correctness/mean",
    "rewards/length/mean",
    "eval/exact_call_accuracy",
    "kl",
    "entropy",
    "completions/mean_length",
)
MAX_POINTS = 1000  # per curve; longer curves are downsampled keeping each bucket's extremes
MAX_METRICS = 40  # per request: the URL names metrics, it must not ask for unbounded work


def source_of(metric: str) -> str:
    """Where a metric's values are: the sink writes evaluations (`eval/...`) to their own rows."""
    return "eval" if metric.startswith("eval/") else "train"


def _all_ids(compared: list[ComparedRun]) -> list[int]:
    return sorted({r.pk for c in compared for r in c.chain})


def _keys(model, ids: list[int]) -> set[str]:
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT DISTINCT jsonb_object_keys("values") FROM {table} WHERE run_id = ANY(%s)',
                [ids],
            )
            return {row[0] for row in cursor.fetchall()}
    keys: set[str] = set()
    for values in model.objects.filter(run_id__in=ids).values_list("values", flat=True):
        keys.update(values)
    return keys


def metric_catalog(*, compared: list[ComparedRun]) -> list[str]:
    """Every metric any compared run logged, sorted (for the metric picker)."""
    ids = _all_ids(compared)
    train = {k for k in _keys(MetricRow, ids) - SUMMARY_KEYS if source_of(k) == "train"}
    return sorted(train | {k for k in _keys(EvalRow, ids) if source_of(k) == "eval"})


def metric_groups(catalog: list[str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for name in catalog:
        groups[comparison.metric_group(name)].append(name)
    order = [
        "Total reward",
        "Reward components",
        "Reward sub-scores and weights",
        "Evaluation",
        "Training",
        "Length",
        "Rollouts",
        "Other",
    ]
    return [(g, groups[g]) for g in order if g in groups]


def asked_metrics(raw: list[str]) -> list[str]:
    """Metric names from `?metrics=a,b` (or repeated `metrics=`), in order, no repeats."""
    asked = [m.strip()[:200] for m in ",".join(raw).split(",") if m.strip()]
    return list(dict.fromkeys(asked))[:MAX_METRICS]


def latest_keys(*, compared: list[ComparedRun]) -> set[str]:
    """Metric names in each run's latest metric row and in its evaluations: enough to choose
    the default metrics without reading every row's keys (`metric_catalog` does that)."""
    ids = _all_ids(compared)
    maxima = _max_steps(ids)
    # One index lookup per run (run, step) rather than a scan of every row for DISTINCT ON.
    latest = Q(pk__in=[])
    for run_id, step in maxima.items():
        latest |= Q(run_id=run_id, step=step)
    keys = {
        k
        for values in MetricRow.objects.filter(latest).values_list("values", flat=True)
        for k in values
    }
    return keys | _keys(EvalRow, ids)


def chosen_metrics(raw: list[str], *, compared: list[ComparedRun]) -> list[str]:
    """The metrics the URL names (a name no run logged gets an empty chart), or the default
    metrics the runs have."""
    asked = asked_metrics(raw)
    if asked:
        return asked
    have = latest_keys(compared=compared)
    return [m for m in DEFAULT_METRICS if m in have]


def _start(run: Run) -> datetime:
    return run.started_at or run.created_at


def _offsets(chain: list[Run]) -> dict[int, float]:
    """run id -> what to add to a row's epoch seconds for its wall time: a continuation's wall
    time carries on from its parent's last kept point, without the gap between the two runs."""
    offsets, before = {}, 0.0
    for i, run in enumerate(chain):
        offsets[run.pk] = before - _start(run).timestamp()
        if i + 1 < len(chain):
            last = (
                MetricRow.objects.filter(run=run, step__lte=chain[i + 1].start_step)
                .aggregate(t=Max("logged_at"))
                .get("t")
            )
            if last is not None:
                before += (last - _start(run)).total_seconds()
    return offsets


def _members(compared: list[ComparedRun]) -> dict[int, list[tuple[int, int | None]]]:
    """run id -> [(compared run id, last step of it that counts)]: a continuation's parent
    counts up to the step the continuation restarted from (the runs app's lineage rule). One
    run can belong to two compared runs (a parent compared with its own continuation)."""
    members: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for c in compared:
        for i, run in enumerate(c.chain):
            cutoff = c.chain[i + 1].start_step if i + 1 < len(c.chain) else None
            members[run.pk].append((c.pk, cutoff))
    return members


def _owners(members, run_id: int, step: int):
    return [pk for pk, cutoff in members[run_id] if cutoff is None or step <= cutoff]


def _rows(model, ids: list[int], names: list[str], order: tuple[str, ...], **filters):
    """(run id, step, epoch seconds, number or None per name) of every lineage member, in one
    query. Model fields come before annotations in the SQL, as in this tuple."""
    keys = {f"m{i}": JsonNumber(name) for i, name in enumerate(names)}
    queryset = (
        model.objects.filter(run_id__in=ids, **filters)
        .annotate(t=Epoch("logged_at"), **keys)
        .order_by(*order)
        .values_list("run_id", "step", "t", *keys)
    )
    return fetch_rows(queryset)


def many_series(
    *, compared: list[ComparedRun], metrics: list[str], since: int = -1, clocks: dict | None = None
) -> dict[int, dict[str, dict[str, list]]]:
    """compared run id -> metric -> {"step", "time" (seconds since the run's start), "value"}.

    Steps where a metric is missing, null (NaN) or not a number have no point. A training metric
    with a point at every step shares its "step" and "time" lists with the run's other such
    metrics; `clocks`, when given, receives them per run (so JSON can send them once).
    """
    ids = _all_ids(compared)
    out = {c.pk: {m: _empty() for m in metrics} for c in compared}
    for model, source in ((MetricRow, "train"), (EvalRow, "eval")):
        names = [m for m in metrics if source_of(m) == source]
        if not names:
            continue
        by_run: dict[int, list[tuple]] = defaultdict(list)
        for row in _rows(model, ids, names, ("run_id", "step"), step__gt=since):
            by_run[row[0]].append(row)
        for c in compared:
            rows = _lineage_rows(c, by_run)
            if not rows:
                continue
            # Columns at once (zip) rather than point by point: 60,000 values per request.
            run_ids, steps, epochs, *columns = zip(*rows, strict=True)
            offsets = _offsets(c.chain)
            steps = list(steps)
            times = [
                None if e is None else round(e + offsets[r], 1)
                for r, e in zip(run_ids, epochs, strict=True)
            ]
            if clocks is not None and source == "train":
                clocks[c.pk] = {"step": steps, "time": times}
            for name, values in zip(names, columns, strict=True):
                kept = [i for i, v in enumerate(values) if v is not None]
                if len(kept) == len(values):
                    out[c.pk][name] = {"step": steps, "time": times, "value": list(values)}
                else:
                    out[c.pk][name] = {
                        "step": [steps[i] for i in kept],
                        "time": [times[i] for i in kept],
                        "value": [values[i] for i in kept],
                    }
    return out


def _lineage_rows(c: ComparedRun, by_run: dict[int, list[tuple]]) -> list[tuple]:
    """The compared run's rows in step order, its parents' up to where each continuation
    restarted (rows of each run are in step order)."""
    rows: list[tuple] = []
    for i, run in enumerate(c.chain):
        part = by_run.get(run.pk, [])
        if i + 1 < len(c.chain):
            part = part[: bisect_right([r[1] for r in part], c.chain[i + 1].start_step)]
        rows.extend(part)
    return rows


def thin(points: dict[str, list], max_points: int = MAX_POINTS) -> dict[str, list]:
    keep = comparison.downsample(points["value"], max_points)
    if len(keep) == len(points["value"]):
        return points
    return {key: [column[i] for i in keep] for key, column in points.items()}


def compare_series(
    *,
    compared: list[ComparedRun],
    metrics: list[str],
    since: int = -1,
    max_points: int = MAX_POINTS,
) -> dict:
    """The data endpoint's answer: per metric, its direction and one curve per run.

    A curve with a point at every step of its run sends only its values; their steps and wall
    times are the run's `clock`, sent once (about half the JSON for 6 metrics).
    """
    clocks: dict[int, dict[str, list]] = {}
    per_run = many_series(compared=compared, metrics=metrics, since=since, clocks=clocks)

    used: set[int] = set()  # a long run's clock is sent only if a curve uses it whole

    def curve(c: ComparedRun, m: str) -> dict:
        points = thin(per_run[c.pk][m], max_points)
        if c.pk in clocks and points["step"] is clocks[c.pk]["step"]:
            used.add(c.pk)
            return {"run": c.pk, "value": points["value"]}
        return {"run": c.pk, **points}

    curves = [
        {
            "name": m,
            "direction": comparison.metric_direction(m),
            "series": [curve(c, m) for c in compared],
        }
        for m in metrics
    ]
    return {
        "runs": [{"id": c.pk, "label": c.legend, "color": c.color} for c in compared],
        "clock": {pk: clock for pk, clock in clocks.items() if pk in used},
        "metrics": curves,
        "last_step": last_steps(compared=compared),
        "active": any(not c.run.is_final for c in compared),
    }


def _empty() -> dict[str, list]:
    return {"step": [], "time": [], "value": []}


def _max_steps(ids: list[int]) -> dict[int, int]:
    return dict(
        MetricRow.objects.filter(run_id__in=ids)
        .values("run_id")
        .annotate(m=Max("step"))
        .values_list("run_id", "m")
    )


def last_steps(*, compared: list[ComparedRun]) -> dict[int, int]:
    """run id -> the last step its joined curve reaches (0 before any metric)."""
    maxima = _max_steps(_all_ids(compared))
    out = {}
    for c in compared:
        last = 0
        for i, run in enumerate(c.chain):
            m = maxima.get(run.pk)
            if m is None:
                continue
            if i + 1 < len(c.chain):
                m = min(m, c.chain[i + 1].start_step)
            last = max(last, m)
        out[c.pk] = last
    return out


def values_at_step(*, compared: list[ComparedRun], metrics: list[str], step: int) -> list[dict]:
    """The value-at-step table: per metric, each run's value at `step` (or its latest before),
    with the best marked by the metric's direction."""
    found = _latest_values(compared, metrics, step)
    rows = []
    for m in metrics:
        direction = comparison.metric_direction(m)
        cells = [found.get((c.pk, m)) for c in compared]
        values = [cell[1] if cell else None for cell in cells]
        best = set(comparison.best_index(values, direction) if len(compared) > 1 else [])
        rows.append(
            {
                "metric": m,
                "direction": direction,
                "direction_words": comparison.DIRECTION_WORDS[direction],
                "cells": [
                    {
                        "step": cell[0] if cell else None,
                        "value": v,
                        "text": comparison.format_value(v),
                        "best": i in best,
                    }
                    for i, (cell, v) in enumerate(zip(cells, values, strict=True))
                ],
            }
        )
    return rows


LOOK_BACK = 50  # steps read first for the value at a step; a metric not among them is searched


def _latest_values(compared: list[ComparedRun], metrics: list[str], step: int):
    """(compared run id, metric) -> (step, value) of the latest point at or before `step`.

    One query per source over the last LOOK_BACK steps of every run; a second, unbounded one
    only when some run has a metric but not in that window (sparse evaluations, say).
    """
    members, ids = _members(compared), _all_ids(compared)
    found: dict[tuple[int, str], tuple[int, float]] = {}
    for model, source in ((MetricRow, "train"), (EvalRow, "eval")):
        names = [m for m in metrics if source_of(m) == source]
        if not names:
            continue
        window = {"step__lte": step, "step__gt": step - LOOK_BACK}
        for filters in (window, {"step__lte": step}):
            rows = _rows(model, ids, names, ("-step", "-run_id"), **filters)
            for run_id, row_step, _, *values in rows:
                for pk in _owners(members, run_id, row_step):
                    for name, value in zip(names, values, strict=True):
                        if (pk, name) not in found and value is not None:
                            found[(pk, name)] = (row_step, value)
            wanted = len(compared) * len(names)
            if sum(1 for key in found if key[1] in names) == wanted or filters is not window:
                break
            if not _has_older(model, ids, names, step - LOOK_BACK):
                break
    return found


def _has_older(model, ids: list[int], names: list[str], below: int) -> bool:
    """Whether any of the metrics has a value before the window (else no second query)."""
    query = model.objects.filter(run_id__in=ids, step__lte=below)
    has_key = Q()
    for name in names:
        has_key |= Q(values__has_key=name)
    return query.filter(has_key).exists()
