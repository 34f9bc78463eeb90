"""The parser: structure, calls and an error category for every kind of broken output."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolrl.parser import parse_calls, parse_completion

from .conftest import call, response_output, tool_output

CALL = call("A", x="1")

CASES = [
    # (completion, expected error, expected calls)
    (tool_output(CALL), None, [{"name": "A", "parameters": {"x": "1"}}]),  # clean tool call
    (response_output(), None, None),  # clean response
    (
        tool_output(CALL) + "\n<response> ok </response>",
        None,
        [{"name": "A", "parameters": {"x": "1"}}],
    ),  # both
    ("   ", "empty", None),  # whitespace only
    ("<think> t </think>\n<tool_call>\n" + CALL, "truncated", None),  # cut off before </tool_call>
    ("<think> t", "truncated", None),  # cut off inside the thought
    (
        "<tool_call>\n" + CALL + "\n</tool_call>",
        "missing_think",
        [{"name": "A", "parameters": {"x": "1"}}],
    ),  # no thought
    ("Sure! " + response_output(), "extra_text", None),  # chatter before <think>
    (response_output() + " bye", "extra_text", None),  # chatter after the last block
    (
        tool_output(CALL) + "\n" + tool_output(CALL),
        "duplicate_tag",
        [{"name": "A", "parameters": {"x": "1"}}],
    ),  # two tool blocks
    ("<think> t </think>", "no_action", None),  # thought only
    (
        "<think> t </think>\n<response> r </response>\n<tool_call>\n" + CALL + "\n</tool_call>",
        "wrong_order",
        [{"name": "A", "parameters": {"x": "1"}}],
    ),  # response first
    (
        tool_output(CALL).replace("</think>\n", "</think>"),
        "bad_separator",
        [{"name": "A", "parameters": {"x": "1"}}],
    ),  # no newline after </think>
    (
        tool_output(CALL).replace("<tool_call>\n", "<tool_call>"),
        "bad_separator",
        [{"name": "A", "parameters": {"x": "1"}}],
    ),  # tag not on its own line
    ("<think> t </think>\n<tool_call>\n\n</tool_call>", "empty_tool_block", None),  # nothing inside
    (tool_output(CALL, "", CALL), "blank_line", None),  # blank line between calls
    (tool_output("{name: A}"), "invalid_json", None),  # not JSON
    (tool_output('{"name": "A", "params": {}}'), "not_a_call", None),  # wrong key
    (tool_output('[{"name": "A", "parameters": {}}]'), "not_a_call", None),  # a JSON list
    (tool_output('{"name": 3, "parameters": {}}'), "not_a_call", None),  # name not a string
]


@pytest.mark.parametrize(("text", "error", "calls"), CASES)
def test_error_categories(text, error, calls):
    parsed = parse_completion(text)
    assert parsed.error == error
    assert parsed.calls == calls


def test_fields_are_read():
    parsed = parse_completion(tool_output(CALL, thought="plan") + "\n<response> done </response>")
    assert (parsed.thought, parsed.response, parsed.call_error) == ("plan", "done", None)


def test_parse_calls_uses_first_block_like_the_released_scorer():
    # A thought that mentions <tool_call> makes the block start inside the thought: parse failure.
    text = "<think> I will use <tool_call> tags </think>\n<tool_call>\n" + CALL + "\n</tool_call>"
    assert parse_calls(text) == (None, "invalid_json")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(text):
    parse_completion(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<think>",
                "</think>",
                "<tool_call>",
                "</tool_call>",
                "<response>",
                "</response>",
                "\n",
                " ",
                "x",
                CALL,
                "{",
                '"',
                "[]",
                "\n\n",
            ]
        ),
        max_size=14,
    )
)
def test_never_raises_on_tag_soup(pieces):
    parsed = parse_completion("".join(pieces))
    assert parsed.error is None or isinstance(parsed.error, str)
