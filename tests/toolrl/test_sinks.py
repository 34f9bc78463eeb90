"""Sinks: the file sink's run directory, a failing sink never stops a run, plugging by path."""

from __future__ import annotations

import json
import math

import pytest

from toolrl.training.sinks import FileSink, SafeSinks, Sink, load_sink, parse_sink_args


def test_file_sink_writes_the_run_directory(tmp_path):
    sink = FileSink(tmp_path)
    sink.start({"start_step": 0, "max_steps": 3})
    sink.write_metrics(1, {"reward": 0.5, "loss": math.nan})
    sink.write_rollouts(1, [{"completion": "x", "rewards": {"format": 1.0}}])
    sink.write_eval(1, {"eval/format_rate": 0.25})
    sink.on_checkpoint(1, str(tmp_path / "checkpoints" / "checkpoint-1"))
    sink.close("completed")
    assert json.loads((tmp_path / "metrics.jsonl").read_text()) == {
        "step": 1,
        "reward": 0.5,
        "loss": None,
    }
    assert (
        json.loads((tmp_path / "rollouts" / "step_000001.jsonl").read_text())["completion"] == "x"
    )
    assert json.loads((tmp_path / "eval.jsonl").read_text())["eval/format_rate"] == 0.25
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "completed"
    assert not sink.stop_requested()
    (tmp_path / "STOP").touch()
    assert sink.stop_requested()


class Broken(Sink):
    def write_metrics(self, step, metrics):
        raise RuntimeError("database down")

    def stop_requested(self):
        raise RuntimeError("database down")


class Recording(Sink):
    def __init__(self, stop_at: str = "never"):
        self.calls = []
        self.stop_at = stop_at

    def write_metrics(self, step, metrics):
        self.calls.append(step)

    def stop_requested(self):
        return self.stop_at == "now"


def test_a_failing_sink_is_logged_and_the_others_still_run(caplog):
    rec = Recording()
    sinks = SafeSinks([Broken(), rec])
    sinks.write_metrics(3, {})
    assert rec.calls == [3] and sinks.failures == 1
    assert sinks.stop_requested() is False
    assert "database down" in caplog.text


def test_any_sink_can_request_a_stop():
    assert SafeSinks([Recording(), Recording("now")]).stop_requested()


def test_load_sink_by_dotted_path():
    sink = load_sink("tests.toolrl.test_sinks:Recording", parse_sink_args(["stop_at=now"]))
    assert isinstance(sink, Recording) and sink.stop_requested()
    with pytest.raises(ValueError, match="package.module:Class"):
        load_sink("no_colon")
    with pytest.raises(ValueError, match="key=value"):
        parse_sink_args(["novalue"])
