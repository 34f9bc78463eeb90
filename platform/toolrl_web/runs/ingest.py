"""Bulk writes of what a training streams: metrics, rollouts, evaluations.

On PostgreSQL rollouts go in with `COPY ... FROM STDIN` (one round trip per batch); other
databases use `bulk_create`. A resumed step replaces what an earlier attempt wrote for the same
run and step, so a retried batch never duplicates rows.
"""

from __future__ import annotations

import json
import math
import operator
from typing import Any

from django.db import connection, transaction

from toolrl_web.runs.models import EvalRow, MetricRow, Rollout, RolloutPrompt, Run


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


# Keys of an engine rollout record kept together in the `details` column.
DETAIL_KEYS = ("sample", "weights", "format_ok", "exact")


def rollout_row(run_id: int, step: int, r: dict[str, Any]) -> tuple:
    """One engine rollout record (toolrl.training.rollouts) as raw column values, in
    ROLLOUT_COLUMNS order: the one mapping from a record to a row. Each column's kind then says
    how a value is cleaned for the ORM (`rollout_values`) or written as COPY text (`_copy_line`).
    """
    rewards = r.get("rewards") or {}
    length = r.get("length")
    return (
        run_id,
        int(r.get("step", step)),
        str(r.get("prompt_id", ""))[:200],
        int(r.get("group") or 0),
        str(r.get("completion") or ""),
        str(r.get("ground_truth") or ""),
        r.get("calls"),
        rewards,
        {k: r[k] for k in DETAIL_KEYS if k in r} or None,
        r.get("total"),
        rewards.get("format"),
        rewards.get("correctness"),
        rewards.get("length"),
        r.get("advantage"),
        str(r.get("error") or "")[:64],
        str(r.get("failure") or "")[:64],
        int(length) if isinstance(length, int | float) else None,
        bool(r.get("truncated")),
    )


# (column, kind) in the order of `rollout_row`; "int?" may be null, "int" never is.
ROLLOUT_SPEC = (
    ("run_id", "int"),
    ("step", "int"),
    ("prompt_id", "text"),
    ("group", "int"),
    ("completion", "text"),
    ("ground_truth", "text"),
    ("calls", "json"),
    ("rewards", "json"),
    ("details", "json"),
    ("total", "num"),
    ("format", "num"),
    ("correctness", "num"),
    ("length", "num"),
    ("advantage", "num"),
    ("error_category", "text"),
    ("failure", "text"),
    ("num_tokens", "int?"),
    ("truncated", "bool"),
)
ROLLOUT_COLUMNS = tuple(column for column, _ in ROLLOUT_SPEC)


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def _same(value: Any) -> Any:
    return value


# How each kind of value is cleaned for the ORM.
_ORM_CLEAN = {
    "int": _same,
    "int?": _same,
    "text": _no_nul,
    "json": _json_safe,
    "num": _num,
    "bool": _same,
}
_ORM_CLEANERS = tuple(_ORM_CLEAN[kind] for _, kind in ROLLOUT_SPEC)


def rollout_values(run_id: int, step: int, record: dict[str, Any]) -> tuple:
    """One engine rollout record as ORM-ready values in ROLLOUT_COLUMNS order."""
    return tuple(map(operator.call, _ORM_CLEANERS, rollout_row(run_id, step, record)))


def rollouts_write(*, run_id: int, step: int, records: list[dict[str, Any]]) -> int:
    """Write one step's rollouts, replacing whatever an earlier attempt wrote for its steps."""
    if not records:
        return 0
    steps = sorted({int(r.get("step", step)) for r in records})
    with transaction.atomic():
        Rollout.objects.filter(run_id=run_id, step__in=steps).delete()
        if connection.vendor == "postgresql":
            _copy_rollouts(run_id, step, records)
        else:
            rows = [rollout_values(run_id, step, r) for r in records]
            Rollout.objects.bulk_create(
                [Rollout(**dict(zip(ROLLOUT_COLUMNS, row, strict=True))) for row in rows],
                batch_size=500,
            )
        _prompts_write(run_id, records)
    return len(records)


def _prompts_write(run_id: int, records: list[dict[str, Any]]) -> None:
    """Keep each prompt id's prompt once per run (records carry it as `prompt`: the messages).

    A group's completions share one prompt, so a step adds a handful of rows at most; a prompt
    already stored is left alone (ON CONFLICT DO NOTHING)."""
    prompts: dict[str, Any] = {}
    for r in records:
        if r.get("prompt") is not None:
            prompts.setdefault(str(r.get("prompt_id", ""))[:200], r["prompt"])
    if prompts:
        RolloutPrompt.objects.bulk_create(
            [
                RolloutPrompt(run_id=run_id, prompt_id=pid, messages=_json_safe(messages))
                for pid, messages in prompts.items()
            ],
            ignore_conflicts=True,
        )


_encode_json = json.JSONEncoder(allow_nan=False).encode


def _copy_text(value: str) -> str:
    # COPY's text format: backslash, tab, newline and carriage return are escaped; NUL is illegal.
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\x00", "")
    )


def _copy_json(value: Any) -> str:
    if value is None:
        return "\\N"
    try:
        text = _encode_json(value)
    except ValueError:  # NaN or infinity somewhere: PostgreSQL's JSON has no such numbers
        text = _encode_json(_json_safe(value))
    return text.replace("\\", "\\\\")  # JSON text holds no raw tab or newline


def _copy_num(value: Any) -> str:
    value = _num(value)
    return "\\N" if value is None else repr(value)


def _copy_int(value: int | None) -> str:
    return "\\N" if value is None else str(value)


# How each kind of value is written as COPY text.
# Builtins where they do (this runs per column per rollout in the training process).
_COPY_TEXT = {
    "int": str,
    "int?": _copy_int,
    "text": _copy_text,
    "json": _copy_json,
    "num": _copy_num,
    "bool": {True: "t", False: "f"}.__getitem__,
}
_COPY_WRITERS = tuple(_COPY_TEXT[kind] for _, kind in ROLLOUT_SPEC)


def _copy_line(run_id: int, step: int, record: dict[str, Any]) -> str:
    """One rollout as a line of COPY text, in ROLLOUT_COLUMNS order (the hot path of ingestion:
    it runs in the training process)."""
    # map(operator.call, ...) applies each column's writer without a Python-level loop: as fast
    # as the hand-written line it replaced (bench/ingest.py).
    return "\t".join(map(operator.call, _COPY_WRITERS, rollout_row(run_id, step, record)))


def _copy_rollouts(run_id: int, step: int, records: list[dict[str, Any]]) -> None:
    columns = ", ".join(f'"{c}"' for c in ROLLOUT_COLUMNS)
    payload = "\n".join(_copy_line(run_id, step, r) for r in records) + "\n"
    with connection.cursor() as cursor:
        # Rollouts are telemetry: losing the last fraction of a second of them in a database
        # crash is acceptable, waiting for the WAL flush on every step is not.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        raw = cursor.cursor  # psycopg's own cursor: COPY is not in Django's API
        with raw.copy(f"COPY runs_rollout ({columns}) FROM STDIN") as copy:
            copy.write(payload)


# What transformers' Trainer logs once when training ends (`train_runtime`, ...): a summary of the
# run, logged at the last step's number. Stored as that step's row it replaced the step's own
# training metrics (empty "Latest reward", a curve without its last point), so it goes to
# `Run.summary` instead.
SUMMARY_MARKER = "train_runtime"
SUMMARY_KEYS = frozenset(
    {
        "train_runtime",
        "train_samples_per_second",
        "train_steps_per_second",
        "total_flos",
        "train_loss",
        "epoch",
    }
)


def split_summary(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(step metrics, end-of-training summary) of one logged dict; the summary is empty unless
    the dict is the Trainer's end-of-training summary."""
    if SUMMARY_MARKER not in values:
        return values, {}
    summary = {k: v for k, v in values.items() if k in SUMMARY_KEYS}
    rest = {k: v for k, v in values.items() if k not in SUMMARY_KEYS}
    return rest, summary


def metrics_write(*, run_id: int, rows: list[tuple[int, dict[str, Any]]]) -> int:
    """Upsert one metric row per step (a repeated step replaces the earlier values); the
    end-of-training summary is merged into `Run.summary`, never stored as a step."""
    by_step: dict[int, dict[str, Any]] = {}
    summary: dict[str, Any] = {}
    for step, values in rows:
        metrics, run_summary = split_summary(values)
        summary.update(run_summary)
        if metrics and set(metrics) != {"step"}:
            # Two dicts for one step in a batch: one row (an upsert may touch a row only once).
            by_step.setdefault(int(step), {}).update(metrics)
    objs = [MetricRow(run_id=run_id, step=s, values=_json_safe(v)) for s, v in by_step.items()]
    with transaction.atomic():
        if objs:
            MetricRow.objects.bulk_create(
                objs, update_conflicts=True, unique_fields=["run", "step"], update_fields=["values"]
            )
        if summary:
            _summary_merge(run_id, _json_safe(summary))
    return len(objs)


def _summary_merge(run_id: int, summary: dict[str, Any]) -> None:
    run = Run.objects.select_for_update().only("summary").get(pk=run_id)
    Run.objects.filter(pk=run_id).update(summary={**(run.summary or {}), **summary})


def eval_write(*, run_id: int, step: int, values: dict[str, Any]) -> None:
    EvalRow.objects.filter(run_id=run_id, step=step).delete()
    EvalRow.objects.create(run_id=run_id, step=step, values=_json_safe(values))
