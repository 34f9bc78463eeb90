"""Explain one completion's reward: what the parser read, which calls matched, each component.

This is the reward playground's computation (the web page shows it as the user types) in the
library, so the CLI or a notebook can print the same thing.

Example::

    >>> gt = '<think> t </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1", "y": 2}}\\n</tool_call>'
    >>> out = explain('<think> a </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1", "y": 3}}\\n</tool_call>', gt)
    >>> out["total"], out["pairs"][0]["values"]
    (2.5, [('x', True), ('y', False)])
"""

from __future__ import annotations

from typing import Any

from toolrl.parser import parse_completion
from toolrl.rewards.components import normalize_calls, parse_ground_truth
from toolrl.rewards.config import RewardConfig, effective_ranges, effective_weights
from toolrl.rewards.scoring import score


def _pair(gi: int | None, pi: int | None, gold: list[dict], predicted: list[dict]) -> dict:
    """One row of the gold-vs-predicted table: which name, keys and values agree."""
    g = gold[gi] if gi is not None else None
    p = predicted[pi] if pi is not None else None
    row: dict[str, Any] = {"gold_index": gi, "predicted_index": pi, "gold": g, "predicted": p}
    if g is None or p is None:
        row.update(name=False, keys=[], values=[])
        return row
    gp, pp = g.get("parameters", {}), p.get("parameters", {})
    row["name"] = g["name"] == p["name"]
    row["keys"] = [(k, k in pp) for k in gp] + [(k, False) for k in pp if k not in gp]
    row["values"] = [(k, k in pp and pp[k] == v) for k, v in gp.items()]
    return row


def _pairs(gold: list[dict] | None, predicted: list[dict] | None, details: dict) -> list[dict]:
    gold, predicted = gold or [], predicted or []
    if details.get("exact"):
        matched = [(i, i) for i in range(len(gold))]
    else:
        matched = [tuple(m) for m in details.get("matched") or []]
    rows = [_pair(gi, pi, gold, predicted) for gi, pi in matched]
    used_g = {gi for gi, _ in matched}
    used_p = {pi for _, pi in matched}
    rows += [_pair(gi, None, gold, predicted) for gi in range(len(gold)) if gi not in used_g]
    rows += [_pair(None, pi, gold, predicted) for pi in range(len(predicted)) if pi not in used_p]
    return rows


def _compared(gold: list | None, predicted: list | None, cfg: RewardConfig) -> tuple:
    """The calls as the reward compares them: with the configured value normalisations."""
    norm = cfg.correctness.normalize
    if not norm.any():
        return gold, predicted
    return (
        normalize_calls(gold, norm) if gold else gold,
        normalize_calls(predicted, norm) if predicted else predicted,
    )


def explain(
    completion: str,
    ground_truth: Any,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
) -> dict[str, Any]:
    """Everything the reward saw in one completion, as plain data.

    Keys: `parsed` (thought, calls, response, error, call_error), `gold` (the ground truth's
    kind, calls, error), `pairs` (gold vs predicted calls: `name` matched, `keys` and `values`
    as `(key, matched)`; unmatched calls have the other side None), `components` (per enabled
    component: `weight`, `min`, `max`, weighted `value`), `total`, `details` (the reward's own
    sub-scores, see `toolrl.rewards.scoring`).
    """
    cfg = RewardConfig.preset("toolrl") if cfg is None else cfg
    text = completion if isinstance(completion, str) else str(completion or "")
    parsed = parse_completion(text)
    gt = parse_ground_truth(ground_truth)
    breakdown = score(text, gt, cfg, step, max_steps)
    details = breakdown.details
    weights = effective_weights(cfg, step, max_steps)
    ranges = effective_ranges(cfg, step, max_steps)
    components = [
        {
            "name": name,
            "weight": weights[name],
            "min": ranges[name][0],
            "max": ranges[name][1],
            "value": value,
        }
        for name, value in breakdown.components.items()
    ]
    return {
        "parsed": {
            "thought": parsed.thought,
            "calls": parsed.calls,
            "response": parsed.response,
            "error": parsed.error,
            "call_error": parsed.call_error,
        },
        "gold": {"kind": gt.kind, "calls": gt.calls, "error": gt.error},
        "pairs": _pairs(*_compared(gt.calls, parsed.calls, cfg), details),
        "components": components,
        "total": breakdown.total,
        "details": details,
    }
