"""Rendering reproduces the released ToolRL prompts and ground truths byte for byte."""

from __future__ import annotations

from toolrl.formats import load_rows
from toolrl.prompt import (
    RESPONSE_THOUGHT,
    TOOL_THOUGHT,
    format_call,
    render_messages,
    render_system,
    render_target,
    render_user,
)
from toolrl.schema import Target, ToolCall, ToolSpec, Turn


def test_all_400_sft_rows_render_byte_for_byte(sft_records, sft_path):
    rows = load_rows(sft_path)
    assert len(rows) == len(sft_records) == 400
    for record, row in zip(sft_records, rows, strict=True):
        system, user = render_messages(row)
        assert system == {"role": "system", "content": record["instruction"]}, row.id
        assert user == {"role": "user", "content": record["input"]}, row.id
        assert render_target(row.target) == record["output"], row.id


def test_all_80_parquet_prompts_render_byte_for_byte(parquet_records, parquet_path):
    rows = load_rows(parquet_path)
    assert len(rows) == len(parquet_records) == 80
    for record, row in zip(parquet_records, rows, strict=True):
        assert render_messages(row) == [
            {"role": m["role"], "content": m["content"]} for m in record["prompt"]
        ]
        assert render_target(row.target) == record["reward_model"]["ground_truth"]


def test_multi_step_history_keeps_observation_under_its_call():
    history = [
        Turn(role="user", content="Trending shows?"),
        Turn(role="assistant", calls=[ToolCall(name="Get", parameters={})]),
        Turn(role="observation", content='[{"name": "Get", "results": {}}]'),
    ]
    assert render_user(history) == (
        "**Dialogue Records History**\n<user> Trending shows? </user>\n\n"
        f"<think> {TOOL_THOUGHT} </think>\n<tool_call>\n"
        '{"name": "Get", "parameters": {}}\n</tool_call>\n'
        '<obs> [{"name": "Get", "results": {}}] </obs>'
    )


def test_target_without_thought_uses_the_data_placeholders():
    assert render_target(Target(response="Hello")) == (
        f"<think> {RESPONSE_THOUGHT} </think>\n<response> Hello </response>"
    )
    both = render_target(Target(thought="x", calls=[ToolCall(name="A")], response="ok"))
    assert (
        both
        == '<think> x </think>\n<tool_call>\n{"name": "A", "parameters": {}}\n</tool_call>\n<response> ok </response>'
    )


def test_json_schema_tools_render_their_properties_like_the_bfcl_handler():
    tool = ToolSpec(
        name="f",
        description="d",
        parameters={"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]},
    )
    assert '1. Name: f\nDescription: d\nParameters: {"x": {"type": "string"}}\n' in render_system(
        [tool]
    )


def test_format_call_escapes_non_ascii_like_the_data():
    assert (
        format_call({"name": "A", "parameters": {"t": "±"}})
        == '{"name": "A", "parameters": {"t": "\\u00b1"}}'
    )
