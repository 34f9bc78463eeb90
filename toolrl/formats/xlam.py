"""xLAM function-calling (`query`/`tools`/`answers`) and Hammer (alpaca-style xLAM) records.

xLAM tools describe parameters as `{name: {"description", "type", "default"}}`, the same shape
the ToolRL prompt prints, so they are kept verbatim (`schema_style="toolrl"`). An empty answer
list means "no tool fits": the target is then a response (empty text) and no call.

Example::

    >>> row = from_xlam({"query": "Hi", "tools": "[]", "answers": "[]"}, "x-1")
    >>> row.target.calls, row.target.response
    ([], '')
"""

from __future__ import annotations

import json
import re
from typing import Any

from toolrl.formats.problems import RecordError
from toolrl.schema import Row, Target, ToolCall, ToolSpec, Turn


def _json_field(record: dict[str, Any], key: str, default: Any = None) -> Any:
    if key not in record:
        if default is not None:
            return default
        raise RecordError(key, "missing")
    value = record[key]
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise RecordError(key, f"not valid JSON ({exc})") from None
    return value


def xlam_tools(raw: Any, field: str = "tools") -> list[ToolSpec]:
    """ToolSpecs from an xLAM tool list."""
    if not isinstance(raw, list):
        raise RecordError(field, "must be a list of tools")
    tools = []
    for i, tool in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            raise RecordError(where, "a tool needs a string 'name'")
        params = tool.get("parameters", {})
        if not isinstance(params, dict):
            raise RecordError(f"{where}.parameters", "must be an object")
        style = "jsonschema" if params.get("type") in ("object", "dict") else "toolrl"
        tools.append(
            ToolSpec(
                name=tool["name"],
                description=str(tool.get("description", "")),
                parameters=params,
                schema_style=style,
            )
        )
    return tools


def xlam_calls(raw: Any, field: str = "answers") -> list[ToolCall]:
    """ToolCalls from an xLAM answer list (`[{"name", "arguments"}]`)."""
    if not isinstance(raw, list):
        raise RecordError(field, "must be a list of calls")
    calls = []
    for i, call in enumerate(raw):
        where = f"{field}[{i}]"
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise RecordError(where, "a call needs a string 'name'")
        args = call.get("arguments", call.get("parameters", {}))
        if not isinstance(args, dict):
            raise RecordError(f"{where}.arguments", "must be an object")
        calls.append(ToolCall(name=call["name"], parameters=args))
    return calls


def _target(calls: list[ToolCall]) -> Target:
    return Target(calls=calls) if calls else Target(response="")


def from_xlam(record: dict[str, Any], row_id: str) -> Row:
    """A row from an xLAM record; `tools`/`answers` may be JSON strings or lists. Without
    `tools` the row lists none (its tools come from a tool set attached to the dataset)."""
    query = record.get("query")
    if not isinstance(query, str):
        raise RecordError("query", "missing or not a string")
    tools = xlam_tools(_json_field(record, "tools", []))
    calls = xlam_calls(_json_field(record, "answers"))
    rid = str(record["id"]) if record.get("id") is not None else row_id
    return Row(
        id=rid,
        tools=tools,
        history=[Turn(role="user", content=query)],
        target=_target(calls),
        source="xlam",
    )


_SECTION = r"\[BEGIN OF {0}\]\s*(.*?)\s*\[END OF {0}\]"


def from_hammer(record: dict[str, Any], row_id: str) -> Row:
    """A row from a Hammer record: `instruction` with tagged sections, `output` a fenced list."""
    text = record.get("instruction")
    if not isinstance(text, str):
        raise RecordError("instruction", "missing or not a string")
    sections = {}
    for name in ("AVAILABLE TOOLS", "QUERY"):
        m = re.search(_SECTION.format(name), text, re.DOTALL)
        if not m:
            raise RecordError("instruction", f"no [BEGIN OF {name}] ... [END OF {name}] section")
        sections[name] = m.group(1)
    try:
        raw_tools = json.loads(sections["AVAILABLE TOOLS"])
    except ValueError as exc:
        raise RecordError("instruction", f"the tools section is not JSON ({exc})") from None
    output = str(record.get("output", "")).strip()
    output = re.sub(r"^```\w*\s*|\s*```$", "", output)
    try:
        raw_calls = json.loads(output)
    except ValueError as exc:
        raise RecordError("output", f"not a JSON list of calls ({exc})") from None
    return Row(
        id=row_id,
        tools=xlam_tools(raw_tools, "instruction.tools"),
        history=[Turn(role="user", content=sections["QUERY"])],
        target=_target(xlam_calls(raw_calls, "output")),
        source="hammer",
    )
