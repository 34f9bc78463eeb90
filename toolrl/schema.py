"""The canonical row: what every dataset format is imported into and what training consumes.

A row is one decision point of a dialogue: the tools on offer, the dialogue so far, and what the
assistant should output next (tool calls and/or a response). Everything is plain JSON-able data so
rows travel through JSONL files, Arrow columns, Celery-free databases and the web unchanged.

Example::

    row = Row(
        id="weather-1",
        tools=[ToolSpec(name="get_weather", description="Weather now",
                        parameters={"type": "object", "properties": {"city": {"type": "string"}}})],
        history=[Turn(role="user", content="Weather in Paris?")],
        target=Target(calls=[ToolCall(name="get_weather", parameters={"city": "Paris"})]),
    )
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ToolSpec(BaseModel):
    """One tool the model may call.

    `parameters` is a JSON-schema object (`{"type": "object", "properties": {...}, "required": [...]}`).
    Datasets that describe parameters differently (ToolRL's `{"x": {"description", "type",
    "default"}}`) keep their original mapping in `parameters` with `schema_style` saying so, so the
    prompt renders byte for byte as the source did.
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    schema_style: Literal["jsonschema", "toolrl"] = "jsonschema"


class ToolCall(BaseModel):
    """A call: a tool name and its arguments, as the model writes them on one JSON line."""

    model_config = ConfigDict(extra="forbid")

    name: str
    parameters: dict[str, Any] = Field(default_factory=dict)


class Turn(BaseModel):
    """One entry of the dialogue history.

    - role "user": `content` is the user's text.
    - role "assistant": `thought`, `calls` and/or `response` (an earlier model turn).
    - role "observation": `content` is the tool feedback text shown inside `<obs> ... </obs>`.
    """

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant", "observation"]
    content: str = ""
    thought: str | None = None
    calls: list[ToolCall] = Field(default_factory=list)
    response: str | None = None


class Target(BaseModel):
    """What the assistant should output at this point (the ground truth)."""

    model_config = ConfigDict(extra="forbid")

    thought: str | None = None
    calls: list[ToolCall] = Field(default_factory=list)
    response: str | None = None


class Row(BaseModel):
    """One training or evaluation example."""

    model_config = ConfigDict(extra="forbid")

    id: str
    tools: list[ToolSpec] = Field(default_factory=list)
    history: list[Turn] = Field(default_factory=list)
    target: Target
    # Where the row came from ("toolrl-raw", "xlam", "synthetic", ...), for filtering and provenance.
    source: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)
