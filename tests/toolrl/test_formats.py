"""Dataset importers: detection, every format, our JSONL round trip, and error messages."""

from __future__ import annotations

import json

import pytest

from tests.shared_data import shared_path
from toolrl.formats import DatasetError, inspect_rows, load_rows, save_rows
from toolrl.formats.toolace import parse_bracket_calls
from toolrl.prompt import render_target
from toolrl.rewards import score

from .conftest import BFCL, HAMMER_JSON, SFT_JSON, TEST_PARQUET

XLAM_RECORD = {
    "id": 7,
    "query": "Where is Paris?",
    "tools": json.dumps(
        [
            {
                "name": "geo",
                "description": "Locate a city.",
                "parameters": {"city": {"description": "City name", "type": "str", "default": ""}},
            }
        ]
    ),
    "answers": json.dumps([{"name": "geo", "arguments": {"city": "Paris"}}]),
}
TOOLACE_RECORD = {
    "system": 'You can call: [{"name": "Get Weather", "description": "Weather now", '
    '"parameters": {"type": "dict", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, '
    '"required": ["city"]}}]. Answer in the bracket format.',
    "conversations": [
        {"from": "user", "value": "Weather in Paris for 2 days?"},
        {"from": "assistant", "value": '[Get Weather(city="Paris", days=2)]'},
        {"from": "tool", "value": '[{"name": "Get Weather", "results": {"temp": 20}}]'},
        {"from": "assistant", "value": "It is 20 degrees."},
    ],
}


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.parametrize(
    ("parts", "source"),
    [
        (SFT_JSON, "toolrl-raw"),
        (TEST_PARQUET, "toolrl-parquet"),
        (HAMMER_JSON, "hammer"),
        ((*BFCL, "BFCL_v4_parallel.json"), "bfcl"),
    ],
)
def test_auto_detection_of_the_released_formats(parts, source):
    rows = load_rows(shared_path(*parts))
    assert rows and {r.source for r in rows} == {source}


def test_auto_detection_of_every_format(tmp_path):
    cases = {
        write_jsonl(tmp_path / "x.jsonl", [XLAM_RECORD]): "xlam",
        write_jsonl(tmp_path / "t.jsonl", [TOOLACE_RECORD]): "toolace",
    }
    for path, source in cases.items():
        rows = load_rows(path)
        assert rows and {r.source for r in rows} == {source}, path


def test_xlam_record(tmp_path):
    (row,) = load_rows(write_jsonl(tmp_path / "x.jsonl", [XLAM_RECORD]))
    assert row.id == "7" and row.history[0].content == "Where is Paris?"
    assert row.tools[0].schema_style == "toolrl"
    assert row.target.calls[0].parameters == {"city": "Paris"}


def test_toolace_dialogue_becomes_one_row_per_assistant_turn(tmp_path):
    rows = load_rows(write_jsonl(tmp_path / "t.jsonl", [TOOLACE_RECORD]))
    assert [r.id for r in rows] == ["t-0-1", "t-0-3"]
    assert rows[0].target.calls[0].parameters == {"city": "Paris", "days": 2}
    assert rows[0].tools[0].parameters["type"] == "object"  # BFCL-style "dict" converted
    assert [t.role for t in rows[1].history] == ["user", "assistant", "observation"]
    assert rows[1].target.response == "It is 20 degrees."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[A(x=1)]", [{"name": "A", "parameters": {"x": 1}}]),  # one call
        (
            "[A(s='a, b'), B()]",
            [{"name": "A", "parameters": {"s": "a, b"}}, {"name": "B", "parameters": {}}],
        ),  # comma in a string
        (
            "[A(l=[1, 2], d={'k': True})]",
            [{"name": "A", "parameters": {"l": [1, 2], "d": {"k": True}}}],
        ),  # nested values
        ("Plain answer.", None),  # not a call list
    ],
)
def test_toolace_bracket_calls(text, expected):
    assert parse_bracket_calls(text) == expected


def test_bfcl_joins_possible_answers_and_converts_types(bfcl_dir):
    rows = load_rows(bfcl_dir / "BFCL_v4_parallel_multiple.json")
    first = rows[0]
    assert [c.name for c in first.target.calls] == [
        "math_toolkit.sum_of_multiples",
        "math_toolkit.product_of_primes",
    ]
    assert first.target.calls[0].parameters == {
        "lower_limit": 1,
        "upper_limit": 1000,
        "multiples": [3, 5],
    }
    assert first.meta["bfcl_ground_truth"][1] == {"math_toolkit.product_of_primes": {"count": [5]}}
    assert all(t.parameters["type"] == "object" for r in rows for t in r.tools)


def test_bfcl_irrelevance_has_response_only_targets(bfcl_dir):
    rows = load_rows(bfcl_dir / "BFCL_v4_irrelevance.json")
    assert all(not r.target.calls and r.target.response == "" for r in rows)
    assert (
        score("<think> no tool fits </think>\n<response> Sorry. </response>", rows[0].target).total
        == 1.0
    )


def test_hammer_sample_including_irrelevance(hammer_path):
    rows = load_rows(hammer_path)
    assert len(rows) == 10
    assert sum(1 for r in rows if not r.target.calls) == 2


def test_our_jsonl_round_trip(tmp_path, parquet_path):
    rows = load_rows(parquet_path)
    path = tmp_path / "rows.jsonl"
    assert save_rows(rows, path) == 80
    again = load_rows(path)
    assert again == rows
    assert [render_target(r.target) for r in again] == [render_target(r.target) for r in rows]


def test_save_rows_leaves_nothing_half_written(tmp_path, parquet_path):
    rows = load_rows(parquet_path)[:3]
    path = tmp_path / "out.jsonl"
    save_rows(rows, path)
    before = path.read_text()

    def broken():
        yield rows[0]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_rows(broken(), path)
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # (file lines, expected problem strings with {path})
        (
            [json.dumps(XLAM_RECORD), "{not json"],
            ["{path}:2: <json>: not valid JSON"],
        ),  # bad JSON line
        (
            [json.dumps({**XLAM_RECORD, "answers": "[{"})],
            ["{path}:1: answers: not valid JSON"],
        ),  # bad nested JSON
        (
            [json.dumps({**XLAM_RECORD, "query": 3})],
            ["{path}:1: query: missing or not a string"],
        ),  # wrong type
        (
            ["", json.dumps({**XLAM_RECORD, "tools": [{"description": "no name"}]})],
            ["{path}:2: tools[0]: a tool needs a string 'name'"],
        ),  # missing name
        (
            [
                json.dumps(
                    {**XLAM_RECORD, "tools": [{"name": "geo", "parameters": {"city": "a string"}}]}
                )
            ],
            ["{path}:1: tools[0].parameters: city: 'a string' is not of type 'object'"],
        ),  # jsonschema
        (
            [json.dumps(XLAM_RECORD), json.dumps(XLAM_RECORD)],
            ["{path}:2: id: the same id as the row on line 1"],
        ),  # duplicate id
    ],
)
def test_errors_name_file_line_and_field(tmp_path, lines, expected):
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as info:
        load_rows(path, format="xlam")
    messages = [str(p) for p in info.value.problems]
    for want in expected:
        assert any(m.startswith(want.format(path=path)) for m in messages), messages


def test_json_array_errors_point_at_the_record_line(tmp_path, sft_path):
    path = tmp_path / "raw.json"
    records = json.loads(sft_path.read_text())[:2]
    records[1]["output"] = "no think tags"
    path.write_text(json.dumps(records, indent=1))
    with pytest.raises(DatasetError) as info:
        load_rows(path)
    (problem,) = info.value.problems
    line = path.read_text().splitlines()[problem.line - 1]
    assert line.strip() == "{" and problem.line > 2
    assert str(problem).endswith("output: must start with '<think> ... </think>' and a newline")


def test_jsonschema_tool_schemas_are_checked(tmp_path):
    record = json.loads(json.dumps(TOOLACE_RECORD))
    record["system"] = record["system"].replace('"integer"', '"int64"')
    with pytest.raises(
        DatasetError,
        match=r"t\.jsonl:1: tools\[0\]\.parameters\.properties\.days\.type: 'int64' is not a JSON Schema type",
    ):
        load_rows(write_jsonl(tmp_path / "t.jsonl", [record]))


def test_released_data_quirks_are_warnings_not_errors(sft_path):
    rows, problems = inspect_rows(sft_path)
    assert len(rows) == 400
    assert problems and all(p.severity == "warning" for p in problems)
    assert any("'LastName varchar' is not one of the row's tools" in str(p) for p in problems)


def test_unknown_format_and_missing_file(tmp_path):
    assert "no such file" in str(inspect_rows(tmp_path / "nope.json")[1][0])
    path = write_jsonl(tmp_path / "odd.jsonl", [{"hello": 1}])
    assert "cannot tell the format" in inspect_rows(path)[1][0].message
