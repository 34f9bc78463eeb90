"""ToolACE records: `system` (with the function list as JSON) and `conversations`.

Every assistant message becomes one row (the decision point), with the dialogue before it as
history, as ToolRL cut multi-step trajectories into single steps. Assistant tool calls are written
in ToolACE's bracket syntax `[Func Name(arg=value, ...), Other(...)]`; tool messages become
observations verbatim.

Example::

    >>> parse_bracket_calls('[Get Weather(city="Paris", days=2)]')
    [{'name': 'Get Weather', 'parameters': {'city': 'Paris', 'days': 2}}]
"""

from __future__ import annotations

import ast
import json
from typing import Any

from toolrl.formats.bfcl import bfcl_schema
from toolrl.formats.problems import RecordError
from toolrl.schema import Row, Target, ToolCall, ToolSpec, Turn


def _split_top(text: str, sep: str) -> list[str]:
    """Split on `sep` outside quotes and brackets."""
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return [p for p in (p.strip() for p in parts) if p]


def _value(text: str) -> Any:
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return text  # a bare word: keep it as a string, as BFCL's decoder does


def parse_bracket_calls(text: str) -> list[dict[str, Any]] | None:
    """Calls from `[Name(a=1), Other(b="x")]`; None when the text is not a call list."""
    s = text.strip()
    if not (s.startswith("[") and s.endswith("]") and "(" in s):
        return None
    calls = []
    for part in _split_top(s[1:-1], ","):
        name, paren, rest = part.partition("(")
        if not paren or not rest.endswith(")") or not name.strip():
            return None
        params = {}
        for arg in _split_top(rest[:-1], ","):
            key, eq, raw = arg.partition("=")
            if not eq:
                return None
            params[key.strip()] = _value(raw.strip())
        calls.append({"name": name.strip(), "parameters": params})
    return calls


def _tools_from_system(system: str) -> list[ToolSpec]:
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(system) if ch == "["):
        try:
            value, _ = decoder.raw_decode(system, start)
        except ValueError:
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(t, dict) and "name" in t for t in value)
        ):
            tools = []
            for tool in value:
                params = tool.get("parameters") or {}
                is_schema = isinstance(params, dict) and params.get("type") in ("object", "dict")
                tools.append(
                    ToolSpec(
                        name=str(tool["name"]),
                        description=str(tool.get("description", "")),
                        parameters=bfcl_schema(params) if is_schema else params,
                        schema_style="jsonschema" if is_schema else "toolrl",
                    )
                )
            return tools
    raise RecordError("system", "no JSON list of functions found in the system prompt")


def _assistant_turn(value: str) -> Turn:
    calls = parse_bracket_calls(value)
    if calls is None:
        return Turn(role="assistant", response=value.strip())
    return Turn(role="assistant", calls=[ToolCall(**c) for c in calls])


def from_toolace(record: dict[str, Any], row_id: str) -> list[Row]:
    """One row per assistant message of a ToolACE dialogue."""
    system = record.get("system")
    if not isinstance(system, str):
        raise RecordError("system", "missing or not a string")
    conversations = record.get("conversations")
    if not isinstance(conversations, list):
        raise RecordError("conversations", "missing or not a list")
    tools = _tools_from_system(system)
    history: list[Turn] = []
    rows = []
    for j, msg in enumerate(conversations):
        if not isinstance(msg, dict) or not isinstance(msg.get("value"), str):
            raise RecordError(f"conversations[{j}]", "needs 'from' and string 'value'")
        role, value = msg.get("from"), msg["value"]
        if role in ("user", "human"):
            history.append(Turn(role="user", content=value.strip()))
        elif role in ("tool", "observation", "function"):
            history.append(Turn(role="observation", content=value.strip()))
        elif role in ("assistant", "gpt"):
            turn = _assistant_turn(value)
            target = Target(calls=turn.calls, response=turn.response)
            rows.append(
                Row(
                    id=f"{row_id}-{j}",
                    tools=tools,
                    history=[t.model_copy(deep=True) for t in history],
                    target=target,
                    source="toolace",
                )
            )
            history.append(turn)
        else:
            raise RecordError(f"conversations[{j}].from", f"unknown speaker {role!r}")
    return rows
