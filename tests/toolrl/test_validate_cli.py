"""`toolrl validate` on files nobody prepared for it: tool sets, gzip, missing files, statistics."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from toolrl.cli import main

ROWS = [
    {"query": "Weather in Paris?", "answers": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
    {"query": "Paris and Rome?", "answers": [
        {"name": "get_weather", "arguments": {"city": "Paris"}},
        {"name": "get_weather", "arguments": {"city": "Rome"}}]},
    {"query": "A joke?", "answers": []},
]  # fmt: skip
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def test_a_missing_file_has_no_line_zero(tmp_path, capsys):
    path = tmp_path / "nope.jsonl"
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: <file>: no such file" in err and ":0:" not in err


def test_gzip_with_a_tool_set_and_the_statistics(tmp_path, capsys):
    data = tmp_path / "qa.jsonl.gz"
    data.write_bytes(
        gzip.compress(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\r\n" for r in ROWS).encode())
    )
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    assert main(["validate", str(data), "--tools", str(tools), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 3 and summary["tools_per_row"]["mean"] == 1
    assert summary["calls_per_row"]["histogram"] == [[0, 1], [1, 1], [2, 1]]
    assert summary["parallel_call_share"] == 1 / 3 and summary["response_only_share"] == 1 / 3


def test_a_call_the_tool_set_rejects_fails_the_file(tmp_path, capsys):
    data = tmp_path / "qa.jsonl"
    data.write_text(
        json.dumps({"query": "q", "answers": [{"name": "get_weather", "arguments": {"city": 7}}]})
    )
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    assert main(["validate", str(data), "--tools", str(tools)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{data}:1: target.calls[0].parameters.city: get_weather: 7 is not of type 'string'" in err
    )


def test_a_broken_tool_set_names_the_tool_and_field(tmp_path, capsys):
    data = tmp_path / "qa.jsonl"
    data.write_text(json.dumps(ROWS[0]))
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"name": "get_weather", "parameters": {"type": "objet"}}]))
    assert main(["validate", str(data), "--tools", str(tools)]) == 1
    assert (
        f"{tools}:1: get_weather.parameters.type: 'objet' is not a JSON Schema type"
        in capsys.readouterr().err
    )


@pytest.mark.slow  # builds the tiny model's tokenizer (once per session)
def test_prompt_tokens_with_a_tokenizer_through_a_subprocess(tmp_path, tiny_model_cache):
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps(TOOLS))
    done = subprocess.run(
        [sys.executable, "-m", "toolrl.cli", "validate", str(data), "--tools", str(tools),
         "--tokenizer", "tiny:fast", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    tokens = json.loads(done.stdout)["prompt_tokens"]
    assert tokens["measured_rows"] == 3 and tokens["sampled"] is False
    assert 100 < tokens["min"] <= tokens["max"] and tokens["tokenizer"] == "tiny:fast"
