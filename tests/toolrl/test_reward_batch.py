"""Batch scoring, the released data's ground truths, and fuzzing that scoring never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolrl.formats import load_rows
from toolrl.rewards import (
    PRESETS,
    RewardConfig,
    parse_ground_truth,
    score,
    score_batch,
    score_columns,
)
from toolrl.rewards.components import format_ok, format_ok_regex
from toolrl.rewards.parallel import score_many

from .conftest import call, response_output, tool_output

A = call("A", x="1", y=2)
GT = tool_output(A)


def test_every_test_parquet_ground_truth_scores_4_or_1_against_itself(parquet_records):
    tool, response = 0, 0
    for record in parquet_records:
        gt = record["reward_model"]["ground_truth"]
        total = score(gt, gt, RewardConfig.preset("toolrl")).total
        if "<tool_call>" in gt:
            tool += 1
            assert total == 4.0, gt
        else:
            response += 1
            assert total == 1.0, gt
    assert (tool, response) == (71, 9)


def test_structured_targets_of_test_parquet_score_like_their_text(parquet_records, parquet_path):
    rows = load_rows(parquet_path)
    for row, record in zip(rows, parquet_records, strict=True):
        gt = record["reward_model"]["ground_truth"]
        assert score(gt, row.target).total == score(gt, gt).total


@pytest.mark.parametrize("preset", list(PRESETS))
def test_batch_equals_loop_for_every_preset(preset):
    cfg = RewardConfig.preset(preset)
    preds = [
        GT,
        response_output(),
        tool_output(A, A),
        tool_output("{"),
        "junk",
        GT + "\n<response> x </response>",
    ]
    gts = [GT, GT, GT, GT, GT, response_output()]
    loop = [score(p, g, cfg, step=40, max_steps=100) for p, g in zip(preds, gts, strict=True)]
    batch = score_batch(preds, gts, cfg, step=40, max_steps=100)
    assert batch == loop
    cols = score_columns(preds, gts, cfg, step=40, max_steps=100)
    assert cols["total"] == [b.total for b in loop]
    for name in cfg.component_names():
        assert cols[name] == [b.components[name] for b in loop]


def test_one_ground_truth_for_a_whole_group_and_parsed_once():
    gt = parse_ground_truth(GT)
    assert parse_ground_truth(GT) is gt  # cached
    totals = [b.total for b in score_batch([GT, response_output()], gt)]
    assert totals == [4.0, -3.0]
    with pytest.raises(ValueError, match="2 completions but 1 ground truths"):
        score_batch([GT, GT], [GT])


def test_score_many_on_two_processes_matches_columns():
    preds = [GT, response_output(), tool_output(A, A), "junk"] * 50
    assert score_many(preds, GT, workers=2) == score_columns(preds, GT)


def test_trl_style_conversational_completion_is_accepted():
    assert score([{"role": "assistant", "content": GT}], GT).total == 4.0


TAGS = [
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "<response>",
    "</response>",
    "\n",
    " ",
    "x",
    A,
    "{",
    "[]",
    "\n\n",
    call("A", x="1"),
    '{"name": "A", "params": {}}',
]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(TAGS), max_size=16),
    st.sampled_from(list(PRESETS)),
    st.integers(0, 200),
)
def test_score_never_raises_on_tag_soup(pieces, preset, step):
    text = "".join(pieces)
    b = score(text, GT, RewardConfig.preset(preset), step=step, max_steps=105)
    assert isinstance(b.total, float)
    assert isinstance(b.details, dict)
    score(text, response_output(), RewardConfig.preset(preset), step=step, max_steps=105)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.none(), st.integers(), st.lists(st.text())))
def test_score_never_raises_on_anything(completion):
    score(completion, GT).details  # noqa: B018 (computing the details is the point)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from(TAGS + ["</think>\n<tool_call>\n", "\n</tool_call>\n<response>"]),
        max_size=12,
    ),
    st.sampled_from(["tool", "response", "both", "neither"]),
)
def test_fast_format_check_equals_the_released_regexes(pieces, kind):
    text = "".join(pieces)
    assert format_ok(text, kind) == format_ok_regex(text, kind)
    assert format_ok(text.strip(), kind) == format_ok_regex(text.strip(), kind)
