"""ToolRL's own formats: raw JSON (`instruction`/`input`/`output`) and the veRL parquet.

The prompt text is parsed back into tools and dialogue turns such that `toolrl.prompt` renders it
byte for byte (tested on all 480 released prompts).

Example::

    >>> from toolrl.prompt import render_user
    >>> text = "**Dialogue Records History**\\n<user> Hi </user>"
    >>> render_user(parse_history(text)) == text
    True
"""

from __future__ import annotations

import json
import re
from typing import Any

from toolrl.formats.problems import RecordError
from toolrl.prompt import (
    HISTORY_HEADING,
    SYSTEM_INSTRUCTIONS,
    SYSTEM_OPENING,
    TOOLS_HEADING,
)
from toolrl.schema import Row, Target, ToolCall, ToolSpec, Turn

_SYSTEM_HEAD = f"{SYSTEM_OPENING}\n\n{TOOLS_HEADING}"
_SYSTEM_TAIL = f"\n\n{SYSTEM_INSTRUCTIONS}"
_TOOL_START = re.compile(r"(?:^|\n)(\d+)\. Name: ")
_BLOCK = re.compile(r"<(user|think|tool_call|obs|response)>(.*?)</\1>", re.DOTALL)


def _unpad(text: str) -> str:
    # The data writes "<tag> text </tag>"; the renderer adds the two spaces back.
    if len(text) >= 2 and text[0] == " " and text[-1] == " ":
        return text[1:-1]
    return text.strip()


def parse_tools(instruction: str, field: str = "instruction") -> list[ToolSpec]:
    """The tools listed in a ToolRL system prompt.

    >>> from toolrl.prompt import render_system
    >>> spec = ToolSpec(name="A", description="d", parameters={"x": {"type": "int"}}, schema_style="toolrl")
    >>> parse_tools(render_system([spec])) == [spec]
    True
    """
    if not instruction.startswith(_SYSTEM_HEAD) or not instruction.endswith(_SYSTEM_TAIL):
        raise RecordError(field, "not a ToolRL system prompt (opening or closing sections differ)")
    body = instruction[len(_SYSTEM_HEAD) : len(instruction) - len(_SYSTEM_TAIL)]
    starts = [m.start() for m in _TOOL_START.finditer(body)]
    tools = []
    for i, start in enumerate(starts):
        chunk = body[start : starts[i + 1] if i + 1 < len(starts) else len(body)].lstrip("\n")
        number, _, rest = chunk.partition(". Name: ")
        name, sep, rest = rest.partition("\nDescription: ")
        description, sep2, params_text = rest.rpartition("\nParameters: ")
        where = f"{field} (tool {number})"
        if not sep or not sep2:
            raise RecordError(where, "expected 'Name:', 'Description:' and 'Parameters:' lines")
        if int(number) != i + 1:
            raise RecordError(where, f"tools must be numbered from 1; found {number} at {i + 1}")
        try:
            params = json.loads(params_text)
        except ValueError as exc:
            raise RecordError(where, f"Parameters is not JSON ({exc})") from None
        if not isinstance(params, dict):
            raise RecordError(where, "Parameters must be a JSON object")
        tools.append(
            ToolSpec(name=name, description=description, parameters=params, schema_style="toolrl")
        )
    if not starts and body.strip():
        raise RecordError(field, "the tool list does not start with '1. Name: '")
    return tools


def parse_call_lines(body: str, field: str) -> list[ToolCall]:
    """Tool calls from the inside of a `<tool_call>` block (one JSON object per line)."""
    calls = []
    for n, line in enumerate(body.strip().split("\n"), start=1):
        try:
            obj = json.loads(line)
        except ValueError:
            raise RecordError(field, f"tool call line {n} is not valid JSON") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            raise RecordError(field, f"tool call line {n} needs a string 'name'")
        params = obj.get("parameters", {})
        if not isinstance(params, dict):
            raise RecordError(field, f"tool call line {n}: 'parameters' must be an object")
        calls.append(ToolCall(name=obj["name"], parameters=params))
    return calls


def parse_history(text: str, field: str = "input") -> list[Turn]:
    """The dialogue turns of a ToolRL user message (`**Dialogue Records History**` ...)."""
    if not text.startswith(HISTORY_HEADING):
        raise RecordError(field, "must start with '**Dialogue Records History**'")
    turns: list[Turn] = []
    pos = len(HISTORY_HEADING)
    for m in _BLOCK.finditer(text, pos):
        if text[pos : m.start()].strip():
            raise RecordError(
                field, f"text outside the tagged blocks: {text[pos : m.start()][:40]!r}"
            )
        tag, inner = m.group(1), m.group(2)
        last = turns[-1] if turns else None
        if tag == "user":
            turns.append(Turn(role="user", content=_unpad(inner)))
        elif tag == "obs":
            turns.append(Turn(role="observation", content=_unpad(inner)))
        elif tag == "think":
            turns.append(Turn(role="assistant", thought=_unpad(inner)))
        elif last is None or last.role != "assistant":
            raise RecordError(field, f"<{tag}> without a preceding <think>")
        elif tag == "tool_call":
            last.calls = parse_call_lines(inner, field)
        else:
            last.response = _unpad(inner)
        pos = m.end()
    if text[pos:].strip():
        raise RecordError(field, f"text outside the tagged blocks: {text[pos:][:40]!r}")
    return turns


def parse_target(text: str, field: str = "output") -> Target:
    """The ground truth from a ToolRL output text (`<think>` + tool block and/or response).

    >>> parse_target("<think> t </think>\\n<response> hi </response>").response
    'hi'
    """
    s = text.strip()
    m = re.match(r"<think>(.*?)</think>\n", s, re.DOTALL)
    if not m:
        raise RecordError(field, "must start with '<think> ... </think>' and a newline")
    thought, rest = _unpad(m.group(1)), s[m.end() :]
    calls: list[ToolCall] = []
    if rest.startswith("<tool_call>\n"):
        end = rest.find("\n</tool_call>")
        if end < 0:
            raise RecordError(field, "<tool_call> is never closed")
        calls = parse_call_lines(rest[len("<tool_call>\n") : end], field)
        rest = rest[end + len("\n</tool_call>") :]
        if rest.startswith("\n"):
            rest = rest[1:]
    response = None
    if rest:
        if not (rest.startswith("<response>") and rest.endswith("</response>")):
            raise RecordError(field, "expected a <tool_call> block and/or a <response>")
        response = _unpad(rest[len("<response>") : -len("</response>")])
    if not calls and response is None:
        raise RecordError(field, "needs a tool call or a response")
    return Target(thought=thought, calls=calls, response=response)


def row_from_texts(
    row_id: str, instruction: str, user: str, output: str, source: str, meta: dict[str, Any]
) -> Row:
    """A row from the three ToolRL texts (system prompt, user message, ground truth)."""
    return Row(
        id=row_id,
        tools=parse_tools(instruction),
        history=parse_history(user),
        target=parse_target(output),
        source=source,
        meta=meta,
    )


def from_raw(record: dict[str, Any], row_id: str) -> Row:
    """A row from a raw ToolRL record `{"instruction", "input", "output"}`."""
    for key in ("instruction", "input", "output"):
        if not isinstance(record.get(key), str):
            raise RecordError(key, "missing or not a string")
    return row_from_texts(
        row_id, record["instruction"], record["input"], record["output"], "toolrl-raw", {}
    )


def from_parquet(record: dict[str, Any], row_id: str) -> Row:
    """A row from a veRL parquet record (`prompt` messages, `reward_model.ground_truth`)."""
    prompt = record.get("prompt")
    if prompt is None or len(prompt) != 2:
        raise RecordError("prompt", "expected a system and a user message")
    roles = [m.get("role") for m in prompt]
    if roles != ["system", "user"]:
        raise RecordError("prompt", f"expected roles system, user; found {roles}")
    reward_model = record.get("reward_model") or {}
    gt = reward_model.get("ground_truth")
    if not isinstance(gt, str):
        raise RecordError("reward_model.ground_truth", "missing or not a string")
    extra = dict(record.get("extra_info") or {})
    meta = {
        "data_source": record.get("data_source"),
        "ability": record.get("ability"),
        "index": extra.get("index"),
        "split": extra.get("split"),
    }
    meta = {k: v for k, v in meta.items() if v is not None}
    return row_from_texts(
        row_id, prompt[0]["content"], prompt[1]["content"], gt, "toolrl-parquet", meta
    )
