"""The re-score itself: read a run's rollouts in pages, score them with the library's parallel
scorer, summarise with `toolrl.lab`, and write the new scores with COPY.

Pages are read by keyset on the rollout id (no long transaction), so the progress written to the
job row after each page is visible to the page polling it. Each page's new scores are written by
COPY right after it is scored; if anything fails, the service deletes what was written.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from django.db import connection, transaction

from toolrl.lab import compare_rewards, group_changes
from toolrl.rewards import RewardConfig, effective_ranges, effective_weights
from toolrl.rewards.config import COMPONENTS
from toolrl.rewards.parallel import score_many
from toolrl.rewards.schedule import value_at
from toolrl_web.lab.models import RescoreJob
from toolrl_web.runs.models import Rollout

PAGE = 100_000
# A group's rollouts share one ground truth: sending it once per run of equal ones (NULL for the
# repeats, filled in here) halves what travels and what Python has to build.
_READ = (
    'SELECT id, step, "group", completion, CASE WHEN ground_truth = lag(ground_truth) OVER '
    "(ORDER BY id) THEN NULL ELSE ground_truth END, total, format, correctness, length, "
    "advantage FROM (SELECT * FROM runs_rollout WHERE run_id = %s AND id > %s{range} "
    "ORDER BY id LIMIT %s) AS page ORDER BY id"
)
_OLD = ("total", "format", "correctness", "length")


def _pages(job: RescoreJob, page: int) -> Iterator[list[tuple]]:
    where, params = "", []
    if job.step_from is not None:
        where, params = where + " AND step >= %s", [*params, job.step_from]
    if job.step_to is not None:
        where, params = where + " AND step <= %s", [*params, job.step_to]
    sql = _READ.format(range=where)
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, [job.run_id, last, *params, page])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _schedule_key(cfg: RewardConfig, step: int, max_steps: float | None) -> str:
    """What scoring depends on at `step`: equal keys score alike, so their steps share a call."""
    key = {
        "ranges": effective_ranges(cfg, step, max_steps),
        "weights": effective_weights(cfg, step, max_steps),
        "target": value_at(cfg.length.target_words, step, max_steps),
    }
    return json.dumps(key, sort_keys=True)


def score_page(
    completions: list[str],
    ground_truths: list[str],
    steps: np.ndarray,
    cfg: RewardConfig,
    max_steps: float | None,
    workers: int,
) -> dict[str, np.ndarray]:
    """The page's new columns, one `score_many` call per set of steps that score alike."""
    by_key: dict[str, list[int]] = {}
    for step in np.unique(steps).tolist():
        by_key.setdefault(_schedule_key(cfg, step, max_steps), []).append(step)
    out = {name: np.full(len(completions), np.nan) for name in ("total", *COMPONENTS)}
    for key_steps in by_key.values():
        if len(by_key) == 1:
            idx = np.arange(len(completions))
        else:
            idx = np.flatnonzero(np.isin(steps, key_steps))
        cols = score_many(
            [completions[i] for i in idx] if len(by_key) > 1 else completions,
            [ground_truths[i] for i in idx] if len(by_key) > 1 else ground_truths,
            cfg,
            key_steps[0],
            max_steps,
            workers=workers,
        )
        for name, values in cols.items():
            out[name][idx] = values
    return out


def rescore(*, job: RescoreJob, workers: int = 2, page: int = PAGE) -> tuple[dict, dict]:
    """Re-score the job's rollouts; returns (summary, timings in seconds)."""
    started, started_cpu = time.perf_counter(), _cpu()
    run = job.run
    cfg = RewardConfig.model_validate(job.config)
    max_steps = run.max_steps or (run.config.get("grpo") or {}).get("max_steps")
    rollouts = Rollout.objects.filter(run=run)
    if job.step_from is not None:
        rollouts = rollouts.filter(step__gte=job.step_from)
    if job.step_to is not None:
        rollouts = rollouts.filter(step__lte=job.step_to)
    RescoreJob.objects.filter(pk=job.pk).update(rollouts_total=rollouts.count())
    parts: list[dict[str, np.ndarray]] = []
    read_s = score_s = write_s = score_cpu = 0.0
    t = time.perf_counter()
    for rows in _pages(job, page):
        ids, steps, groups, completions, gts, *old = zip(*rows, strict=True)
        gts = _filled(gts)
        steps_a = np.array(steps, np.int64)
        read_s += time.perf_counter() - t
        t, c = time.perf_counter(), _cpu()
        new = score_page(list(completions), gts, steps_a, cfg, max_steps, workers)
        score_s += time.perf_counter() - t
        score_cpu += _cpu() - c
        t = time.perf_counter()
        part = {"id": np.array(ids, np.int64), "step": steps_a, "group": np.array(groups)}
        part |= {
            f"old_{n}": np.array(v, np.float64) for n, v in zip((*_OLD, "adv"), old, strict=True)
        }
        part |= {f"new_{n}": v for n, v in new.items()}
        parts.append(part)
        read_s += time.perf_counter() - t
        t = time.perf_counter()
        _write(job.pk, part)
        done = sum(len(p["id"]) for p in parts)
        RescoreJob.objects.filter(pk=job.pk).update(rollouts_done=done)
        write_s += time.perf_counter() - t
        t = time.perf_counter()
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}
    t = time.perf_counter()
    summary = _summary(job.pk, cols, cfg)
    summary_s = time.perf_counter() - t
    timings = {
        "read": read_s,
        "score": score_s,
        "summary": summary_s,
        "write": write_s,
        "total": time.perf_counter() - started,
        # CPU seconds of this process and its scoring processes: on a machine shared with other
        # work, wall time waits for cores, and these say what the task itself costs.
        "score_cpu": score_cpu,
        "cpu": _cpu() - started_cpu,
        "workers": workers,
    }
    return summary, {k: round(v, 3) for k, v in timings.items()}


def _summary(job_id: int, cols: dict[str, np.ndarray], cfg: RewardConfig) -> dict[str, Any]:
    """The job's summary; writes its per-group rows on the way."""
    if not cols:
        summary = compare_rewards(steps=[], groups=[], old={"total": []}, new={"total": []})
        return {**summary, "components": cfg.component_names()}
    # Components the run stored (any value) and components the new reward has.
    old = {n: cols[f"old_{n}"] for n in _OLD if n == "total" or np.isfinite(cols[f"old_{n}"]).any()}
    new = {n: cols[f"new_{n}"] for n in ("total", *cfg.component_names())}
    changes = group_changes(
        steps=cols["step"],
        groups=cols["group"],
        old_total=old["total"],
        new_total=new["total"],
        old_advantages=cols["old_adv"],
    )
    _write_groups(job_id, changes)
    summary = compare_rewards(
        steps=cols["step"], groups=cols["group"], old=old, new=new, changes=changes
    )
    return {**summary, "components": cfg.component_names()}


def _write_groups(job_id: int, changes: dict[str, np.ndarray]) -> None:
    keys = changes["keys"]
    flag = {True: "t", False: "f"}.__getitem__
    columns = [
        [str(job_id)] * len(keys),
        list(map(str, keys[:, 0].tolist())),
        list(map(str, keys[:, 1].tolist())),
        list(map(str, changes["size"].tolist())),
        list(map(flag, changes["ranking"].tolist())),
        list(map(flag, changes["best"].tolist())),
        list(map(repr, changes["change"].tolist())),
    ]
    _copy(
        'lab_rescoredgroup (job_id, step, "group", size, ranking_changed, best_changed, '
        "advantage_change)",
        columns,
    )


def _copy_num(values: np.ndarray) -> list[str]:
    return ["\\N" if v != v else repr(v) for v in values.tolist()]  # v != v: NaN


def _cpu() -> float:
    """CPU seconds used by this process and its finished children (the scorer's workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _filled(gts: tuple[str | None, ...]) -> list[str]:
    """The ground truths with each NULL repeat replaced by the one before, as one object (the
    scorer parses each distinct object once)."""
    out, last = [], ""
    for gt in gts:
        if gt is not None:
            last = gt
        out.append(last)
    return out


def _write(job_id: int, part: dict[str, np.ndarray]) -> None:
    """Append one page's new scores."""
    columns = [
        [str(job_id)] * len(part["id"]),
        list(map(str, part["id"].tolist())),
        *(_copy_num(part[f"new_{n}"]) for n in _OLD),
    ]
    _copy("lab_rescoredrollout (job_id, rollout_id, total, format, correctness, length)", columns)


def _copy(table: str, columns: list[list[str]]) -> None:
    """COPY the columns (already COPY text) into `table (cols)`, in one transaction."""
    payload = "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"
    with transaction.atomic(), connection.cursor() as cursor:
        # Re-scores can be computed again: no need to wait for the WAL flush.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            copy.write(payload)
