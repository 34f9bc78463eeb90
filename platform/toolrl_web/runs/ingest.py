"""Bulk writes of what a training streams: metrics, rollouts, evaluations.

On PostgreSQL rollouts go in with `COPY ... FROM STDIN` (one round trip per batch); other
databases use `bulk_create`. A resumed step replaces what an earlier attempt wrote for the same
run and step, so a retried batch never duplicates rows.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.db import connection, transaction

from toolrl_web.runs.models import EvalRow, MetricRow, Rollout

ROLLOUT_COLUMNS = (
    "run_id",
    "step",
    "prompt_id",
    "group",
    "completion",
    "ground_truth",
    "calls",
    "rewards",
    "details",
    "total",
    "format",
    "correctness",
    "length",
    "advantage",
    "error_category",
    "num_tokens",
    "truncated",
)


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


def rollout_values(run_id: int, step: int, record: dict[str, Any]) -> tuple:
    """One engine rollout record (toolrl.training.rollouts) as a row in ROLLOUT_COLUMNS order."""
    rewards = record.get("rewards") or {}
    details = {k: record[k] for k in ("sample", "weights", "format_ok", "exact") if k in record}
    return (
        run_id,
        int(record.get("step", step)),
        str(record.get("prompt_id", ""))[:200],
        int(record.get("group") or 0),
        str(record.get("completion") or "").replace("\x00", ""),
        str(record.get("ground_truth") or "").replace("\x00", ""),
        _json_safe(record.get("calls")),
        _json_safe(rewards),
        _json_safe(details) or None,
        _num(record.get("total")),
        _num(rewards.get("format")),
        _num(rewards.get("correctness")),
        _num(rewards.get("length")),
        _num(record.get("advantage")),
        str(record.get("error") or "")[:64],
        int(record["length"]) if isinstance(record.get("length"), int | float) else None,
        bool(record.get("truncated")),
    )


def rollouts_write(*, run_id: int, step: int, records: list[dict[str, Any]]) -> int:
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
    return len(records)


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


def _copy_line(run_id: int, step: int, r: dict[str, Any]) -> str:
    """One rollout as a line of COPY text, in ROLLOUT_COLUMNS order (the hot path of ingestion:
    it runs in the training process, so it avoids building intermediate tuples and dicts)."""
    rewards = r.get("rewards") or {}
    details = {k: r[k] for k in ("sample", "weights", "format_ok", "exact") if k in r}
    length = r.get("length")
    return "\t".join(
        (
            str(run_id),
            str(int(r.get("step", step))),
            _copy_text(str(r.get("prompt_id", ""))[:200]),
            str(int(r.get("group") or 0)),
            _copy_text(str(r.get("completion") or "")),
            _copy_text(str(r.get("ground_truth") or "")),
            _copy_json(r.get("calls")),
            _copy_json(rewards),
            _copy_json(details or None),
            _copy_num(r.get("total")),
            _copy_num(rewards.get("format")),
            _copy_num(rewards.get("correctness")),
            _copy_num(rewards.get("length")),
            _copy_num(r.get("advantage")),
            _copy_text(str(r.get("error") or "")[:64]),
            str(int(length)) if isinstance(length, int | float) else "\\N",
            "t" if r.get("truncated") else "f",
        )
    )


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


def metrics_write(*, run_id: int, rows: list[tuple[int, dict[str, Any]]]) -> int:
    """Upsert one metric row per step (a repeated step replaces the earlier values)."""
    objs = [MetricRow(run_id=run_id, step=step, values=_json_safe(values)) for step, values in rows]
    MetricRow.objects.bulk_create(
        objs, update_conflicts=True, unique_fields=["run", "step"], update_fields=["values"]
    )
    return len(objs)


def eval_write(*, run_id: int, step: int, values: dict[str, Any]) -> None:
    EvalRow.objects.filter(run_id=run_id, step=step).delete()
    EvalRow.objects.create(run_id=run_id, step=step, values=_json_safe(values))
