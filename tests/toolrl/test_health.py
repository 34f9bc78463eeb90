"""Health hints, table-driven: each case seeds logged metrics, evaluations or rollout stats."""

from __future__ import annotations

import pytest

from toolrl.rewards import RewardConfig
from toolrl.training.health import ComponentStats, component_bounds, component_stats, health_hints


def rows(n=10, start=1, **values):
    return [(s, dict(values)) for s in range(start, start + n)]


def rising(n=30, start=1, lo=0.5, hi=1.5):
    return [
        (s, {"reward": lo + (hi - lo) * i / (n - 1)}) for i, s in enumerate(range(start, start + n))
    ]


SAT = ComponentStats(share_at_max=0.97, mean_fraction=0.98, low_cut=0.5)
LOW = ComponentStats(share_at_max=0.0, mean_fraction=0.2, low_cut=0.0)
MID = ComponentStats(share_at_max=0.3, mean_fraction=0.7, low_cut=0.0)

CASES = [
    # (id, kwargs, expected kinds, expected filters of the first hint)
    ("healthy", {"metrics": rows(frac_reward_zero_std=0.1, reward=1.0)}, [], None),
    # most groups have equal rewards: nothing to learn from them
    (
        "equal_groups",
        {"metrics": rows(frac_reward_zero_std=0.8)},
        ["equal_groups"],
        {"step": 10, "equal_groups": 1},
    ),
    # exactly at the threshold counts
    ("equal_groups_edge", {"metrics": rows(frac_reward_zero_std=0.5)}, ["equal_groups"], None),
    # high long ago, low in the last 10 steps: no hint
    (
        "equal_groups_past",
        {"metrics": rows(frac_reward_zero_std=1.0) + rows(start=11, frac_reward_zero_std=0.0)},
        [],
        None,
    ),
    # many completions cut at the maximum length
    (
        "truncated",
        {"metrics": rows(**{"completions/clipped_ratio": 0.4})},
        ["truncated"],
        {"truncated": 1},
    ),
    ("few_truncated", {"metrics": rows(**{"completions/clipped_ratio": 0.1})}, [], None),
    # format saturated while correctness stays low
    (
        "saturated",
        {"metrics": rows(), "components": {"format": SAT, "correctness": LOW}, "rollout_step": 9},
        ["saturated"],
        {"step": 9, "component": "correctness", "max": 0.0},
    ),
    # saturated but the other one is doing fine: no hint
    (
        "saturated_other_fine",
        {"metrics": rows(), "components": {"format": SAT, "correctness": MID}},
        [],
        None,
    ),
    # both low: nothing saturated, no hint
    ("both_low", {"metrics": rows(), "components": {"format": LOW, "correctness": LOW}}, [], None),
    # reward rises, held-out accuracy flat over the last 3 evaluations
    (
        "reward_not_task",
        {"metrics": rising(), "evals": [(10, 0.25), (20, 0.25), (30, 0.26)]},
        ["reward_not_task"],
        {"step": 30},
    ),
    # accuracy moves with the reward: fine
    ("task_learned", {"metrics": rising(), "evals": [(10, 0.2), (20, 0.3), (30, 0.4)]}, [], None),
    # too few evaluations to say
    ("two_evals", {"metrics": rising(), "evals": [(20, 0.25), (30, 0.25)]}, [], None),
    # flat accuracy, flat reward: no hint
    (
        "all_flat",
        {"metrics": rows(30, reward=1.0), "evals": [(10, 0.25), (20, 0.25), (30, 0.25)]},
        [],
        None,
    ),
    # everything at once
    (
        "all",
        {
            "metrics": [
                (s, {**v, "frac_reward_zero_std": 0.9, "completions/clipped_ratio": 0.5})
                for s, v in rising()
            ],
            "evals": [(10, 0.1), (20, 0.1), (30, 0.1)],
            "components": {"format": SAT, "correctness": LOW},
        },
        ["equal_groups", "truncated", "saturated", "reward_not_task"],
        None,
    ),
    # nothing logged yet
    ("empty", {"metrics": []}, [], None),
    # two steps are no trend yet; three are
    ("two_steps", {"metrics": rows(2, frac_reward_zero_std=1.0)}, [], None),
    ("three_steps", {"metrics": rows(3, frac_reward_zero_std=1.0)}, ["equal_groups"], None),
]


@pytest.mark.parametrize(
    ("kwargs", "kinds", "filters"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_health_hints(kwargs, kinds, filters):
    hints = health_hints(**kwargs)
    assert [h.kind for h in hints] == kinds
    if filters is not None:
        assert hints[0].filters == filters
    for hint in hints:
        assert hint.message and "None" not in hint.message


def test_component_stats_against_the_configured_range():
    bounds = component_bounds(RewardConfig.preset("toolrl"), 5, 10)
    assert bounds == {"format": (0.0, 1.0), "correctness": (-3.0, 3.0)}
    rollouts = [{"format": 1.0, "correctness": -2.0}] * 19 + [{"format": 0.0, "correctness": 3.0}]
    stats = component_stats(rollouts, bounds)
    assert stats["format"].share_at_max == pytest.approx(0.95)
    assert stats["correctness"].mean_fraction == pytest.approx((-1.75 + 3) / 6)
    assert [h.kind for h in health_hints(metrics=rows(), components=stats)] == ["saturated"]
