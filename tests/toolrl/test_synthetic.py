"""The synthetic tool-use task: seeded, typed, every value copyable from the dialogue."""

from __future__ import annotations

import json
from collections import Counter

from toolrl.prompt import render_messages, render_target
from toolrl.rewards import score
from toolrl.synthetic import TOOLS, make_rows, make_splits


def test_seeded_and_any_size():
    assert make_rows(50, seed=3) == make_rows(50, seed=3)
    assert make_rows(50, seed=3) != make_rows(50, seed=4)
    assert len(make_rows(0)) == 0 and len(make_rows(1234)) == 1234


def test_row_kinds_and_shapes():
    rows = make_rows(400, seed=1)
    kinds = Counter(r.meta["kind"] for r in rows)
    assert set(kinds) == {"simple", "single", "parallel", "irrelevant", "followup"}
    for r in rows:
        offered = {t.name for t in r.tools}
        assert {c.name for c in r.target.calls} <= offered
        if r.meta["kind"] == "parallel":
            assert 2 <= len(r.target.calls) <= 3
        if r.meta["kind"] == "irrelevant":
            assert not r.target.calls and r.target.response
        if r.meta["kind"] == "followup":
            assert any(t.role == "observation" for t in r.history)
            assert "<obs>" in render_messages(r)[1]["content"]


def test_values_are_typed_and_appear_in_the_dialogue():
    types = set()
    for r in make_rows(300, seed=2):
        dialogue = render_messages(r)[1]["content"]
        for call in r.target.calls:
            for value in call.parameters.values():
                types.add(type(value).__name__)
                for item in value if isinstance(value, list) else [value]:
                    assert str(item) in dialogue, (item, dialogue)
    assert {"str", "int", "float", "list"} <= types


def test_targets_score_full_marks_against_themselves():
    for r in make_rows(100, seed=5):
        gt = render_target(r.target)
        assert score(gt, gt).total == (4.0 if r.target.calls else 1.0)


def test_tool_specs_are_json_schema_with_typed_params():
    kinds = {p.get("type") for t in TOOLS for p in t.spec.parameters["properties"].values()}
    assert {"string", "integer", "number", "array"} <= kinds
    assert any("enum" in p for t in TOOLS for p in t.spec.parameters["properties"].values())
    json.dumps([t.spec.model_dump() for t in TOOLS])


def test_splits_do_not_share_rows():
    train, val = make_splits(100, 50, seed=0)
    assert not {r.id for r in train} & {r.id for r in val}
