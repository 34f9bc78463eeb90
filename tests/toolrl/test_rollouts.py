"""The training's scoring pass without a trainer: weighted values, one pass, rollout records."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from toolrl.rewards import RewardConfig, score
from toolrl.taxonomy import ANSWERED_INSTEAD_OF_CALLING, CORRECT
from toolrl.training.rollouts import RewardState, build_rollouts
from toolrl.training.trl_adapter import GenerationLogs

from .conftest import call, response_output, tool_output

GT = tool_output(call("A", x="1"))
# format weighted 0.5, and the length component on: three components, one scheduled range
CFG = RewardConfig.from_dict(
    {
        "preset": "length",
        "format": {"weight": 0.5},
        "correctness": {"max": {"kind": "linear", "start": 2.0, "end": 4.0}},
    }
)
COMPLETIONS = [GT, response_output(), tool_output("{")]


@pytest.fixture
def scored():
    state = RewardState(CFG, eos_token_id=0)
    extra: dict[str, list] = {}
    metrics: dict[str, float] = {}
    kwargs = {
        "ground_truth": [GT] * 3,
        "prompt_id": ["p1"] * 3,
        "completion_ids": [[5, 0], [5, 0], [5, 6]],  # the last one was cut off (no EOS)
        "trainer_state": SimpleNamespace(global_step=4, max_steps=10),
        "log_extra": extra.__setitem__,
        "log_metric": metrics.__setitem__,
    }
    values = [f(completions=COMPLETIONS, **kwargs) for f in state.reward_funcs()]
    return state, values, extra, metrics


def test_each_function_returns_its_components_weighted_value_as_score_does(scored):
    state, values, _, _ = scored
    assert state.names == ["format", "correctness", "length"]
    expected = [score(c, GT, CFG, step=4, max_steps=10) for c in COMPLETIONS]
    assert values == [[b.components[n] for b in expected] for n in state.names]
    assert values[0][0] == 0.5  # format max 1.0, weighted 0.5
    assert values[1][0] == pytest.approx(2.8)  # correctness max at progress 0.4


def test_one_scoring_pass_per_batch(scored):
    state, _, _, _ = scored
    assert state.generation == 1 and state.generation_step == 5


def test_columns_and_metrics(scored):
    _, _, extra, metrics = scored
    assert extra["failure"] == [CORRECT, ANSWERED_INSTEAD_OF_CALLING, "format:invalid_json"]
    assert extra["truncated"] == [False, False, True]
    assert extra["exact"] == [True, False, False]
    assert metrics["weights/format"] == 0.5 and metrics["rollouts/exact"] == pytest.approx(1 / 3)


def test_rollout_records(scored):
    state, _, extra, _ = scored
    logs = GenerationLogs(completions=COMPLETIONS, advantages=[1.0, -0.5, -0.5], extra=extra)
    rollouts = build_rollouts(logs, state, num_generations=3)
    expected = [score(c, GT, CFG, step=4, max_steps=10) for c in COMPLETIONS]
    for r, b in zip(rollouts, expected, strict=True):
        assert (r["rewards"], r["total"]) == (b.components, b.total)
        assert r["step"] == 5 and r["weights"] == {"format": 0.5, "correctness": 1.0, "length": 1.0}
    assert [r["failure"] for r in rollouts] == extra["failure"]
    assert rollouts[0]["calls"] == [{"name": "A", "parameters": {"x": "1"}}]
    assert [r["sample"] for r in rollouts] == [0, 1, 2] and rollouts[2]["advantage"] == -0.5


def test_each_group_carries_its_prompt_once(scored):
    # Two groups of 3 would need 6 completions; with groups of 1 each completion leads a group.
    state, _, extra, _ = scored
    prompts = [[{"role": "user", "content": f"q{i}"}] for i in range(3)]
    logs = GenerationLogs(COMPLETIONS, [1.0, -0.5, -0.5], extra, prompts=prompts)
    grouped = build_rollouts(logs, state, num_generations=3)
    assert grouped[0]["prompt"] == prompts[0]
    assert "prompt" not in grouped[1] and "prompt" not in grouped[2]
    singles = build_rollouts(logs, state, num_generations=1)
    assert [r["prompt"] for r in singles] == prompts
