"""Errors a user sees, through the real commands: one line on stderr, a non-zero exit, no traceback.

`toolrl train`, `toolrl demo` and the training entry point (`python -m toolrl.training`, what a
worker runs: it also writes the line to `DIR/error.txt`) share `toolrl.errors`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolrl.training.rundir import ERROR_FILE, clear_error, write_error

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

GOOD = {"query": "What is 2+2?", "tools": "[]", "answers": "[]"}
BAD_ROW = {"query": "Add", "tools": "[]", "answers": '[{"arguments": {}}]'}


@pytest.fixture
def empty_cache(tmp_path):
    """A TOOLRL_CACHE with no model in it: a command that loaded the model would build one."""
    cache = tmp_path / "cache"
    cache.mkdir()
    return cache


def _toolrl(*args: str, cwd: Path, cache: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ}
    if cache is not None:
        env["TOOLRL_CACHE"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "toolrl.cli", *args],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=cwd,
        env=env,
    )


def _entry_point(config: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "toolrl.training", str(config), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=240,
    )


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _bad_dataset(folder: Path) -> Path:
    path = folder / "rows.jsonl"
    rows = [GOOD, GOOD, GOOD, BAD_ROW]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _config(folder: Path, text: str, name: str = "run.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_a_bad_dataset_row_is_one_line_before_the_model_loads(tmp_path, empty_cache):
    data = _bad_dataset(tmp_path)
    cfg = _config(
        tmp_path,
        f"preset: cpu-tiny\nmodel: {{name_or_path: 'tiny:fast'}}\ndata: {{train: {data}}}\n",
    )
    proc = _toolrl(
        "train", str(cfg), "--out", str(tmp_path / "run"), cwd=tmp_path, cache=empty_cache
    )
    assert proc.returncode == 2
    assert _lines(proc.stderr) == [f"{data}:4: answers[0]: a call needs a string 'name'"]
    assert list(empty_cache.iterdir()) == []  # checked before the model was built or loaded


def test_an_invalid_configuration_prints_field_and_message_per_error(tmp_path):
    cfg = _config(tmp_path, "preset: cpu-tiny\ngrpo: {learning_rate: -1, lr: 3}\n")
    proc = _toolrl("train", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    assert _lines(proc.stderr) == [
        "grpo.learning_rate: Input should be greater than 0 (got -1)",
        "grpo.lr: not a known setting",
    ]
    # A check across fields names its field too; pydantic's own dump never shows.
    cfg = _config(tmp_path, "preset: cpu-tiny\ngrpo: {generation_batch_size: 30}\n")
    proc = _toolrl("train", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    [line] = _lines(proc.stderr)
    assert line.startswith("grpo.generation_batch_size: 30 is not divisible by")
    assert "type=" not in line and "http" not in line


@pytest.mark.parametrize(
    "name, content, message",
    [
        # not JSON: the file, the line and the parser's reason
        ("run.json", '{"preset": ', "run.json:1: not valid JSON (Expecting value, column 12)"),
        # not YAML
        ("run.yaml", "grpo: [unclosed\n", "run.yaml:2: not valid YAML (expected ',' or ']'"),
        # YAML, but a list rather than settings
        ("run.yaml", "- a\n- b\n", "run.yaml: a run configuration must be a mapping"),
        # not text at all
        ("run.bin", "\udcff\x00", "run.bin: not a text file"),
    ],
)
def test_a_file_that_is_not_a_configuration_is_named(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    proc = _toolrl("train", name, cwd=tmp_path)
    assert proc.returncode == 2
    [line] = _lines(proc.stderr)
    assert line.startswith(message), line


def test_a_missing_configuration_file(tmp_path):
    proc = _toolrl("train", "nope.yaml", cwd=tmp_path)
    assert (proc.returncode, _lines(proc.stderr)) == (2, ["nope.yaml: no such file"])


def _model_folder(tmp_path: Path, *files: str) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    for name in files:
        (folder / name).write_text("{}")
    return folder


@pytest.mark.parametrize(
    "files, says",
    [
        # an empty folder
        ((), "has no config.json: not a model folder"),
        # a config without weights
        (("config.json",), "has config.json but no weights"),
        # weights without a tokenizer
        (("config.json", "model.safetensors"), "has no tokenizer"),
        # a LoRA adapter folder without its weights
        (("adapter_config.json",), "has adapter_config.json but no adapter weights"),
    ],
)
def test_a_folder_without_a_model_says_what_is_missing(tmp_path, files, says):
    folder = _model_folder(tmp_path, *files)
    cfg = _config(tmp_path, f"preset: cpu-tiny\nmodel: {{name_or_path: {folder}}}\n")
    proc = _toolrl("train", str(cfg), "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert proc.returncode == 2
    [line] = _lines(proc.stderr)
    assert line.startswith(f"model.name_or_path: {folder}: {says}"), line


def test_a_missing_model_path_and_a_run_folder_given_as_the_model(tmp_path):
    cfg = _config(tmp_path, "preset: cpu-tiny\nmodel: {name_or_path: /no/such/model}\n")
    proc = _toolrl("train", str(cfg), cwd=tmp_path)
    assert proc.returncode == 2
    [line] = _lines(proc.stderr)
    assert line.startswith("model.name_or_path: /no/such/model: no such folder")
    run = tmp_path / "runs" / "x"
    (run / "checkpoints" / "checkpoint-3").mkdir(parents=True)
    (run / "checkpoints" / "checkpoint-12").mkdir()
    cfg = _config(tmp_path, f"preset: cpu-tiny\nmodel: {{name_or_path: {run}}}\n")
    proc = _toolrl("train", str(cfg), cwd=tmp_path)
    assert _lines(proc.stderr) == [
        f"model.name_or_path: {run}: is a run folder, not a model; its newest checkpoint is "
        f"{run / 'checkpoints' / 'checkpoint-12'}"
    ]


def test_demo_out_folder_that_cannot_be_created(tmp_path, empty_cache):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = _toolrl("demo", "--out", str(blocker / "demo"), cwd=tmp_path, cache=empty_cache)
    assert proc.returncode == 2
    assert _lines(proc.stderr) == [
        f"{blocker / 'demo'}: cannot create the run folder (Not a directory)"
    ]
    assert list(empty_cache.iterdir()) == []  # no model build first


def test_entry_point_user_error_exit_2_one_line_and_error_file(tmp_path):
    data = _bad_dataset(tmp_path)
    cfg = _config(
        tmp_path, json.dumps({"preset": "cpu-tiny", "data": {"train": str(data)}}), "r.json"
    )
    out = tmp_path / "run"
    proc = _entry_point(cfg, out)
    line = f"{data}:4: answers[0]: a call needs a string 'name'"
    assert proc.returncode == 2
    assert _lines(proc.stderr) == [line]  # no traceback
    assert (out / ERROR_FILE).read_text() == line + "\n"


def test_entry_point_several_configuration_errors_are_one_line_in_the_error_file(tmp_path):
    cfg = _config(tmp_path, json.dumps({"grpo": {"learning_rate": -1, "lr": 3}}), "r.json")
    out = tmp_path / "run"
    proc = _entry_point(cfg, out)
    assert proc.returncode == 2
    assert (out / ERROR_FILE).read_text() == (
        "grpo.learning_rate: Input should be greater than 0 (got -1); grpo.lr: not a known setting\n"
    )


class ExplodingSink:
    """A sink whose construction fails: an unexpected error, not the user's."""

    def __init__(self) -> None:
        raise RuntimeError("sink database unreachable\nsecond line")


def test_entry_point_unexpected_error_keeps_the_traceback_and_names_the_type(tmp_path):
    cfg = _config(tmp_path, json.dumps({"preset": "cpu-tiny"}), "r.json")
    out = tmp_path / "run"
    out.mkdir()
    write_error(out, "an earlier attempt's error")
    proc = _entry_point(cfg, out, "--sink", "tests.toolrl.test_user_errors:ExplodingSink")
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr  # the run's log keeps it
    assert _lines(proc.stderr)[-1] == "RuntimeError: sink database unreachable"
    assert (out / ERROR_FILE).read_text() == "RuntimeError: sink database unreachable\n"


def test_clear_error_removes_an_earlier_attempts_line(tmp_path):
    write_error(tmp_path, "old")
    clear_error(tmp_path)
    assert not (tmp_path / ERROR_FILE).exists()
    clear_error(tmp_path)  # nothing to remove: fine
