"""Reading calls out of a completion the way ToolRL's benchmark scripts did (not the reward's way).

The reward parser (`toolrl.parser`) is strict: the first tool block, every line a call. ToolRL's
BFCL handler and API-Bank script are lenient, and published numbers depend on it:

- the **last** `<tool_call>` block is read (up to its `</tool_call>`, or to the end of the text
  when the generation was cut off); no `<tool_call>` at all means no calls;
- each line is parsed as JSON on its own; a line that does not parse is skipped.

`block_objects` returns the parsed JSON values; `decode_calls` keeps the calls
(`{"name": str, "parameters": {...}}`) and drops calls named "none" in any case, which the BFCL
prompt offers as a way to decline ("or call the tool with the name as 'None'").

Example::

    >>> text = '<think> t </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": 1}}\\nnot json\\n</tool_call>'
    >>> decode_calls(text)
    [{'name': 'A', 'parameters': {'x': 1}}]
"""

from __future__ import annotations

import json
from typing import Any

TC_OPEN, TC_CLOSE = "<tool_call>", "</tool_call>"


def block_objects(text: str) -> list[Any]:
    """The JSON values on the lines of the last tool block (lines that are not JSON skipped).

    >>> block_objects("<tool_call>\\n[1]\\n</tool_call> <tool_call>\\n{}\\n2")
    [{}, 2]
    """
    start = text.rfind(TC_OPEN)
    if start < 0:
        return []
    body = text[start + len(TC_OPEN) :].split(TC_CLOSE, 1)[0]
    values = []
    for line in body.split("\n"):
        line = line.strip()
        if not line:
            continue
        try:
            values.append(json.loads(line))
        except (ValueError, RecursionError):
            continue
    return values


def is_call(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("name"), str)
        and isinstance(value.get("parameters"), dict)
    )


def decode_calls(text: str) -> list[dict[str, Any]]:
    """The calls of the last tool block; non-calls and calls named "none" are left out.

    >>> decode_calls('<tool_call>\\n{"name": "None", "parameters": {}}\\n</tool_call>')
    []
    """
    return [v for v in block_objects(text) if is_call(v) and v["name"].strip().lower() != "none"]
