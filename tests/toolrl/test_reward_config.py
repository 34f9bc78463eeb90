"""Reward configuration: validation, files, round trips, schedules and their points."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from toolrl.rewards import (
    PRESETS,
    RewardConfig,
    Schedule,
    effective_ranges,
    effective_weights,
    schedule_points,
    score,
)

from .conftest import call, tool_output

GT = tool_output(call("A", x="1", y=2))


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_round_trip_through_model_dump_and_json(name):
    cfg = RewardConfig.preset(name)
    assert RewardConfig.model_validate(cfg.model_dump()) == cfg
    assert RewardConfig.model_validate_json(cfg.model_dump_json()) == cfg


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown reward preset 'nope'.*toolrl-optimal"):
        RewardConfig.preset("nope")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"correctness": {"min": 3, "max": -3}}, "correctness"),  # inverted range
        ({"correctness": {"granularity": "medium"}}, "correctness.granularity"),  # unknown choice
        ({"correctness": {"matching": "hungarian"}}, "correctness.matching"),  # unknown matcher
        ({"format": {"weight": "heavy"}}, "format.weight"),  # not a number or schedule
        (
            {"length": {"target_words": {"kind": "linear", "start": 1}}},
            "length.target_words",
        ),  # needs end
        ({"format": {"max": {"kind": "step", "at": 3}}}, "format.max"),  # needs before/after
        (
            {"correctness": {"normalize": {"case": True, "accents": True}}},
            "correctness.normalize.accents",
        ),  # unknown option
        ({"colour": "red"}, "colour"),  # unknown top-level field
    ],
)
def test_bad_configuration_names_the_field(data, field):
    with pytest.raises(ValidationError) as info:
        RewardConfig.model_validate(data)
    locations = [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]
    assert any(loc.startswith(field) for loc in locations), locations


def test_from_file_yaml_and_json_with_a_preset_base(tmp_path):
    yaml_path = tmp_path / "r.yaml"
    yaml_path.write_text(
        "preset: dynamic\nname: mine\ncorrectness:\n  matching: optimal\n"
        "  normalize: {case: true}\nformat:\n  weight: 0.5\n"
    )
    cfg = RewardConfig.from_file(yaml_path)
    assert cfg.name == "mine" and cfg.correctness.matching == "optimal"
    assert cfg.correctness.normalize.case and cfg.format.weight == 0.5
    assert isinstance(cfg.format.max, Schedule)  # kept from the dynamic preset
    json_path = tmp_path / "r.json"
    json_path.write_text(cfg.model_dump_json())
    assert RewardConfig.from_file(json_path) == cfg


def test_resolve_accepts_preset_file_or_config(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"correctness": {"min": -1, "max": 1}}))
    assert RewardConfig.resolve("coarse").name == "coarse"
    assert RewardConfig.resolve(str(path)).correctness.max == 1.0
    assert RewardConfig.resolve(None).name == "toolrl"


@pytest.mark.parametrize(
    ("schedule", "step", "max_steps", "expected"),
    [
        ({"kind": "constant", "value": 2}, 50, 100, 2.0),  # constant
        ({"kind": "linear", "start": 0, "end": 1}, 25, 100, 0.25),  # linear over progress
        (
            {"kind": "linear", "by": "step", "start": 0, "end": 1, "begin": 10, "finish": 20},
            15,
            100,
            0.5,
        ),  # over steps
        (
            {"kind": "linear", "by": "step", "start": 0, "end": 1, "begin": 10, "finish": 20},
            99,
            100,
            1.0,
        ),  # held after
        ({"kind": "cosine", "start": 0, "end": 2}, 50, 100, 1.0),  # cosine midpoint
        ({"kind": "cosine", "start": 0, "end": 2}, 25, 100, 1 - 2**-0.5),  # cosine quarter
        (
            {"kind": "step", "by": "step", "at": 30, "before": 1, "after": 0.5},
            29,
            105,
            1.0,
        ),  # before
        ({"kind": "step", "at": 0.5, "before": 1, "after": 0.5}, 50, 100, 0.5),  # at, by progress
        ({"kind": "piecewise", "points": [[0, 0], [0.5, 1], [1, 0]]}, 75, 100, 0.5),  # interpolated
        (
            {"kind": "piecewise", "by": "step", "points": [[10, 1], [20, 3]]},
            5,
            100,
            1.0,
        ),  # held before
    ],
)
def test_schedules(schedule, step, max_steps, expected):
    assert Schedule.model_validate(schedule).at_time(step, max_steps) == pytest.approx(expected)


def test_scheduled_weight_and_range_change_the_score():
    cfg = RewardConfig.model_validate(
        {
            "format": {"weight": {"kind": "linear", "start": 1, "end": 0}},
            "correctness": {
                "max": {"kind": "step", "by": "step", "at": 10, "before": 1, "after": 3}
            },
        }
    )
    assert effective_weights(cfg, 50, 100) == {"format": 0.5, "correctness": 1.0}
    assert effective_ranges(cfg, 5, 100)["correctness"] == (-3.0, 1.0)
    assert score(GT, GT, cfg, step=50, max_steps=100).components == {
        "format": 0.5,
        "correctness": 3.0,
    }


def test_schedule_points_for_plots():
    points = schedule_points(RewardConfig.preset("dynamic"), max_steps=100, n=3)
    assert [p["step"] for p in points] == [0, 50, 100]
    assert points[1]["format.max"] == 1.5 and points[2]["correctness.min"] == -3.0
    length = schedule_points(RewardConfig.preset("dynamic-length"), max_steps=10, n=2)
    assert [p["length.target_words"] for p in length] == [512.0, 1024.0]


def test_component_names_follow_what_is_enabled():
    assert RewardConfig.preset("toolrl").component_names() == ["format", "correctness"]
    cfg = RewardConfig.model_validate({"format": {"enabled": False}, "length": {"enabled": True}})
    assert cfg.component_names() == ["correctness", "length"]
    assert list(score(GT, GT, cfg).components) == ["correctness", "length"]


@pytest.mark.parametrize(
    ("normalize", "value", "expected"),
    [
        ({}, 1, 1.5),  # off by default: "1" != 1 (GT y=2 matched, x differs)
        ({"numeric_strings": True}, 1, 3.0),  # "1" == 1 once numbers are compared as numbers
        ({"case": True}, 1, 1.5),  # case folding does not touch numbers
    ],
)
def test_value_normalisations(normalize, value, expected):
    cfg = RewardConfig.model_validate({"correctness": {"normalize": normalize}})
    pred = tool_output(call("A", x=value, y=2))
    assert score(pred, GT, cfg).components["correctness"] == expected


def test_case_and_whitespace_normalisation():
    gt = tool_output(call("A", city="New York"))
    pred = tool_output(call("A", city="  new   york "))
    plain = RewardConfig.preset("toolrl")
    folded = RewardConfig.model_validate(
        {"correctness": {"normalize": {"case": True, "whitespace": True}}}
    )
    assert score(pred, gt, plain).components["correctness"] == 1.0  # 1 + 1 + 0 of 3
    assert score(pred, gt, folded).components["correctness"] == 3.0
