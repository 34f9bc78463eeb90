"""The playground's view logic: a ground truth (a dataset row's rendered target, or pasted),
a completion, a step; `toolrl.rewards.explain` does the scoring."""

from __future__ import annotations

import json

from toolrl.prompt import render_messages, render_target
from toolrl.rewards import explain
from toolrl_web.rewards import selectors

MAX_TEXT = 100_000  # characters of a completion or a ground truth the playground reads


def _int(raw, default: int, low: int = 0) -> int:
    try:
        return max(int(raw), low)
    except (TypeError, ValueError):
        return default


def _call_text(call) -> str:
    return "" if call is None else json.dumps(call, ensure_ascii=False)


def playground_result(configuration, data) -> dict:
    """The partial's context for the posted completion, ground truth, step and max steps."""
    completion = (data.get("completion") or "")[:MAX_TEXT]
    ground_truth = (data.get("ground_truth") or "")[:MAX_TEXT]
    max_steps = _int(data.get("max_steps"), 100, low=1)
    step = min(_int(data.get("step"), 0), max_steps)
    cfg = selectors.reward_configuration_config(configuration=configuration)
    out = explain(completion, ground_truth, cfg, step=step, max_steps=max_steps)
    pairs = [
        {
            "gold": _call_text(p["gold"]),
            "predicted": _call_text(p["predicted"]),
            "gold_index": p["gold_index"],
            "predicted_index": p["predicted_index"],
            "name_matched": p["name"],
            "key_matches": p["keys"],
            "value_matches": p["values"],
        }
        for p in out["pairs"]
    ]
    parsed = dict(out["parsed"])
    parsed["calls_text"] = [_call_text(c) for c in parsed["calls"] or []]
    return {
        "configuration": configuration,
        "out": out,
        "parsed": parsed,
        "pairs": pairs,
        "details": out["details"],
        "step": step,
        "max_steps": max_steps,
    }


def playground_context(configuration, query) -> dict:
    """The page: the chosen dataset row (if any), texts prefilled with its rendered target."""
    project = configuration.project
    dataset_id, row_index = query.get("dataset", ""), query.get("row", "0")
    row, row_error, prompt = None, "", ""
    ground_truth = query.get("ground_truth", "")
    if dataset_id:
        row, row_error = selectors.playground_row(
            project=project, dataset_id=dataset_id, index=row_index
        )
    if row is not None:
        ground_truth = render_target(row.target)
        prompt = render_messages(row)[1]["content"]
    data = {
        "ground_truth": ground_truth,
        "completion": query.get("completion") or ground_truth,
        "step": query.get("step", "0"),
        "max_steps": query.get("max_steps", "100"),
    }
    context = playground_result(configuration, data)
    context.update(
        project=project,
        datasets=selectors.playground_datasets(project=project),
        dataset_id=str(dataset_id),
        row_index=_int(row_index, 0),
        row=row,
        row_error=row_error,
        prompt=prompt,
        ground_truth=data["ground_truth"],
        completion=data["completion"],
    )
    return context
