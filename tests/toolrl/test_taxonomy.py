"""The failure taxonomy: one label per completion, with the documented precedence.

GT_A = one call A(x="1", y=2); B(q="hi") is a second tool.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolrl.parser import parse_calls
from toolrl.rewards import RewardConfig, parse_ground_truth, score
from toolrl.rewards.components import format_ok
from toolrl.schema import Target, ToolCall
from toolrl.taxonomy import (
    ANSWERED_INSTEAD_OF_CALLING,
    BAD_GROUND_TRUTH,
    CALLED_INSTEAD_OF_ANSWERING,
    CORRECT,
    EXTRA_PARAMETER,
    LABELS,
    MISSING_PARAMETER,
    WRONG_LAYOUT,
    WRONG_TOOL,
    WRONG_VALUE,
    classify,
    classify_parsed,
    is_format_error,
)

from .conftest import call, response_output, tool_output

A = call("A", x="1", y=2)
B = call("B", q="hi")
GT_A = tool_output(A)
GT_AB = tool_output(A, B)
GT_AA = tool_output(call("A", x="1", y=2), call("A", x="2", y=3))
GT_RESPONSE = response_output("answer")
GT_BOTH = tool_output(A) + "\n<response> done </response>"
GT_THINK_ONLY = "<think> nothing to do </think>"

CASES = [
    # (completion, ground truth, label)
    # --- correct
    (tool_output(A), GT_A, CORRECT),  # the same call
    (tool_output(call("A", y=2, x="1")), GT_A, CORRECT),  # keys in another order
    (tool_output(call("A", x="1", y=2.0)), GT_A, CORRECT),  # 2.0 == 2, as calls_equal compares
    (tool_output(B, A), GT_AB, CORRECT),  # parallel calls in another order
    (response_output("other words"), GT_RESPONSE, CORRECT),  # the answer's text is not judged
    (tool_output(A) + "\n<response> ok </response>", GT_BOTH, CORRECT),  # call and answer
    ("<think> hmm </think>", GT_THINK_ONLY, CORRECT),  # a think-only ground truth, matched
    # --- format errors, by the parser's category
    ("", GT_A, "format:empty"),  # nothing
    ("<think> I will call A </think>\n<tool_call>\n{", GT_A, "format:truncated"),  # cut off
    (f"<tool_call>\n{A}\n</tool_call>", GT_A, "format:missing_think"),  # no thought
    ("A(x='1', y=2)", GT_A, "format:missing_think"),  # python-style call, no tags at all
    (tool_output(A) + " thanks", GT_A, "format:extra_text"),  # text after the block
    (tool_output(A).replace("</think>\n", "</think>"), GT_A, "format:bad_separator"),  # no \n
    (tool_output("{"), GT_A, "format:invalid_json"),  # a line that is not JSON
    (tool_output('{"name": "A"}'), GT_A, "format:not_a_call"),  # JSON without parameters
    (tool_output(A, "", B), GT_AB, "format:blank_line"),  # a blank line between calls
    (tool_output(A) + "\n" + tool_output(B)[18:], GT_AB, "format:duplicate_tag"),  # two blocks
    ("<think> t </think>", GT_A, "format:no_action"),  # a thought and nothing else
    # format first: a malformed answer to a call question is a format error, not a decision
    (response_output() + " !", GT_A, "format:extra_text"),
    # --- the decision: call or answer
    (response_output(), GT_A, ANSWERED_INSTEAD_OF_CALLING),  # answered, should call
    (response_output(), GT_BOTH, ANSWERED_INSTEAD_OF_CALLING),  # should call, then answer
    (tool_output(A), GT_RESPONSE, CALLED_INSTEAD_OF_ANSWERING),  # called, should answer
    (tool_output(call("Z")), GT_THINK_ONLY, CALLED_INSTEAD_OF_ANSWERING),  # should do nothing
    # --- the right decision in the wrong layout
    (tool_output(A) + "\n<response> ok </response>", GT_A, WRONG_LAYOUT),  # an extra answer
    (tool_output(A), GT_BOTH, WRONG_LAYOUT),  # the answer after the call is missing
    (response_output(), GT_THINK_ONLY, WRONG_LAYOUT),  # answered where only a thought was due
    # layout before calls: a wrong call in the wrong layout is still the layout
    (tool_output(B) + "\n<response> ok </response>", GT_A, WRONG_LAYOUT),
    # --- which tools
    (tool_output(call("C", x="1", y=2)), GT_A, WRONG_TOOL),  # another tool
    (tool_output(A), GT_AB, WRONG_TOOL),  # a call too few
    (tool_output(A, B), GT_A, WRONG_TOOL),  # a call too many
    (tool_output(A, A), GT_A, WRONG_TOOL),  # the same call twice
    # wrong tool first: a wrong name with missing parameters is the tool
    (tool_output(call("C")), GT_A, WRONG_TOOL),
    # --- parameters
    (tool_output(call("A", x="1")), GT_A, MISSING_PARAMETER),  # y missing
    (tool_output(call("A", x="1", y=2, z=0)), GT_A, EXTRA_PARAMETER),  # z extra
    (tool_output(call("A", x="1", yy=2)), GT_A, MISSING_PARAMETER),  # y renamed: missing first
    (tool_output(call("A", y=3)), GT_A, MISSING_PARAMETER),  # missing before wrong value
    (tool_output(call("A", x="2", y=2, z=0)), GT_A, EXTRA_PARAMETER),  # extra before wrong value
    # a key beside name/parameters is ignored, as the reward ignores it
    (tool_output('{"name": "A", "parameters": {"x": "1", "y": 2}, "id": 1}'), GT_A, CORRECT),
    # --- values
    (tool_output(call("A", x="1", y=3)), GT_A, WRONG_VALUE),  # one value wrong
    (tool_output(call("A", x=1, y=2)), GT_A, WRONG_VALUE),  # 1 is not "1"
    (tool_output(B, call("A", x="1", y=5)), GT_AB, WRONG_VALUE),  # parallel, one value wrong
    # repeated tool: each GT call takes the best same-name prediction (here, swapped order)
    (tool_output(call("A", x="2", y=3), call("A", x="1", y=2)), GT_AA, CORRECT),
    (tool_output(call("A", x="2", y=3), call("A", x="1", y=9)), GT_AA, WRONG_VALUE),
    (tool_output(call("A", x="2", y=3), call("A", x="1")), GT_AA, MISSING_PARAMETER),
    # --- data problems
    (tool_output(A), tool_output("{"), BAD_GROUND_TRUTH),  # the ground truth does not parse
]


@pytest.mark.parametrize("completion, ground_truth, label", CASES)
def test_label(completion, ground_truth, label):
    assert classify(completion, ground_truth) == label


def test_every_label_is_a_known_constant_and_the_table_covers_the_named_kinds():
    seen = {label for _, _, label in CASES}
    assert seen <= set(LABELS)
    # Every label except the rare parser categories appears in the table above.
    rare = {"format:wrong_order", "format:empty_tool_block", "format:malformed"}
    assert set(LABELS) - seen - rare == set()
    assert len(LABELS) == len(set(LABELS))


def test_structured_targets_and_conversational_completions():
    target = Target(thought="t", calls=[ToolCall(name="A", parameters={"x": "1", "y": 2})])
    assert classify(tool_output(call("A", x="1", y=2)), target) == CORRECT
    assert classify([{"role": "assistant", "content": tool_output(A)}], GT_A) == CORRECT


def test_classify_parsed_reuses_what_the_caller_parsed():
    text = tool_output(call("A", x="1"))
    gt = parse_ground_truth(GT_A)
    calls, call_error = parse_calls(text)
    assert (
        classify_parsed(text, calls, call_error, gt, format_ok(text, gt.kind)) == MISSING_PARAMETER
    )


def test_format_family():
    assert all(is_format_error(label) for label in LABELS if label.startswith("format:"))
    assert not is_format_error(CORRECT) and is_format_error(WRONG_LAYOUT)


TOOLRL = RewardConfig.preset("toolrl")


@pytest.mark.parametrize("completion, ground_truth, label", CASES)
def test_correct_means_the_full_reward(completion, ground_truth, label):
    """`correct` exactly when the released reward gives its maximum (format max + correctness
    max for a call, format max for an answer)."""
    gt = parse_ground_truth(ground_truth)
    if gt.has_calls and gt.calls is None:
        return
    best = 4.0 if gt.has_calls else 1.0
    assert (label == CORRECT) == (score(completion, ground_truth, TOOLRL).total == best)


pieces = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<tool_call>",
        "</tool_call>",
        "<response>",
        "</response>",
        "\n",
        " ",
        A,
        B,
        "{",
        "}",
        "x",
        '"name"',
        call("A", x="1"),
        call("A"),
    ]  # fmt: skip
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(pieces, max_size=14).map("".join), st.sampled_from([GT_A, GT_AB, GT_RESPONSE, GT_BOTH])
)
def test_never_raises_and_always_gives_a_known_label(completion, ground_truth):
    label = classify(completion, ground_truth)
    assert label in LABELS
    # A label about calls implies the layout the ground truth asks for.
    if label in (WRONG_TOOL, MISSING_PARAMETER, EXTRA_PARAMETER, WRONG_VALUE):
        assert format_ok(completion.strip(), parse_ground_truth(ground_truth).kind)


def test_the_released_ground_truths(parquet_records):
    """Every ground truth of ToolRL's test split is `correct` against itself; answering instead
    is `answered_instead_of_calling` where it calls, and calling is wrong where it answers."""
    labels = []
    for record in parquet_records:
        gt = record["reward_model"]["ground_truth"]
        assert classify(gt, gt) == CORRECT, gt
        labels.append(classify(response_output(), gt))
        if "<tool_call>" not in gt:
            assert classify(tool_output(A), gt) == CALLED_INSTEAD_OF_ANSWERING
    assert labels.count(ANSWERED_INSTEAD_OF_CALLING) == 71 and labels.count(CORRECT) == 9
