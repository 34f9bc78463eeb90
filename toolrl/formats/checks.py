"""Checks every imported row must pass: tool schemas (jsonschema), targets, ids.

- A JSON-schema tool's `parameters` must be a valid JSON Schema of type object.
- A ToolRL-style tool's `parameters` maps each parameter name to an object
  (`{"description", "type", "default"}`, all optional).
- Ids are unique within a file; the target has a tool call or a response.
- Warnings only (the released ToolRL data has both): a tool name listed twice in a row, a
  target call naming a tool the row does not list.

Example::

    >>> from toolrl.schema import Row, Target, ToolSpec
    >>> bad = Row(id="a", tools=[ToolSpec(name="t", parameters={"type": "nope"})], target=Target(response=""))
    >>> [str(p) for p in check_rows([bad], "f.jsonl", [1])][0]
    "f.jsonl:1: tools[0].parameters: 'nope' is not valid under any of the given schemas"
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from toolrl.formats.problems import Problem
from toolrl.schema import Row, ToolSpec

# What ToolRL (and xLAM) write instead of a JSON schema.
TOOLRL_PARAMETERS = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "properties": {"description": {"type": "string"}},
    },
}
_TOOLRL_VALIDATOR = Draft202012Validator(TOOLRL_PARAMETERS)
# Checking a schema against the meta-schema is slow; datasets repeat the same tools row after row.
_META_VALIDATOR = Draft202012Validator(Draft202012Validator.META_SCHEMA)
_SEEN: dict[str, str | None] = {}


def tool_problem(tool: ToolSpec) -> str | None:
    """Why a tool's parameter description is invalid, or None.

    >>> tool_problem(ToolSpec(name="t", parameters={"type": "object", "properties": {}}))
    """
    params: Any = tool.parameters
    if tool.schema_style == "toolrl":
        error = next(iter(_TOOLRL_VALIDATOR.iter_errors(params)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path)
            return f"{where + ': ' if where else ''}{error.message}"
        return None
    key = json.dumps(params, sort_keys=True, default=str)
    if key not in _SEEN:
        error = best_match(_META_VALIDATOR.iter_errors(params))
        _SEEN[key] = error.message if error is not None else None
        if len(_SEEN) > 50_000:
            _SEEN.clear()
    if _SEEN[key]:
        return _SEEN[key]
    if params and params.get("type", "object") != "object":
        return f"a tool's parameters must be a schema of type 'object', not {params.get('type')!r}"
    return None


def row_problems(row: Row) -> list[tuple[str, str, str]]:
    """(field, message, severity) for everything wrong with one row."""
    out = []
    names = [t.name for t in row.tools]
    for i, tool in enumerate(row.tools):
        message = tool_problem(tool)
        if message:
            out.append((f"tools[{i}].parameters", message, "error"))
        if names.count(tool.name) > 1 and names.index(tool.name) == i:
            message = f"tool {tool.name!r} is listed more than once"
            out.append((f"tools[{i}].name", message, "warning"))
    if not row.target.calls and row.target.response is None:
        out.append(("target", "needs a tool call or a response", "error"))
    known = set(names)
    for j, call in enumerate(row.target.calls):
        if call.name not in known:
            message = f"{call.name!r} is not one of the row's tools"
            out.append((f"target.calls[{j}].name", message, "warning"))
    return out


def check_rows(rows: list[Row], path: str, lines: list[int]) -> list[Problem]:
    """Problems of all rows; `lines[i]` is where row i came from in the file."""
    problems = []
    seen: dict[str, int] = {}
    for row, line in zip(rows, lines, strict=True):
        for field, message, severity in row_problems(row):
            problems.append(Problem(path, line, field, message, severity))
        if row.id in seen:
            problems.append(
                Problem(path, line, "id", f"duplicate id {row.id!r} (first on line {seen[row.id]})")
            )
        else:
            seen[row.id] = line
    return problems
