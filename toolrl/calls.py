"""Comparing tool calls: the one definition of "the same calls" that training and evaluation share.

A call is `{"name": str, "parameters": {...}}`, as `toolrl.parser` reads it from a completion.

Example::

    >>> calls_equal([{"name": "A", "parameters": {"x": 1}}], [{"name": "A", "parameters": {"x": 1}}])
    True
"""

from __future__ import annotations

from typing import Any

__all__ = ["calls_equal"]


def calls_equal(pred: list[dict[str, Any]] | None, gold: list[dict[str, Any]] | None) -> bool:
    """Same calls in any order: names, keys and values all equal (values compared with `==`).

    Each predicted call pairs with at most one gold call, so a duplicate cannot stand in for a
    missing one; `None` (calls that did not parse) never equals anything.

    >>> calls_equal([{"name": "A", "parameters": {"x": 1}}, {"name": "B", "parameters": {}}],
    ...             [{"name": "B", "parameters": {}}, {"name": "A", "parameters": {"x": 1.0}}])
    True
    >>> calls_equal([{"name": "A", "parameters": {}}] * 2,
    ...             [{"name": "A", "parameters": {}}, {"name": "B", "parameters": {}}])
    False
    """
    if pred is None or gold is None or len(pred) != len(gold):
        return False
    unused = list(pred)
    for g in gold:
        for i, p in enumerate(unused):
            if p == g:
                del unused[i]
                break
        else:
            return False
    return True


def parameter_difference(pred: dict[str, Any], gold: dict[str, Any]) -> str | None:
    """What differs between two parameter dicts, in words (None when equal).

    >>> parameter_difference({"x": "1", "z": 0}, {"x": 1, "y": 2})
    "missing 'y'; extra 'z'; 'x' is '1', expected 1"
    """
    if pred == gold:
        return None
    parts = [f"missing {k!r}" for k in gold if k not in pred]
    parts += [f"extra {k!r}" for k in pred if k not in gold]
    parts += [
        f"{k!r} is {_short(pred[k])}, expected {_short(gold[k])}"
        for k in gold
        if k in pred and pred[k] != gold[k]
    ]
    return "; ".join(parts)


def describe_difference(
    pred: list[dict[str, Any]] | None, gold: list[dict[str, Any]]
) -> str | None:
    """Why predicted calls are not the gold calls, in words (None when `calls_equal`).

    >>> describe_difference([{"name": "A", "parameters": {"x": 2}}], [{"name": "A", "parameters": {"x": 1}}])
    "A: 'x' is 2, expected 1"
    >>> describe_difference([{"name": "B", "parameters": {}}], [{"name": "A", "parameters": {}}])
    "called 'B', expected 'A'"
    """
    if pred is None:
        return "the calls do not parse"
    if calls_equal(pred, gold):
        return None
    names = sorted(c["name"] for c in pred)
    gold_names = sorted(c["name"] for c in gold)
    if names != gold_names:
        got = ", ".join(repr(n) for n in names) or "nothing"
        return f"called {got}, expected {', '.join(repr(n) for n in gold_names) or 'no call'}"
    unused = [c for c in pred if c not in gold]
    for g in gold:
        if g in pred:
            continue
        same = next((c for c in unused if c["name"] == g["name"]), None)
        if same is not None:
            return f"{g['name']}: {parameter_difference(same['parameters'], g['parameters'])}"
    return "the calls differ from the expected ones"


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
