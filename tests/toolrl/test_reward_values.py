"""The worked values of the issue (§2) and of the method reference (§4.6), default preset.

GT = one call A(x="1", y=2) unless stated; B(q="hi") is a second tool.
"""

from __future__ import annotations

import pytest

from toolrl.rewards import RewardConfig, correctness_reward, format_reward, score
from toolrl.schema import Target, ToolCall

from .conftest import call, response_output, tool_output

A = call("A", x="1", y=2)
B = call("B", q="hi")
GT_A = tool_output(A)
GT_AB = tool_output(A, B)
GT_RESPONSE = response_output("answer")
GT_BOTH = tool_output(A) + "\n<response> done </response>"

CASES = [
    # (prediction, ground truth, total, format, correctness)
    (tool_output(A), GT_A, 4.0, 1.0, 3.0),  # exact: shortcut to the maximum
    (
        tool_output(call("A", x="1", y=3)),
        GT_A,
        2.5,
        1.0,
        1.5,
    ),  # one value wrong: score 3 of S_max 4
    (
        tool_output(call("A", x=1, y=2)),
        GT_A,
        2.5,
        1.0,
        1.5,
    ),  # x=1 instead of "1": type mismatch is wrong
    (tool_output(call("A", x="1")), GT_A, 1.75, 1.0, 0.75),  # missing y: key Jaccard 0.5 + 1 value
    (
        tool_output(call("A", x="1", y=2, z=0)),
        GT_A,
        3.5,
        1.0,
        2.5,
    ),  # extra param z: Jaccard 2/3 + 2 values
    (tool_output(call("C", x="1", y=2)), GT_A, -2.0, 1.0, -3.0),  # wrong tool name: nothing matched
    (tool_output(A, B), GT_A, 3.25, 1.0, 2.25),  # extra call to another tool: names Jaccard 0.5
    (tool_output(A, A), GT_A, 3.25, 1.0, 2.25),  # the same call twice: multiset Jaccard 0.5
    (tool_output(A), GT_AB, 1.5, 1.0, 0.5),  # GT [A, B], pred [A]: B unmatched
    (tool_output(B, A), GT_AB, 4.0, 1.0, 3.0),  # GT [A, B], pred [B, A]: order-free via matching
    (
        tool_output('{"name": "A", "parameters": {"x": "1",'),
        GT_A,
        -2.0,
        1.0,
        -3.0,
    ),  # invalid JSON line
    (tool_output(A, "", B), GT_AB, -2.0, 1.0, -3.0),  # blank line between two calls
    (response_output(), GT_A, -3.0, 0.0, -3.0),  # response only when the GT is a call
    (
        tool_output(A) + "\n<response> ok </response>",
        GT_A,
        3.0,
        0.0,
        3.0,
    ),  # call plus an extra <response>
    (
        tool_output(A).replace("</think>\n", "</think>"),
        GT_A,
        3.0,
        0.0,
        3.0,
    ),  # no newline after </think>
    (
        tool_output(A).replace("\n</tool_call>", ""),
        GT_A,
        -3.0,
        0.0,
        -3.0,
    ),  # truncated: no </tool_call>
    (
        response_output(),
        GT_RESPONSE,
        1.0,
        1.0,
        0.0,
    ),  # GT response, pred response: correctness neutral
    (
        tool_output(A),
        GT_RESPONSE,
        0.0,
        0.0,
        0.0,
    ),  # GT response, pred tool call: over-calling costs 1
    (
        tool_output(call("A")),
        tool_output(call("A")),
        4.0,
        1.0,
        3.0,
    ),  # both params {}: match_score([], []) = 1
    (
        tool_output('{"name": "A", "params": {"x": "1", "y": 2}}'),
        GT_A,
        -2.0,
        1.0,
        -3.0,
    ),  # malformed call: parse failure
    (
        tool_output(A, '{"name": "Z", "params": {}}'),
        GT_A,
        -2.0,
        1.0,
        -3.0,
    ),  # malformed extra call: -3 here (released: 2.25)
    (
        "  \n" + tool_output(A) + "\n\n",
        GT_A,
        4.0,
        1.0,
        3.0,
    ),  # surrounding whitespace is stripped first
    (
        tool_output(A, thought="use <tool_call> tags"),
        GT_A,
        -3.0,
        0.0,
        -3.0,
    ),  # tag inside the thought
    (tool_output(call("A", x="1", y=2.0)), GT_A, 4.0, 1.0, 3.0),  # 2.0 == 2 as Python compares
    (tool_output(call("A", y=2, x="1")), GT_A, 4.0, 1.0, 3.0),  # key order is irrelevant
    (
        tool_output(A) + "\n<response> ok </response>",
        GT_BOTH,
        4.0,
        1.0,
        3.0,
    ),  # GT both: call + response
    (tool_output(A), GT_BOTH, 3.0, 0.0, 3.0),  # GT both: the response is missing
    (response_output(), GT_BOTH, -3.0, 0.0, -3.0),  # GT both: the call is missing
]


@pytest.mark.parametrize(("pred", "gt", "total", "fmt", "corr"), CASES)
def test_worked_values(pred, gt, total, fmt, corr):
    b = score(pred, gt, RewardConfig.preset("toolrl"), step=0, max_steps=105)
    assert b.components == pytest.approx({"format": fmt, "correctness": corr})
    assert b.total == pytest.approx(total)
    assert format_reward(pred, gt) == pytest.approx(fmt)
    assert correctness_reward(pred, gt) == pytest.approx(corr)


def test_structured_ground_truth_scores_like_its_text():
    target = Target(calls=[ToolCall(name="A", parameters={"x": "1", "y": 2})])
    for pred, gt, total, _, _ in CASES:
        if gt == GT_A:
            assert score(pred, target).total == pytest.approx(total), pred


def test_details_report_sub_scores_and_matches():
    d = score(tool_output(call("A", x="1", y=3)), GT_A).details
    assert (d["name"], d["keys"], d["values"], d["s_max"], d["matched"]) == (
        1.0,
        1.0,
        1,
        4,
        [(0, 0)],
    )
    assert d["error"] is None and d["format_ok"] is True and d["exact"] is False


@pytest.mark.parametrize(
    ("pred", "error"),
    [
        (response_output(), "no_tool_block"),  # answered instead of calling
        (tool_output("{x"), "invalid_json"),  # broken JSON
        (tool_output(A, "", A), "blank_line"),  # blank line
        (tool_output('{"name": "A"}'), "not_a_call"),  # no parameters
        (tool_output(A).replace("\n</tool_call>", ""), "truncated"),  # cut off
        (tool_output(A) + "\n<response> x </response>", "wrong_layout"),  # well formed, wrong kind
        (tool_output(A).replace("</think>\n", "</think> "), "bad_separator"),  # separator
        (tool_output(A), None),  # nothing wrong
    ],
)
def test_details_name_the_error(pred, error):
    assert score(pred, GT_A).details["error"] == error


def test_ground_truth_with_neither_calls_nor_response_wants_a_thought_only():
    target = Target()
    assert score("<think> nothing to do </think>", target).components == {
        "format": 1.0,
        "correctness": 0.0,
    }
    assert score(response_output(), target).components == {"format": 0.0, "correctness": 0.0}


def test_unparseable_ground_truth_gives_minimum_and_says_so():
    b = score(tool_output(A), tool_output("not json"))
    assert b.components["correctness"] == -3.0
    assert b.details["error"] == "ground_truth_invalid_json"
