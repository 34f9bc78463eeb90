"""The ToolRL prompt: what the model reads (system + user message) and writes (the target text).

The text reproduces the ToolRL data byte for byte: rendering a row imported from the released
`rlla_sft.json` or `test.parquet` gives back its `instruction` and `input` exactly (tested on all
480 prompts). The layout, as found in that data:

- system: an opening line, `**Available Tools**` with each tool as three lines
  (`N. Name: …` / `Description: …` / `Parameters: {JSON}`), then fixed sections
  `**Steps for Each Turn**`, `**Output Format**`, `**Important Notes**`.
- user: `**Dialogue Records History**` then the turns: `<user> … </user>`, earlier assistant turns
  (`<think> … </think>` + `<tool_call>` block and/or `<response> … </response>`) and
  `<obs> … </obs>` observations. Blocks are separated by a blank line, except that an observation
  follows the tool call it answers on the next line.
- JSON is written with `json.dumps` defaults (`", "`/`": "` separators, non-ASCII escaped), which
  is how the released data was produced.

Example::

    >>> from toolrl.schema import ToolCall
    >>> format_call(ToolCall(name="A", parameters={"x": "1"}))
    '{"name": "A", "parameters": {"x": "1"}}'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from toolrl.schema import Row, Target, ToolCall, ToolSpec, Turn

SYSTEM_OPENING = (
    "You are a helpful multi-turn dialogue assistant capable of leveraging tool calls to solve "
    "user tasks and provide structured chat responses."
)
TOOLS_HEADING = "**Available Tools**\nIn your response, you can use the following tools:\n"
SYSTEM_INSTRUCTIONS = """**Steps for Each Turn**
1. **Think:** Recall relevant context and analyze the current user goal.
2. **Decide on Tool Usage:** If a tool is needed, specify the tool and its parameters.
3. **Respond Appropriately:** If a response is needed, generate one while maintaining consistency across user queries.

**Output Format**
```plaintext
<think> Your thoughts and reasoning </think>
<tool_call>
{"name": "Tool name", "parameters": {"Parameter name": "Parameter content", "... ...": "... ..."}}
{"name": "... ...", "parameters": {"... ...": "... ...", "... ...": "... ..."}}
...
</tool_call>
<response> AI's final response </response>
```

**Important Notes**
1. You must always include the `<think>` field to outline your reasoning. Provide at least one of `<tool_call>` or `<response>`. Decide whether to use `<tool_call>` (possibly multiple times), `<response>`, or both.
2. You can invoke multiple tool calls simultaneously in the `<tool_call>` fields. Each tool call should be a JSON object with a "name" field and an "parameters" field containing a dictionary of parameters. If no parameters are needed, leave the "parameters" field an empty dictionary.
3. Refer to the previous dialogue records in the history, including the user's queries, previous `<tool_call>`, `<response>`, and any tool feedback noted as `<obs>` (if exists)."""
HISTORY_HEADING = "**Dialogue Records History**\n"

# The released data uses these fixed thoughts for earlier assistant turns and ground truths; we
# use them whenever a turn or target carries no thought of its own.
TOOL_THOUGHT = (
    "I should use the appropriate tool with proper parameters to respond to the user's need."
)
RESPONSE_THOUGHT = "I should directly respond to the user's need."


def render_tool(index: int, tool: ToolSpec) -> str:
    """Render one tool as the three ToolRL lines, numbered from 1.

    ToolRL-style specs dump their parameter mapping as is; JSON-schema specs dump only
    `properties`, as ToolRL's BFCL handler does (the `required` list is not shown).

    >>> render_tool(1, ToolSpec(name="A", description="d", schema_style="toolrl"))
    '1. Name: A\\nDescription: d\\nParameters: {}'
    """
    if tool.schema_style == "toolrl":
        params: Any = tool.parameters
    else:
        params = tool.parameters.get("properties", {})
    return (
        f"{index}. Name: {tool.name}\nDescription: {tool.description}\n"
        f"Parameters: {json.dumps(params)}"
    )


def render_system(tools: list[ToolSpec]) -> str:
    """The system message listing `tools`.

    >>> render_system([]).splitlines()[0].startswith("You are a helpful")
    True
    """
    listing = "\n".join(render_tool(i, t) for i, t in enumerate(tools, start=1))
    return f"{SYSTEM_OPENING}\n\n{TOOLS_HEADING}{listing}\n\n{SYSTEM_INSTRUCTIONS}"


def format_call(call: ToolCall | Mapping[str, Any]) -> str:
    """One tool call as the single JSON line the model writes.

    >>> format_call({"name": "B", "parameters": {}})
    '{"name": "B", "parameters": {}}'
    """
    if isinstance(call, ToolCall):
        name, params = call.name, call.parameters
    else:
        name, params = call["name"], call.get("parameters", {})
    return json.dumps({"name": name, "parameters": params})


def render_assistant(thought: str | None, calls: list[ToolCall], response: str | None) -> str:
    """An assistant output: thought, then the tool block and/or the response.

    >>> render_assistant("ok", [], "Hi")
    '<think> ok </think>\\n<response> Hi </response>'
    """
    if thought is None:
        thought = TOOL_THOUGHT if calls else RESPONSE_THOUGHT
    parts = [f"<think> {thought} </think>"]
    if calls:
        lines = "\n".join(format_call(c) for c in calls)
        parts.append(f"<tool_call>\n{lines}\n</tool_call>")
    if response is not None:
        parts.append(f"<response> {response} </response>")
    return "\n".join(parts)


def render_turn(turn: Turn) -> str:
    """One history entry as its tagged block.

    >>> render_turn(Turn(role="user", content="Hi"))
    '<user> Hi </user>'
    """
    if turn.role == "user":
        return f"<user> {turn.content} </user>"
    if turn.role == "observation":
        return f"<obs> {turn.content} </obs>"
    return render_assistant(turn.thought, turn.calls, turn.response)


def render_user(history: list[Turn]) -> str:
    """The user message: the dialogue history under `**Dialogue Records History**`.

    >>> render_user([Turn(role="user", content="Hi")])
    '**Dialogue Records History**\\n<user> Hi </user>'
    """
    out = [HISTORY_HEADING]
    for i, turn in enumerate(history):
        if i:
            # An observation sits right under the tool call it answers; all else is spaced.
            out.append("\n" if turn.role == "observation" else "\n\n")
        out.append(render_turn(turn))
    return "".join(out)


def render_messages(row: Row) -> list[dict[str, str]]:
    """The chat messages for a row: `[{"role": "system", ...}, {"role": "user", ...}]`.

    >>> from toolrl.schema import Target
    >>> msgs = render_messages(Row(id="r", history=[Turn(role="user", content="Hi")], target=Target()))
    >>> [m["role"] for m in msgs]
    ['system', 'user']
    """
    return [
        {"role": "system", "content": render_system(row.tools)},
        {"role": "user", "content": render_user(row.history)},
    ]


def render_target(target: Target) -> str:
    """The ground-truth text in the ToolRL output format (the data's `output` field).

    >>> render_target(Target(calls=[ToolCall(name="A", parameters={"x": "1"})]))
    '<think> I should use the appropriate tool with proper parameters to respond to the user\\'s need. </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": "1"}}\\n</tool_call>'
    """
    return render_assistant(target.thought, target.calls, target.response)
