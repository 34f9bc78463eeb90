"""Rollout records as the training engine writes them, scored and labelled by `toolrl`, stored
through the real ingest path (COPY on PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

from toolrl.rewards import score
from toolrl.taxonomy import classify
from toolrl_web.runs import ingest

GT = '<think> t </think>\n<tool_call>\n{"name": "get_weather", "parameters": {"city": "Paris", "days": 2}}\n</tool_call>'
GOOD = GT.replace("<think> t </think>", "<think> the user wants weather </think>")
WRONG_VALUE = GOOD.replace('"Paris"', '"Lyon"')
ANSWER = "<think> hmm </think>\n<response> It is sunny. </response>"
BROKEN = '<think> x </think>\n<tool_call>\n{"name": "get_weather", "parameters": {\n</tool_call>'
PROMPT = [
    {"role": "system", "content": "You are a helpful multi-turn dialogue assistant."},
    {"role": "user", "content": "**Dialogue Records History**\n<user> Weather in Paris? </user>"},
]


def record(
    completion: str, *, prompt_id: str = "p1", group: int = 0, sample: int = 0, **extra: Any
) -> dict[str, Any]:
    b = score(completion, GT)
    rec = {
        "prompt_id": prompt_id,
        "group": group,
        "sample": sample,
        "completion": completion,
        "calls": None,
        "ground_truth": GT,
        "rewards": dict(b.components),
        "total": b.total,
        "advantage": 0.0,
        "error": b.details.get("error"),
        "failure": classify(completion, GT),
        "length": len(completion.split()),
        "truncated": False,
    }
    rec.update(extra)
    return rec


def group_records(completions: list[str], *, prompt_id: str, group: int) -> list[dict[str, Any]]:
    """One GRPO group: advantages are the totals minus the group mean (as GRPO, unscaled)."""
    recs = [
        record(c, prompt_id=prompt_id, group=group, sample=i) for i, c in enumerate(completions)
    ]
    mean = sum(r["total"] for r in recs) / len(recs)
    for r in recs:
        r["advantage"] = r["total"] - mean
    recs[0]["prompt"] = PROMPT
    return recs


def store_step(run_id: int, step: int, groups: list[tuple[str, list[str]]]) -> None:
    records = []
    for g, (prompt_id, completions) in enumerate(groups):
        records += group_records(completions, prompt_id=prompt_id, group=g)
    for r in records:
        r["step"] = step
    ingest.rollouts_write(run_id=run_id, step=step, records=json.loads(json.dumps(records)))
