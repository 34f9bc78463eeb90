"""toolrl.comparison: which way is better, configuration rows, legends, downsampling."""

from __future__ import annotations

import doctest

import pytest

from toolrl import comparison
from toolrl.comparison import (
    best_index,
    config_rows,
    downsample,
    flatten_config,
    metric_direction,
    run_labels,
)

TINY = {"preset": "cpu-tiny"}


def test_doctests():
    assert doctest.testmod(comparison).failed == 0


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("reward", "higher"),  # the total GRPO reward
        ("rewards/correctness/mean", "higher"),  # a component's mean
        ("rewards/correctness/std", None),  # spread is not better or worse
        ("reward_std", None),
        ("eval/exact_call_accuracy", "higher"),
        ("eval/seconds", "lower"),  # evaluation time
        ("eval/rows", None),  # a count, not a score
        ("correctness/name", "higher"),  # a correctness sub-score
        ("loss", "lower"),
        ("kl", "lower"),
        ("entropy", None),  # too low collapses, too high is noise
        ("completions/mean_length", None),
        ("completions/clipped_ratio", "lower"),  # truncated completions
        ("errors/invalid_json", "lower"),
        ("rollouts/exact", "higher"),
        ("learning_rate", None),
        ("weights/format", None),
    ],
)
def test_metric_direction(name, direction):
    assert metric_direction(name) == direction


def test_best_index_ties_missing_and_no_direction():
    assert best_index([1.0, 3.0, 3.0, None], "higher") == [1, 2]
    assert best_index([1.0, float("nan"), 0.5], "lower") == [2]
    assert best_index([1.0, 2.0], None) == []
    assert best_index([None, None], "higher") == []


def test_flatten_resolves_the_reward_preset_into_components():
    flat = flatten_config({"preset": "cpu-tiny", "reward": "dynamic"})
    assert flat["reward.name"] == "dynamic"
    assert flat["reward.format.min"] == "linear -2 → -1 by progress 0–end"
    assert flat["reward.correctness.matching"] == "greedy"
    assert flat["grpo.learning_rate"] == "3e-4"
    assert not any(key.startswith("reward.format.min.") for key in flat)  # one cell per schedule


def test_flatten_applies_reward_weights():
    cfg = {
        "preset": "cpu-tiny",
        "reward": "toolrl",
        "reward_weights": {"format": 2, "correctness": 1},
    }
    flat = flatten_config(cfg)
    assert flat["reward.format.weight"] == "2"


def test_flatten_keeps_a_configuration_the_library_refuses():
    flat = flatten_config({"grpo": {"learning_rate": "fast"}, "reward": "no-such"})
    assert flat == {"grpo.learning_rate": "fast", "reward.name": "no-such"}


def test_config_rows_union_and_missing_fields():
    rows = config_rows([{"a": "1", "b": "2"}, {"a": "1", "c": "3"}])
    assert rows == [("a", ["1", "1"], False), ("b", ["2", "—"], True), ("c", ["—", "3"], True)]


def test_labels_name_what_differs_reward_first():
    configs = [
        flatten_config({**TINY, "reward": "two-stage", "grpo": {"learning_rate": 1e-4}}),
        flatten_config({**TINY, "reward": "toolrl", "grpo": {"learning_rate": 3e-4}}),
    ]
    # The reward presets differ in many component fields; the preset name stands for them.
    assert run_labels(configs) == ["reward=two-stage, lr=1e-4", "reward=toolrl, lr=3e-4"]


def test_labels_cap_and_disambiguate():
    configs = [
        flatten_config({"seed": 1, "eval_rows": 5, "grpo": {"temperature": 0.7, "top_p": 0.9}}),
        flatten_config({"seed": 2, "eval_rows": 6, "grpo": {"temperature": 0.9, "top_p": 1.0}}),
    ]
    labels = run_labels(configs, most=2)
    assert labels[0].endswith(", …") and labels[0].count("=") == 2
    assert run_labels([{"a.x": "1", "b.x": "1"}, {"a.x": "2", "b.x": "3"}]) == [
        "a.x=1, b.x=1",
        "a.x=2, b.x=3",
    ]


def test_labels_of_identical_runs_are_empty_and_run_names_ignored():
    configs = [flatten_config({"name": "a"}), flatten_config({"name": "b"})]
    assert run_labels(configs) == ["", ""]


def test_downsample_keeps_ends_and_extremes_within_budget():
    values = [0.0] * 10_000
    values[4321], values[8765] = 50.0, -50.0
    keep = downsample(values, 300)
    assert len(keep) <= 300 and keep[0] == 0 and keep[-1] == 9999
    assert 4321 in keep and 8765 in keep and keep == sorted(keep)


def test_downsample_skips_missing_values():
    keep = downsample([1.0, None, None, None, None, 2.0, None, 3.0], 4)
    assert keep[0] == 0 and keep[-1] == 7 and 1 not in keep
