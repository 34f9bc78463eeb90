"""`toolrl evaluate` through its real entry point: scoring predictions, bad files and paths, and
the tiny model evaluated end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from toolrl.cli import main

from .eval_data import BFCL_GOLD, completion, write_bfcl, write_eval_data, write_predictions


def _toolrl(*args: str, timeout: int = 120, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "toolrl.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def data(tmp_path):
    return write_eval_data(tmp_path / "data")


def test_scoring_predictions_prints_the_table_json_and_items(data, tmp_path, capsys):
    preds = write_predictions(tmp_path / "p.jsonl", BFCL_GOLD)
    assert (
        main(["evaluate", "--suite", "bfcl", "--predictions", str(preds), "--data", str(data)]) == 0
    )
    out = capsys.readouterr().out
    assert "simple_python" in out and "live AST (weighted by entries)" in out
    assert "100.00 %" in out and "not BFCL's overall" in out

    items = tmp_path / "items.jsonl"
    args = ["--predictions", str(preds), "--data", str(data), "--json", "--items", str(items)]
    assert main(["evaluate", "--suite", "bfcl", *args]) == 0
    summary = json.loads(capsys.readouterr().out)  # one object, nothing else on stdout
    assert summary["suite"] == "bfcl" and summary["count"] == len(BFCL_GOLD)
    assert all(0 <= c["accuracy"] <= 1 for c in summary["categories"].values())
    lines = [json.loads(line) for line in items.read_text().splitlines()]
    assert [x["id"] for x in lines] == list(BFCL_GOLD)
    assert {"id", "category", "passed", "reason"} <= set(lines[0])


def test_missing_ids_count_as_failures_and_are_reported(data, tmp_path, capsys):
    preds = {**BFCL_GOLD, "multiple_0": completion(("weather", {"city": "x"}))}
    del preds["parallel_0"]
    path = write_predictions(tmp_path / "p.jsonl", preds)
    args = [
        "evaluate",
        "--suite",
        "bfcl",
        "--predictions",
        str(path),
        "--data",
        str(data),
        "--json",
    ]
    assert main(args) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["missing"] == 1 and summary["passed"] == len(BFCL_GOLD) - 2
    assert "1 items had no prediction: parallel_0" in captured.err


BAD_FILES = [
    # (file text, expected message after "PATH", why)
    ('{"id": "simple_python_0", "completion": "x"}\n{oops\n', ":2: not JSON", "not JSON"),
    ('{"id": "nope", "completion": "x"}\n', ":1: unknown id 'nope': not an item of this suite",
     "unknown id"),
    ('{"id": "multiple_0", "completion": "x"}\n{"id": "multiple_0", "completion": "y"}\n',
     ":2: duplicate id 'multiple_0' (first on line 1)", "duplicate id"),
    ('{"id": "multiple_0"}\n', ':1: missing field "completion"', "missing completion"),
    ('{"completion": "x"}\n', ':1: missing field "id"', "missing id"),
    ('{"id": "multiple_0", "completion": 5}\n', ':1: "completion" must be a string, got int',
     "completion not a string"),
    ('["multiple_0", "x"]\n', ":1: expected an object", "not an object"),
    ("", ": no predictions (the file is empty)", "empty file"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message", "why"), BAD_FILES, ids=[b[-1] for b in BAD_FILES])
def test_bad_predictions_files_get_file_line_messages(data, tmp_path, capsys, text, message, why):
    path = tmp_path / "p.jsonl"
    path.write_text(text)
    items = tmp_path / "items.jsonl"
    args = ["--predictions", str(path), "--data", str(data), "--items", str(items)]
    assert main(["evaluate", "--suite", "bfcl", *args]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"toolrl evaluate: {path}{message}")
    assert captured.out == "" and not items.exists()


def test_every_problem_is_listed_and_no_traceback_reaches_the_terminal(data, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "nope", "completion": "x"}\nnot json\n{"id": 3, "completion": "x"}\n')
    done = _toolrl("evaluate", "--suite", "bfcl", "--predictions", str(path), "--data", str(data))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"toolrl evaluate: {path}:1: unknown id 'nope': not an item of this suite",
        f"toolrl evaluate: {path}:2: not JSON (Expecting value: line 1 column 1 (char 0))",
        f"toolrl evaluate: {path}:3: unknown id '3': not an item of this suite",
    ]
    missing = tmp_path / "absent.jsonl"
    done = _toolrl(
        "evaluate", "--suite", "bfcl", "--predictions", str(missing), "--data", str(data)
    )
    assert done.returncode == 1 and done.stderr == f"toolrl evaluate: {missing}: no such file\n"


def test_missing_data_folder_is_one_line_naming_it(tmp_path):
    preds = write_predictions(tmp_path / "p.jsonl", {"x": "y"})
    nope = tmp_path / "nope"
    done = _toolrl(
        "evaluate", "--suite", "api-bank", "--predictions", str(preds), "--data", str(nope)
    )
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"toolrl evaluate: {nope}: no such file or folder (expected API-Bank"
    )
    assert len(done.stderr.splitlines()) == 1
    env = {k: v for k, v in os.environ.items() if k != "TOOLRL_EVAL_DATA"}
    done = subprocess.run(
        [sys.executable, "-m", "toolrl.cli", "evaluate", "--suite", "bfcl", "--predictions", str(preds)],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(
        "toolrl evaluate: no evaluation data folder: pass --data DIR or set TOOLRL_EVAL_DATA"
    )


def test_the_data_folder_defaults_to_toolrl_eval_data(data, tmp_path):
    preds = write_predictions(tmp_path / "p.jsonl", BFCL_GOLD)
    done = _toolrl("evaluate", "--suite", "bfcl", "--predictions", str(preds), "--json",
                   env={"TOOLRL_EVAL_DATA": str(data)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["data"] == str(data / "bfcl")


def test_a_path_that_is_not_a_model_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "noweights").mkdir()
    (tmp_path / "noweights" / "config.json").write_text("{}")
    cases = {
        str(tmp_path / "missing"): "no such folder (expected a model folder, a run checkpoint",
        str(tmp_path / "empty"): "no config.json: not a model folder",
        str(tmp_path / "run"): "a run folder, not a model; pass one of its checkpoints",
        str(tmp_path / "noweights"): "config.json but no weights",
    }
    for path, message in cases.items():
        done = _toolrl("evaluate", path, "--suite", "held-out", "--rows", "2", "--no-progress")
        assert done.returncode == 1, (path, done.stderr)
        assert (
            done.stderr == f"toolrl evaluate: {path}: {message}" + done.stderr.split(message, 1)[1]
        )
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def test_vllm_backend_without_vllm_is_one_clear_line():
    done = _toolrl("evaluate", "tiny:fast", "--backend", "vllm", "--rows", "2", "--no-progress")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "toolrl evaluate: --backend vllm needs the vllm package, which is not installed here "
        "(pip install 'toolrl[gpu]' on a GPU machine); use --backend transformers"
    ]


def test_an_out_folder_that_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "sub"
    done = _toolrl("evaluate", "tiny:fast", "--rows", "2", "--out", str(out), "--no-progress")
    assert done.returncode == 1
    assert (
        done.stderr == f"toolrl evaluate: --out {out}: cannot create the folder (Not a directory)\n"
    )


def test_usage_errors_exit_2(capsys):
    assert main(["evaluate", "--suite", "bfcl"]) == 2
    assert "give a MODEL to evaluate or --predictions FILE" in capsys.readouterr().err
    assert main(["evaluate", "m", "--predictions", "p.jsonl"]) == 2
    assert main(["evaluate", "--predictions", "p.jsonl", "--limit", "3"]) == 2
    assert main(["evaluate", "m", "--temperature", "-1"]) == 2


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_tiny_model_evaluated_end_to_end(tiny_model_cache, tmp_path):
    """`toolrl evaluate tiny:fast --suite bfcl --out DIR`: generates, writes the predictions,
    items and results; scoring the predictions file again gives the same summary."""
    data = write_bfcl(tmp_path / "bfcl")
    out = tmp_path / "eval"
    env = {"TOOLRL_CACHE": str(tiny_model_cache)}
    args = ("--suite", "bfcl", "--data", str(data), "--max-new-tokens", "24", "--batch-size", "4")
    done = _toolrl("evaluate", "tiny:fast", *args, "--out", str(out), timeout=500, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "simple_python" in done.stdout and f"written to {out}/" in done.stdout
    predictions = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    assert [p["id"] for p in predictions] == list(BFCL_GOLD)
    assert all(isinstance(p["completion"], str) for p in predictions)
    results = json.loads((out / "results.json").read_text())
    assert results["summary"]["generation"]["model"] == "tiny:fast"
    assert results["summary"]["generation"]["temperature"] == 0.0
    assert len((out / "items.jsonl").read_text().splitlines()) == len(BFCL_GOLD)
    again = _toolrl("evaluate", "--suite", "bfcl", "--data", str(data),
                    "--predictions", str(out / "predictions.jsonl"), "--json")  # fmt: skip
    assert again.returncode == 0, again.stderr
    rescored = json.loads(again.stdout)
    assert rescored["categories"] == results["summary"]["categories"]
    assert rescored["scores"] == results["summary"]["scores"]

    # The held-out suite without --suite is what `toolrl evaluate MODEL` always did.
    done = _toolrl("evaluate", "tiny:fast", "--rows", "4", "--max-new-tokens", "16",
                   "--out", str(tmp_path / "held"), "--json", "--no-progress", env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["suite"] == "held-out" and summary["count"] == 4
    assert set(summary["rewards"]) == {"format", "correctness", "total"}
