"""What the rollout page shows: a completion's parts, and its calls against the ground truth."""

from __future__ import annotations

import doctest

import pytest

from toolrl import explain
from toolrl.explain import call_comparison, completion_parts

A1 = {"name": "A", "parameters": {"x": "1", "y": 2}}


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        # the usual layout: think, newline, tool block
        ("<think> t </think>\n<tool_call>\n{}\n</tool_call>", ["think", "text", "tool_call"]),
        # all three blocks
        (
            "<think>t</think>\n<tool_call>\n{}\n</tool_call>\n<response>r</response>",
            ["think", "text", "tool_call", "text", "response"],
        ),
        # no tags at all
        ("just words", ["text"]),
        # truncated: an opened block runs to the end
        ("<think> never closed", ["think"]),
        # a stray closing tag is plain text
        ("</think> x", ["text"]),
        # nothing
        ("", []),
    ],
)
def test_completion_parts(text, kinds):
    parts = completion_parts(text)
    assert [k for k, _ in parts] == kinds
    assert "".join(t for _, t in parts) == text  # nothing lost, nothing added


def _statuses(rows):
    return [(r["name"], r["name_ok"], [(p["key"], p["status"]) for p in r["params"]]) for r in rows]


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        # exact match
        ([A1], [A1], [("A", True, [("x", "match"), ("y", "match")])]),
        # a wrong value
        (
            [{"name": "A", "parameters": {"x": "2", "y": 2}}],
            [A1],
            [("A", True, [("x", "wrong_value"), ("y", "match")])],
        ),
        # "1" and 1 differ, as in the reward
        (
            [{"name": "A", "parameters": {"x": 1, "y": 2}}],
            [A1],
            [("A", True, [("x", "wrong_value"), ("y", "match")])],
        ),
        # missing y, extra z
        (
            [{"name": "A", "parameters": {"x": "1", "z": 0}}],
            [A1],
            [("A", True, [("x", "match"), ("y", "missing"), ("z", "extra")])],
        ),
        # wrong tool: the gold call is unpaired, the prediction is listed after it
        (
            [{"name": "B", "parameters": {"q": 1}}],
            [A1],
            [("A", False, [("x", "missing"), ("y", "missing")]), ("B", False, [("q", "extra")])],
        ),
        # no calls parsed (an answer, or unreadable output)
        (None, [A1], [("A", False, [("x", "missing"), ("y", "missing")])]),
        # two same-name calls in another order pair with the closest each
        (
            [{"name": "A", "parameters": {"x": "2", "y": 3}}, A1],
            [A1, {"name": "A", "parameters": {"x": "2", "y": 3}}],
            [("A", True, [("x", "match"), ("y", "match")])] * 2,
        ),
        # response-only ground truth and a call: the call is extra
        ([{"name": "A", "parameters": {}}], None, [("A", False, [])]),
    ],
)
def test_call_comparison(pred, gold, expected):
    assert _statuses(call_comparison(pred, gold)) == expected


def test_examples_in_docstrings_hold():
    assert doctest.testmod(explain).failed == 0
