"""`toolrl validate`, `toolrl score` and `toolrl reward-preview` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from toolrl.cli import main


def test_validate_valid_file_prints_a_summary(parquet_path, capsys):
    assert main(["validate", str(parquet_path)]) == 0
    out = capsys.readouterr().out
    assert "valid, 80 rows" in out and "response-only:      11.2%" in out
    assert "calls per row:      mean 1.54" in out


def test_validate_json_summary(sft_path, capsys):
    assert main(["validate", str(sft_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 400 and summary["response_only_share"] == 54 / 400
    assert summary["warnings"] == 3


def test_validate_invalid_file_exits_1_with_path_line_field(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"query": "q", "tools": "[]", "answers": "[]"}\n{"query": 5, "tools": "[]", "answers": "[]"}\n'
    )
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:2: query: missing or not a string" in err


@pytest.mark.slow
def test_validate_through_a_subprocess(parquet_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolrl.cli",
            "validate",
            str(parquet_path),
            "--format",
            "toolrl-parquet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "valid, 80 rows" in done.stdout


def _gt_completions(tmp_path, parquet_path, by_id: bool):
    import pyarrow.parquet as pq

    records = pq.read_table(parquet_path).to_pylist()
    path = tmp_path / "completions.jsonl"
    with path.open("w") as fh:
        for i, r in enumerate(records):
            gt = r["reward_model"]["ground_truth"]
            fh.write(json.dumps({"id": f"test-{i}", "completion": gt} if by_id else gt) + "\n")
    return path


def test_score_ground_truths_against_themselves(tmp_path, parquet_path, capsys):
    path = _gt_completions(tmp_path, parquet_path, by_id=False)
    assert main(["score", "--data", str(parquet_path), "--completions", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["count"] == 80
    assert result["mean"]["total"] == (71 * 4.0 + 9 * 1.0) / 80
    assert {r["error"] for r in result["rows"]} == {None}


def test_score_by_id_with_a_preset_and_a_table(tmp_path, parquet_path, capsys):
    path = _gt_completions(tmp_path, parquet_path, by_id=True)
    with path.open("a") as fh:
        fh.write(
            json.dumps(
                {"id": "test-0", "completion": "<think> x </think>\n<response> no </response>"}
            )
            + "\n"
        )
    assert (
        main(
            [
                "score",
                "--data",
                str(parquet_path),
                "--completions",
                str(path),
                "--reward",
                "equal-max",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["id", "total", "format", "correctness", "error"]
    assert out[-2].split()[:2] == ["test-0", "-1.0000"] and out[-2].endswith("no_tool_block")
    assert out[-1].startswith("mean") and "(81 completions)" in out[-1]


def test_score_bad_completions_file_exits_1(tmp_path, parquet_path, capsys):
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "test-0", "completion": "x"}\n{"id": "nope", "completion": "x"}\n')
    assert main(["score", "--data", str(parquet_path), "--completions", str(path)]) == 1
    assert f"{path}:2: id: no row with id 'nope'" in capsys.readouterr().err


def test_score_bad_reward_exits_2(tmp_path, parquet_path, capsys):
    cfg = tmp_path / "r.yaml"
    cfg.write_text("correctness:\n  granularity: medium\n")
    path = _gt_completions(tmp_path, parquet_path, by_id=False)
    assert (
        main(
            ["score", "--data", str(parquet_path), "--completions", str(path), "--reward", str(cfg)]
        )
        == 2
    )
    assert "correctness.granularity" in capsys.readouterr().err
    assert (
        main(["score", "--data", str(parquet_path), "--completions", str(path), "--reward", "nope"])
        == 2
    )


def test_reward_preview_table_and_json(capsys):
    assert (
        main(["reward-preview", "--reward", "two-stage", "--max-steps", "105", "--points", "2"])
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:5] == ["step", "progress", "format.weight", "format.min", "format.max"]
    assert [line.split()[0] for line in lines[2:]] == ["0", "30", "105"]
    assert (
        main(
            [
                "reward-preview",
                "--reward",
                "dynamic",
                "--max-steps",
                "100",
                "--points",
                "3",
                "--json",
            ]
        )
        == 0
    )
    points = json.loads(capsys.readouterr().out)["points"]
    assert [p["format.max"] for p in points] == [2.0, 1.5, 1.0]
