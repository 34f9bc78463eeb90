"""What a rollout page shows about one completion: its parts, and its calls against the truth.

`completion_parts` cuts a completion into the `<think>`, `<tool_call>` and `<response>` blocks
and the text around them (so a page can highlight each without parsing anything itself);
`call_comparison` pairs the parsed calls with the ground truth's, as the failure taxonomy pairs
them (by name; among same-name calls each ground-truth call takes the closest unused one), and
says for every tool name, parameter key and value whether it matched.

Example::

    >>> [kind for kind, _ in completion_parts("<think> a </think>\\n<response> b </response>")]
    ['think', 'text', 'response']
    >>> rows = call_comparison([{"name": "A", "parameters": {"x": 2}}],
    ...                        [{"name": "A", "parameters": {"x": 1}}])
    >>> rows[0]["name_ok"], [(p["key"], p["status"]) for p in rows[0]["params"]]
    (True, [('x', 'wrong_value')])
"""

from __future__ import annotations

import re
from typing import Any

from toolrl.parser import parse_calls
from toolrl.rewards import RewardConfig, parse_ground_truth, score
from toolrl.rewards.scoring import as_text

PART_TAGS = ("think", "tool_call", "response")
_OPEN = re.compile(r"<(think|tool_call|response)>")


def completion_parts(text: str) -> list[tuple[str, str]]:
    """The completion as (kind, text) pieces in order; kind is a tag name or `text`.

    Each piece keeps its tags, so joining the pieces gives `text` back. A block opened and never
    closed runs to the end (a truncated completion).

    >>> completion_parts("x<tool_call>\\n{}")
    [('text', 'x'), ('tool_call', '<tool_call>\\n{}')]
    """
    parts: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _OPEN.search(text, pos)
        if m is None:
            parts.append(("text", text[pos:]))
            break
        if m.start() > pos:
            parts.append(("text", text[pos : m.start()]))
        tag = m.group(1)
        close = f"</{tag}>"
        end = text.find(close, m.end())
        end = len(text) if end < 0 else end + len(close)
        parts.append((tag, text[m.start() : end]))
        pos = end
    return parts


def _problems(gold: dict[str, Any], pred: dict[str, Any]) -> int:
    g, p = gold.get("parameters") or {}, pred.get("parameters") or {}
    missing = len(g.keys() - p.keys())
    extra = len(p.keys() - g.keys())
    wrong = sum(1 for k, v in g.items() if k in p and p[k] != v)
    return missing + extra + wrong


def _param_rows(gold: dict[str, Any], pred: dict[str, Any] | None) -> list[dict[str, Any]]:
    g = gold.get("parameters") or {}
    p = (pred or {}).get("parameters") or {}
    rows = []
    for key, value in g.items():
        if key not in p:
            rows.append({"key": key, "gold": value, "pred": None, "status": "missing"})
        else:
            status = "match" if p[key] == value else "wrong_value"
            rows.append({"key": key, "gold": value, "pred": p[key], "status": status})
    rows += [
        {"key": k, "gold": None, "pred": v, "status": "extra"} for k, v in p.items() if k not in g
    ]
    return rows


def call_comparison(
    pred: list[dict[str, Any]] | None, gold: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """One row per ground-truth call, then one per predicted call left unpaired.

    A row: `name`, `gold` (the call or None), `pred` (the call or None), `name_ok` (a
    predicted call of that name was paired), `params` (per key: `gold`, `pred` and `status`:
    `match`, `wrong_value`, `missing` or `extra`). Values compare with `==`, as the reward does.

    >>> [r["name_ok"] for r in call_comparison([{"name": "B", "parameters": {}}],
    ...                                        [{"name": "A", "parameters": {}}])]
    [False, False]
    """
    unused = [c for c in (pred or []) if isinstance(c, dict)]
    rows = []
    for g in gold or []:
        same = [
            (_problems(g, p), i) for i, p in enumerate(unused) if p.get("name") == g.get("name")
        ]
        match = unused.pop(min(same)[1]) if same else None
        rows.append(
            {
                "name": g.get("name"),
                "gold": g,
                "pred": match,
                "name_ok": match is not None,
                "params": _param_rows(g, match),
            }
        )
    for p in unused:
        params = [
            {"key": k, "gold": None, "pred": v, "status": "extra"}
            for k, v in (p.get("parameters") or {}).items()
        ]
        rows.append(
            {"name": p.get("name"), "gold": None, "pred": p, "name_ok": False, "params": params}
        )
    return rows


def subscores(
    details: dict[str, Any], gt_calls: list[dict[str, Any]] | None
) -> dict[str, float] | None:
    """Correctness sub-scores as fractions in [0, 1] (None for response-only ground truths).

    name: tool-name overlap; keys: parameter-name overlap per ground-truth call; values: share of
    ground-truth parameter values matched exactly.

    >>> subscores({"name": 1.0, "keys": 1.0, "values": 1.0}, [{"name": "A", "parameters": {"x": 1, "y": 2}}])
    {'name': 1.0, 'keys': 1.0, 'values': 0.5}
    """
    if not gt_calls:
        return None
    if details.get("exact"):
        return {"name": 1.0, "keys": 1.0, "values": 1.0}
    n_params = sum(len(c.get("parameters", {})) for c in gt_calls)
    return {
        "name": float(details.get("name") or 0.0),
        "keys": float(details.get("keys") or 0.0) / len(gt_calls),
        "values": float(details.get("values") or 0.0) / n_params if n_params else 1.0,
    }


def explain_rollout(
    completion: Any,
    ground_truth: Any,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
) -> dict[str, Any]:
    """Everything the rollout page shows about one completion, scored as training scored it.

    Keys: `parts` (`completion_parts`), `calls` (parsed, or None), `gt_calls`, `comparison`
    (`call_comparison`), `components` (weighted value per reward component), `total`,
    `subscores` (correctness name/keys/values fractions, or None), `error` (why reward was lost).

    >>> e = explain_rollout("<think> a </think>\\n<response> b </response>",
    ...                     "<think> t </think>\\n<response> r </response>")
    >>> e["total"], e["comparison"]
    (1.0, [])
    """
    text = as_text(completion)
    gt = parse_ground_truth(ground_truth)
    calls, _ = parse_calls(text.strip())
    b = score(text, gt, cfg, step=step, max_steps=max_steps)
    details = b.details
    return {
        "parts": completion_parts(text),
        "calls": calls,
        "gt_calls": gt.calls,
        "comparison": call_comparison(calls, gt.calls),
        "components": dict(b.components),
        "total": b.total,
        "subscores": subscores(details, gt.calls if gt.has_calls else None),
        "error": details.get("error"),
    }
