"""Checks every imported row must pass: tool schemas (jsonschema), targets, ids.

- A JSON-schema tool's `parameters` must be a valid JSON Schema of type object.
- A ToolRL-style tool's `parameters` maps each parameter name to an object
  (`{"description", "type", "default"}`, all optional).
- The target has a tool call or a response (ids unique within a file: `toolrl.formats.scan_rows`).
- Warnings only (the released ToolRL data has both): a tool name listed twice in a row, a
  target call naming a tool the row does not list.

Example::

    >>> from toolrl.schema import Row, Target, ToolSpec
    >>> bad = Row(id="a", tools=[ToolSpec(name="t", parameters={"type": "nope"})], target=Target(response=""))
    >>> row_problems(bad)[0]
    ('tools[0].parameters.type', "'nope' is not a JSON Schema type (use one of array, boolean, integer, null, number, object, string)", 'error')
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from toolrl.formats.tools import schema_problem
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
_SEEN: dict[str, tuple[str, str] | None] = {}
_LAST: dict[str, tuple[Any, tuple[str, str] | None]] = {}


def tool_problem(tool: ToolSpec) -> tuple[str, str] | None:
    """(field under the tool, message) when its parameter description is invalid, or None.
    JSON-schema tools get the same check and messages as a tool set file
    (`toolrl.formats.tools.schema_problem`).

    >>> tool_problem(ToolSpec(name="t", parameters={"type": "object", "properties": {}}))
    >>> tool_problem(ToolSpec(name="t", parameters={"type": "object", "required": "x"}))
    ('parameters.required', "'x' is not of type 'array'")
    """
    params: Any = tool.parameters
    if tool.schema_style == "toolrl":
        error = next(iter(_TOOLRL_VALIDATOR.iter_errors(params)), None)
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path)
            return "parameters", f"{where + ': ' if where else ''}{error.message}"
        return None
    # Rows repeat the same tools: comparing with the last schema seen under this name is a C-level
    # equality test; only a new schema pays for a cache key (repr is cheaper than a sorted JSON
    # dump; the same schema with its keys in another order costs one more entry).
    last = _LAST.get(tool.name)
    if last is not None and last[0] == params:
        return last[1]
    key = repr(params)
    if key not in _SEEN:
        if len(_SEEN) > 50_000:
            _SEEN.clear()
            _LAST.clear()
        _SEEN[key] = schema_problem(params)
    _LAST[tool.name] = (params, _SEEN[key])
    return _SEEN[key]


def row_problems(row: Row, *, tools_checked: bool = False) -> list[tuple[str, str, str]]:
    """(field, message, severity) for everything wrong with one row. With `tools_checked`
    the row's tools come from a checked tool set, which also checks the calls
    (`toolrl.formats.tools.CallChecker`), so only the target is looked at here."""
    out = []
    tools, target = row.tools, row.target
    if not tools_checked:
        for i, tool in enumerate(tools):
            # `tool_problem`'s common case inline (rows repeat their tools): the last schema
            # seen under this name, compared at C level.
            last = _LAST.get(tool.name) if tool.schema_style == "jsonschema" else None
            if last is not None and last[0] == tool.parameters:
                problem = last[1]
            else:
                problem = tool_problem(tool)
            if problem:
                out.append((f"tools[{i}].{problem[0]}", problem[1], "error"))
    if not target.calls and target.response is None:
        out.append(("target", "needs a tool call or a response", "error"))
    if tools_checked:
        return out
    names = [t.name for t in tools]
    known = set(names)
    if len(known) < len(names):
        for i, tool in enumerate(tools):
            if names.count(tool.name) > 1 and names.index(tool.name) == i:
                message = f"tool {tool.name!r} is listed more than once"
                out.append((f"tools[{i}].name", message, "warning"))
    for j, call in enumerate(target.calls):
        if call.name not in known:
            message = f"{call.name!r} is not one of the row's tools"
            out.append((f"target.calls[{j}].name", message, "warning"))
    return out
