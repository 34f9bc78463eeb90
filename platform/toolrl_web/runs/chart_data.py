"""Reads for the run page's charts: the points of each curve after a step, downsampled.

A chart asks for the points after the last step it has (`since`). A long range is cut into
at most `BUCKETS` buckets of steps and each curve keeps its minimum and maximum in every bucket
(the point's own step included), so spikes survive and a 50,000-step run answers in well under
200 kB. The work is aggregate queries in PostgreSQL (the JSON rows never leave the database)
whose complete buckets are cached once their steps can no longer change, so a page load of a
long run reads only its newest steps.
Curves of a continuation join its parent's (`selectors.run_lineage`).
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from django.core.cache import cache
from django.db import connection

from toolrl_web.runs.models import EvalRow, MetricRow, Run
from toolrl_web.runs.selectors import run_lineage

# Up to this many rows a range is sent point by point; above it, downsampled.
MAX_RAW_POINTS = 400
# Buckets of a downsampled range (two points per bucket and curve): the bucket width is the
# power of two that gives at most this many.
BUCKETS = 200
# How long a run's complete buckets stay cached.
CACHE_SECONDS = 24 * 3600

# The metric curves the page draws (TRL's names and ours); anything else logged is left out.
METRIC_NAMES = (
    "reward",
    "reward_std",
    "kl",
    "entropy",
    "loss",
    "grad_norm",
    "learning_rate",
    "frac_reward_zero_std",
    "completions/mean_length",
    "completions/max_length",
    "completions/clipped_ratio",
)
METRIC_PREFIXES = ("rewards/", "weights/", "correctness/", "clip_ratio/")
EVAL_SKIP = ("eval/seconds", "eval/rows")


# One logged value as a float, and the test that it is a number (`values` is quoted: a keyword).
_VALUE = """("values" ->> %s)::float8"""
_IS_NUMBER = """jsonb_typeof("values" -> %s) = 'number'"""


def _charted_metric(name: str) -> bool:
    if name.startswith("rewards/"):
        return name.endswith("/mean")
    return name in METRIC_NAMES or name.startswith(METRIC_PREFIXES)


def _charted_eval(name: str) -> bool:
    return name.startswith("eval/") and name not in EVAL_SKIP


def _lineage_sql(chain: list[Run]) -> tuple[str, list[Any]]:
    """WHERE clause of the lineage: each earlier run up to where its continuation restarted."""
    parts, params = [], []
    for i, run in enumerate(chain):
        if i + 1 < len(chain):
            parts.append("(run_id = %s AND step <= %s)")
            params += [run.pk, chain[i + 1].start_step]
        else:
            parts.append("run_id = %s")
            params.append(run.pk)
    return "(" + " OR ".join(parts) + ")", params


def _keys(model, chain: list[Run], charted) -> list[str]:
    """Curve names: the keys of the first and the latest row (a key logged only in between,
    e.g. a one-off, is not a curve)."""
    names: set[str] = set()
    # Per run, so each is one step of the (run, step) index.
    for run, ordering in ((chain[0], "step"), (chain[-1], "-step")):
        row = model.objects.filter(run=run).order_by(ordering).values_list("values", flat=True)
        names.update(row.first() or {})
    return sorted(n for n in names if charted(n))


def _round(value: float) -> float:
    # Six significant digits: what a chart can show, and a third of the bytes of a full float.
    return float(f"{value:.6g}") if math.isfinite(value) else value


def _raw(table: str, where: str, params: list, keys: list[str], since: int) -> dict:
    columns = ", ".join(f"CASE WHEN {_IS_NUMBER} THEN {_VALUE} END" for _ in keys)
    sql = f"SELECT step, {columns} FROM {table} WHERE {where} AND step > %s ORDER BY step"
    key_params = [k for k in keys for _ in range(2)]
    with connection.cursor() as cursor:
        cursor.execute(sql, key_params + params + [since])
        rows = cursor.fetchall()
    series: dict[str, dict[str, list]] = {k: {"x": [], "y": []} for k in keys}
    for row in rows:
        for key, value in zip(keys, row[1:], strict=True):
            if value is not None:
                series[key]["x"].append(row[0])
                series[key]["y"].append(_round(value))
    return series


def _bucket_rows(table, where, params, keys, width: int, first: int, last: int) -> dict:
    """{bucket: ((min, step), (max, step)) per key} of the steps first..last; a bucket is
    `step // width`, aligned to step 0 so the same bucket always covers the same steps."""
    # min/max of ARRAY[value, step] is the extreme value with its own step (arrays compare
    # element by element). A missing or null value counts as +/-infinity instead of a FILTER,
    # which costs as much again (no curve has an infinite value: the sink stores them as null).
    aggregates = ", ".join(
        f"min(ARRAY[coalesce({_VALUE}, 'Infinity'), step]), "
        f"max(ARRAY[coalesce({_VALUE}, '-Infinity'), step])"
        for _ in keys
    )
    sql = (
        f"SELECT step / %s AS bucket, {aggregates} FROM {table} "
        f"WHERE {where} AND step >= %s AND step <= %s GROUP BY bucket"
    )
    key_params = [k for k in keys for _ in range(2)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [width, *key_params, *params, first, last])
        rows = cursor.fetchall()
    return {
        int(row[0]): tuple((tuple(row[1 + 2 * i]), tuple(row[2 + 2 * i])) for i in range(len(keys)))
        for row in rows
    }


def _bucketed(
    table, where, params, keys, since: int, lo: int, hi: int, sealed: int, tag: str
) -> dict:
    """Min and max of each curve per bucket of steps lo..hi.

    A full load (`since` -1) caches its complete buckets up to `sealed` (rows there no longer
    change) in one entry per run and bucket width, so the next load reads only the steps after
    them from the database.
    """
    width = 2 ** max(0, math.ceil(math.log2((hi - lo + 1) / BUCKETS)))
    key = f"chart:{tag}:{width}" if since < 0 else None
    entry = (cache.get(key) if key else None) or {"upto": -1, "buckets": {}}
    buckets = dict(entry["buckets"])
    first = max(lo, entry["upto"] + 1)
    if first <= hi:
        buckets.update(_bucket_rows(table, where, params, keys, width, first, hi))
    upto = (sealed + 1) // width * width - 1  # the end of the last bucket wholly sealed
    if key and upto > entry["upto"]:
        done = {b: v for b, v in buckets.items() if (b + 1) * width - 1 <= upto}
        cache.set(key, {"upto": upto, "buckets": done}, CACHE_SECONDS)
    return _points(keys, buckets)


def _points(keys: list[str], buckets: dict[int, tuple]) -> dict:
    series: dict[str, dict[str, list]] = {k: {"x": [], "y": []} for k in keys}
    for bucket in sorted(buckets):
        for key, (low, high) in zip(keys, buckets[bucket], strict=True):
            for step, value in sorted({(int(low[1]), low[0]), (int(high[1]), high[0])}):
                if math.isfinite(value):  # +/-infinity: no value in this bucket
                    series[key]["x"].append(step)
                    series[key]["y"].append(_round(value))
    return series


def _series(model, chain: list[Run], since: int, charted) -> tuple[dict, int | None, bool]:
    """(curves, last step, downsampled?) of the lineage's rows after `since`."""
    table = model._meta.db_table
    where, params = _lineage_sql(chain)
    with connection.cursor() as cursor:
        # min/max walk the (run, step) index; a count would read every row.
        cursor.execute(
            f"SELECT min(step), max(step) FROM {table} WHERE {where} AND step > %s",
            params + [since],
        )
        lo, hi = cursor.fetchone()
    if lo is None:
        return {}, None, False
    keys = _keys(model, chain, charted)
    if not keys:
        return {}, hi, False
    if hi - lo + 1 <= MAX_RAW_POINTS or _count(model, where, params, since) <= MAX_RAW_POINTS:
        return _drop_empty(_raw(table, where, params, keys, since)), hi, False
    # Rows below the last step no longer change (a final lineage's, none do).
    sealed = hi if chain[-1].is_final else hi - 1
    lineage = "-".join(f"{r.pk}@{r.start_step}" for r in chain)
    names = hashlib.sha1("\n".join(keys).encode()).hexdigest()[:12]
    tag = f"{table}:{lineage}:{names}"
    return _drop_empty(_bucketed(table, where, params, keys, since, lo, hi, sealed, tag)), hi, True


def _count(model, where: str, params: list, since: int) -> int:
    # Only for evaluations (every N steps); metric rows are one per step, so their range is
    # their count.
    if model is MetricRow:
        return MAX_RAW_POINTS + 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {model._meta.db_table} WHERE {where} AND step > %s",
            [*params, since],
        )
        return cursor.fetchone()[0]


def _drop_empty(series: dict) -> dict:
    return {k: v for k, v in series.items() if v["x"]}


def run_chart_data(*, run: Run, since: int = -1, eval_since: int = -1) -> dict[str, Any]:
    """What the run page's charts need after the steps they have (one cursor per kind: an
    evaluation at a step may arrive after that step's metrics)."""
    chain = run_lineage(run=run)
    metrics, last_step, down_m = _series(MetricRow, chain, since, _charted_metric)
    evals, last_eval, down_e = _series(EvalRow, chain, eval_since, _charted_eval)
    return {
        "run": run.pk,
        "status": run.status,
        "final": run.is_final,
        "since": since,
        "last_step": last_step if last_step is not None else since,
        "eval_since": eval_since,
        "last_eval_step": last_eval if last_eval is not None else eval_since,
        "downsampled": down_m or down_e,
        "metrics": metrics,
        "evals": evals,
        # Which run of the lineage logged which steps: a click on a point opens that run's
        # rollouts.
        "segments": [
            {"run": r.pk, "from": r.start_step, "to": chain[i + 1].start_step}
            if i + 1 < len(chain)
            else {"run": r.pk, "from": r.start_step, "to": None}
            for i, r in enumerate(chain)
        ],
    }
