"""Every preset of the paper's variants (§5.1-§5.3) on worked examples."""

from __future__ import annotations

import pytest

from toolrl.rewards import PRESETS, RewardConfig, length_reward, score

from .conftest import call, response_output, tool_output

A = call("A", x="1", y=2)
GT_A = tool_output(A)
GREEDY_GT = tool_output(call("A", a=1, b=5), call("A", a=1, b=2))
GREEDY_PRED = tool_output(call("A", a=1, b=2), call("A", a=9, b=5))


def corr(pred: str, gt: str, preset: str, step: float = 0, max_steps: float | None = 105) -> float:
    return score(pred, gt, RewardConfig.preset(preset), step, max_steps).components["correctness"]


def test_every_preset_named_in_the_issue_exists():
    assert set(PRESETS) == {
        "toolrl",
        "toolrl-optimal",
        "equal-max",
        "two-stage",
        "dynamic",
        "finegrained",
        "intermediate",
        "coarse",
        "length",
        "dynamic-length",
    }


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_scores_exact_and_failure(name):
    cfg = RewardConfig.preset(name)
    good = score(GT_A, GT_A, cfg, step=0, max_steps=105)
    bad = score(response_output(), GT_A, cfg, step=0, max_steps=105)
    assert good.total > bad.total
    assert list(good.components) == cfg.component_names()


CASES = [
    # (preset, prediction, ground truth, step, expected correctness)
    ("toolrl", GREEDY_PRED, GREEDY_GT, 0, 0.43),  # greedy: GT call 1 takes pred 1 (tie, first wins)
    ("toolrl-optimal", GREEDY_PRED, GREEDY_GT, 0, 2.14),  # optimal assignment: 6 of 7
    ("toolrl-optimal", tool_output(call("A", x="1", y=3)), GT_A, 0, 1.5),  # unique names: as greedy
    ("equal-max", GT_A, GT_A, 0, 1.0),  # exact: top of [-1, 1]
    ("equal-max", tool_output(call("A", x="1", y=3)), GT_A, 0, 0.5),  # 2*3/4 - 1
    ("equal-max", response_output(), GT_A, 0, -1.0),  # failure: bottom of [-1, 1]
    ("two-stage", GT_A, GT_A, 29, 1.0),  # before step 30: correctness [-1, 1]
    ("two-stage", GT_A, GT_A, 30, 3.0),  # from step 30: back to [-3, 3]
    ("dynamic", GT_A, GT_A, 0, 2.0),  # p = 0: correctness [-2, 2]
    ("dynamic", GT_A, GT_A, 105, 3.0),  # p = 1: correctness [-3, 3]
    ("dynamic", response_output(), GT_A, 105, -3.0),  # p = 1: minimum -3
    (
        "finegrained",
        tool_output(call("A", x="1", y=2, z=0)),
        GT_A,
        0,
        1.5,
    ),  # keys all-or-nothing: 1 + 0 + 2 of 4
    (
        "finegrained",
        tool_output(A, call("B", q="hi")),
        GT_A,
        0,
        1.5,
    ),  # names all-or-nothing: 0 + 1 + 2 of 4
    (
        "finegrained",
        tool_output(call("A", y=2, x="1")),
        tool_output(call("A", x="1", y=2), call("B")),
        0,
        -0.6,
    ),  # names 0, reordered keys 0, values 2 of 5
    (
        "intermediate",
        tool_output(call("A", x="1", y=3)),
        GT_A,
        0,
        0.0,
    ),  # not identical: r_name 1 of S_max 2
    (
        "intermediate",
        tool_output(A, call("B", q="hi")),
        tool_output(A, call("B", q="no")),
        0,
        1.0,
    ),  # A identical: 1+1 of 3
    (
        "coarse",
        tool_output(call("A", x="1", y=3)),
        GT_A,
        0,
        -3.0,
    ),  # anything but equality is the minimum
    ("coarse", GT_A, GT_A, 0, 3.0),  # equality is the maximum
]


@pytest.mark.parametrize(("preset", "pred", "gt", "step", "expected"), CASES)
def test_preset_correctness(preset, pred, gt, step, expected):
    assert corr(pred, gt, preset, step) == pytest.approx(expected, abs=0.005)


def test_two_stage_totals():
    cfg = RewardConfig.preset("two-stage")
    # Exact answer: 1 + 1 before step 30; 0.5 + 3 from step 30 (the code's MAX1STEP30MAX3).
    assert score(GT_A, GT_A, cfg, step=29).total == 2.0
    assert score(GT_A, GT_A, cfg, step=30).total == 3.5


def test_dynamic_follows_the_paper_formula():
    cfg = RewardConfig.preset("dynamic")
    # p = 0.5: format [-1.5, 1.5], correctness [-2.5, 2.5].
    good = score(GT_A, GT_A, cfg, step=50, max_steps=100)
    bad = score(response_output(), GT_A, cfg, step=50, max_steps=100)
    assert good.components == {"format": 1.5, "correctness": 2.5}
    assert bad.components == {"format": -1.5, "correctness": -2.5}
    # Exact answers always total 4 (2 - p + 2 + p); the paper's p is step / max_steps.
    assert score(GT_A, GT_A, cfg, step=1, max_steps=105).total == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("words", "step", "preset", "expected"),
    [
        (256, 0, "length", 0.5),  # 256 / 512
        (600, 0, "length", 1.0),  # capped at 1
        (100, 0, "length", 0.2),  # round(0.195, 2)
        (512, 0, "dynamic-length", 1.0),  # p = 0: target 512
        (512, 105, "dynamic-length", 0.5),  # p = 1: target 1024
    ],
)
def test_length_presets(words, step, preset, expected):
    pred = tool_output(A, thought=" ".join(["w"] * words))
    b = score(pred, GT_A, RewardConfig.preset(preset), step=step, max_steps=105)
    assert b.components["length"] == pytest.approx(expected)
    assert b.total == pytest.approx(4.0 + expected)
    assert b.details["think_words"] == words


def test_length_is_zero_without_think_tags_and_uses_the_last_thought():
    assert length_reward("no tags at all") == 0.0
    assert length_reward("<think> a b c d </think> <think> " + "w " * 512 + "</think>") == 1.0
