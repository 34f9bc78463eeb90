"""BFCL-style records (`question`/`function`/`ground_truth`) and BFCL-typed function docs.

BFCL writes JSON-schema-like docs with its own type names (`dict`, `float`, `tuple`, `any`);
they are converted to JSON Schema (`object`, `number`, `array`, no type) so jsonschema can check
them. BFCL ground truths list the allowed values per parameter; the target takes the first
allowed value that is not `""` (`""` means "may be omitted") and keeps the full lists in
`meta["bfcl_ground_truth"]` for an evaluator. A record without a ground truth (the irrelevance
categories) gets a response-only target: no call is right.

Example::

    >>> bfcl_schema({"type": "dict", "properties": {"x": {"type": "float"}}})
    {'type': 'object', 'properties': {'x': {'type': 'number'}}}
"""

from __future__ import annotations

from typing import Any

from toolrl.formats.problems import RecordError
from toolrl.schema import Row, Target, ToolCall, ToolSpec, Turn

_TYPES = {"dict": "object", "float": "number", "tuple": "array"}


def bfcl_schema(schema: Any) -> Any:
    """A BFCL parameter schema converted to JSON Schema (recursively)."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    kind = out.get("type")
    if kind == "any":
        del out["type"]
    elif isinstance(kind, str):
        out["type"] = _TYPES.get(kind, kind)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: bfcl_schema(v) for k, v in out["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = bfcl_schema(out[key])
    return out


def _first_allowed(allowed: Any) -> tuple[bool, Any]:
    """(present, value): the first allowed value other than "" (BFCL's "may be omitted")."""
    if not isinstance(allowed, list):
        return True, allowed
    for value in allowed:
        if value == "":
            continue
        if isinstance(value, dict):
            picked = {}
            for k, inner in value.items():
                present, v = _first_allowed(inner)
                if present:
                    picked[k] = v
            return True, picked
        return True, value
    return False, None


def bfcl_calls(ground_truth: Any, field: str = "ground_truth") -> list[ToolCall]:
    """Calls from a BFCL ground truth `[{name: {param: [allowed, ...]}}]`."""
    if not isinstance(ground_truth, list):
        raise RecordError(field, "must be a list of {function: {param: [allowed values]}}")
    calls = []
    for i, entry in enumerate(ground_truth):
        if not isinstance(entry, dict) or len(entry) != 1:
            raise RecordError(f"{field}[{i}]", "must be an object with exactly one function name")
        ((name, params),) = entry.items()
        if not isinstance(params, dict):
            raise RecordError(f"{field}[{i}].{name}", "must map parameters to allowed values")
        chosen = {}
        for key, allowed in params.items():
            present, value = _first_allowed(allowed)
            if present:
                chosen[key] = value
        calls.append(ToolCall(name=name, parameters=chosen))
    return calls


def _history(question: Any) -> tuple[list[Turn], list[str]]:
    if not isinstance(question, list) or not question:
        raise RecordError("question", "must be a non-empty list of turns")
    turns, system = [], []
    # Single-turn categories hold one turn; older files hold a flat list of messages.
    messages = question[0] if isinstance(question[0], list) else question
    for j, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("content"), str):
            raise RecordError(f"question[0][{j}]", "a message needs 'role' and string 'content'")
        role = msg.get("role")
        if role == "system":
            system.append(msg["content"])
        elif role == "user":
            turns.append(Turn(role="user", content=msg["content"]))
        elif role == "assistant":
            turns.append(Turn(role="assistant", response=msg["content"]))
        else:
            raise RecordError(f"question[0][{j}].role", f"unknown role {role!r}")
    return turns, system


def from_bfcl(record: dict[str, Any], row_id: str, answer: Any = None) -> Row:
    """A row from a BFCL question record; `answer` is the matching `ground_truth` if separate."""
    functions = record.get("function")
    if not isinstance(functions, list):
        raise RecordError("function", "missing or not a list")
    tools = []
    for i, fn in enumerate(functions):
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise RecordError(f"function[{i}]", "a function needs a string 'name'")
        tools.append(
            ToolSpec(
                name=fn["name"],
                description=str(fn.get("description", "")),
                parameters=bfcl_schema(fn.get("parameters") or {"type": "object"}),
            )
        )
    history, system = _history(record.get("question"))
    ground_truth = record.get("ground_truth", answer)
    meta: dict[str, Any] = {}
    if system:
        meta["system"] = "\n".join(system)
    if ground_truth is None:
        target = Target(response="")
        meta["no_ground_truth"] = True
    else:
        calls = bfcl_calls(ground_truth)
        target = Target(calls=calls) if calls else Target(response="")
        meta["bfcl_ground_truth"] = ground_truth
    rid = str(record["id"]) if record.get("id") is not None else row_id
    return Row(id=rid, tools=tools, history=history, target=target, source="bfcl", meta=meta)
