"""`check_config` names each problem by its field; `explain` shows what the reward saw."""

from __future__ import annotations

import pytest

from toolrl.rewards import RewardConfig, check_config, explain, score
from toolrl.rewards.config import PRESETS

GT = (
    '<think> t </think>\n<tool_call>\n{"name": "A", "parameters": {"x": "1", "y": 2}}\n'
    '{"name": "B", "parameters": {}}\n</tool_call>'
)


@pytest.mark.parametrize(
    ("data", "path", "fragment"),
    [
        # a schedule missing a parameter: reported on the value, not twice (no "number" branch)
        ({"format": {"weight": {"kind": "linear", "start": 1}}}, "format.weight", "needs end"),
        # a word where a number belongs
        ({"format": {"weight": "abc"}}, "format.weight", "enter a number"),
        # min above max: on the component's max
        ({"correctness": {"min": 3, "max": 1}}, "correctness.max", "must not exceed"),
        # an unknown key, at the top and inside a schedule
        ({"bogus": 1}, "bogus", "unknown setting"),
        ({"format": {"min": {"kind": "constant", "value": 1, "foo": 2}}}, "format.min.foo", "unknown"),
        # a choice outside the list
        ({"correctness": {"granularity": "x"}}, "correctness.granularity", "original"),
        ({"correctness": {"matching": "best"}}, "correctness.matching", "greedy"),
        ({"format": {"weight": {"kind": "zzz"}}}, "format.weight.kind", "constant"),
        # unsorted piecewise points
        ({"length": {"target_words": {"kind": "piecewise", "points": [[1, 2], [0, 1]]}}},
         "length.target_words", "sorted"),
        # a step schedule with a word for its switch point
        ({"format": {"max": {"kind": "step", "at": "x", "before": 1, "after": 2}}},
         "format.max.at", "enter a number"),
        # not a mapping at all, a component that is not a mapping, an unknown preset
        ([1, 2], "configuration", "mapping"),
        ({"format": 5}, "format", "FormatConfig"),
        ({"preset": "nope"}, "preset", "unknown reward preset"),
        ({"preset": 3}, "preset", "name of a preset"),
        ({"correctness": {"normalize": {"case": "maybe"}}}, "correctness.normalize.case", "true or false"),
        # numbers that are not finite
        ({"format": {"weight": float("inf")}}, "format.weight", "finite"),
        ({"format": {"max": {"kind": "step", "at": 1, "before": 0, "after": float("nan")}}},
         "format.max.after", "finite"),
    ],
)  # fmt: skip
def test_check_config_names_the_field(data, path, fragment):
    cfg, problems = check_config(data)
    assert cfg is None
    assert list(problems) == [path], problems
    assert fragment in " ".join(problems[path])


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_checks_clean_and_round_trips(name):
    dumped = RewardConfig.preset(name).model_dump(mode="json")
    cfg, problems = check_config(dumped)
    assert problems == {} and cfg == RewardConfig.preset(name)


def test_explain_pairs_gold_and_predicted_calls():
    completion = (
        '<think> a </think>\n<tool_call>\n{"name": "A", "parameters": {"x": "1", "z": 3}}\n'
        '{"name": "C", "parameters": {}}\n</tool_call>'
    )
    out = explain(completion, GT)
    assert out["parsed"]["error"] is None and out["parsed"]["thought"] == "a"
    matched, gold_only, predicted_only = out["pairs"]
    assert (matched["gold_index"], matched["predicted_index"], matched["name"]) == (0, 0, True)
    assert matched["keys"] == [("x", True), ("y", False), ("z", False)]
    assert matched["values"] == [("x", True), ("y", False)]
    assert gold_only["gold"]["name"] == "B" and gold_only["predicted"] is None
    assert predicted_only["predicted"]["name"] == "C" and predicted_only["gold"] is None
    # The numbers are the reward's own.
    assert out["total"] == score(completion, GT).total
    assert [c["name"] for c in out["components"]] == ["format", "correctness"]


def test_explain_a_broken_completion_and_a_step():
    out = explain('<think> a </think>\n<tool_call>\n{"name": \n</tool_call>', GT)
    assert out["parsed"]["error"] == "invalid_json" and out["parsed"]["calls"] is None
    assert [p["predicted"] for p in out["pairs"]] == [None, None]
    cfg = RewardConfig.preset("two-stage")
    early = explain(GT, GT, cfg, step=0, max_steps=100)
    late = explain(GT, GT, cfg, step=50, max_steps=100)
    assert (early["total"], late["total"]) == (2.0, 3.5)
    assert late["components"][0]["max"] == 0.5


def test_explain_uses_the_value_normalisations():
    cfg = RewardConfig.from_dict({"correctness": {"normalize": {"case": True}}})
    gt = (
        '<think> t </think>\n<tool_call>\n{"name": "A", "parameters": {"c": "Paris"}}\n</tool_call>'
    )
    pd = (
        '<think> t </think>\n<tool_call>\n{"name": "A", "parameters": {"c": "PARIS"}}\n</tool_call>'
    )
    assert explain(pd, gt, cfg)["pairs"][0]["values"] == [("c", True)]
    assert explain(pd, gt)["pairs"][0]["values"] == [("c", False)]


def test_the_cli_prints_the_same_explanation(tmp_path, capsys, monkeypatch):
    import io
    import json

    from toolrl.cli import main

    gt = tmp_path / "gt.txt"
    gt.write_text(GT)
    completion = GT.replace('"y": 2', '"y": 3')
    monkeypatch.setattr("sys.stdin", io.StringIO(completion))
    args = ["reward-explain", "--ground-truth", str(gt), "--completion", "-"]
    assert main([*args, "--reward", "two-stage", "--step", "50", "--max-steps", "100"]) == 0
    text = capsys.readouterr().out
    assert "A <- A: name match; keys x+ y+; values x+ y-" in text
    assert "B <- B: name match" in text and "total: 2.3" in text
    monkeypatch.setattr("sys.stdin", io.StringIO(completion))
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == explain(completion, GT)["total"]
    # Bad arguments: exit 2 with a message, no traceback.
    assert main(["reward-explain", "--ground-truth", "/no/such", "--completion", str(gt)]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = tmp_path / "r.yaml"
    bad.write_text("format: {weight: heavy}\n")
    assert (
        main(
            [
                "reward-explain",
                "--ground-truth",
                str(gt),
                "--completion",
                str(gt),
                "--reward",
                str(bad),
            ]
        )
        == 2
    )


def test_key_lines_finds_fields_and_survives_aliases():
    from toolrl.configfile import key_lines, line_of

    text = "preset: two-stage\nformat:\n  weight:\n    kind: linear\n    start: 1\n"
    lines = key_lines(text)
    assert lines["format.weight.start"] == 5 and line_of(lines, "format.weight.end") == 3
    assert line_of(lines, "bogus") is None and key_lines("a: [") == {}
    assert key_lines("a: &x [*x]\n") == {"a": 1, "a.0": 1}  # a cycle is read once
    bomb = "a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    assert len(key_lines(bomb)) < 200  # 9**8 paths if aliases were expanded


def test_schedule_points_keep_every_corner():
    from toolrl.rewards import schedule_points

    cfg = RewardConfig.from_dict(
        {
            "format": {"weight": {"kind": "piecewise", "by": "step", "points": [[0, 1], [37, 5], [41, 0]]}},
            "correctness": {"max": {"kind": "linear", "start": 1, "end": 3, "begin": 0.2, "finish": 0.6}},
        }
    )  # fmt: skip
    points = schedule_points(cfg, max_steps=1000, n=3)  # a grid of 0, 500, 1000 alone misses them
    by_step = {p["step"]: p for p in points}
    assert by_step[37]["format.weight"] == 5 and by_step[41]["format.weight"] == 0
    assert by_step[200]["correctness.max"] == 1 and by_step[600]["correctness.max"] == 3
