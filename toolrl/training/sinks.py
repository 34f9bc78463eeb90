"""Where a run's outputs go: the `Sink` interface, the file sink, and the guard that keeps a
failing sink from stopping training.

The engine calls a sink from the training process (rank 0 only):

- `start(info)` once: `{"config": <run config dict>, "out_dir", "resume_from", "start_step",
  "max_steps", "components"}`.
- `write_metrics(step, metrics)` after every optimizer step with everything TRL logged
  (`loss`, `reward`, `rewards/<component>/mean`, ...) plus our own names (`weights/<component>`,
  `correctness/name`, ...). The final summary (`train_runtime`, ...) comes with the last step.
- `write_rollouts(step, rollouts)` once per generation round: one dict per completion (see
  `toolrl.training.rollouts`).
- `write_eval(step, metrics)` after each greedy evaluation (`eval/format_rate`, ...).
- `write_eval_samples(step, samples)` right after it: one dict per validation row (output,
  parsed calls, rewards, exact; see `toolrl.training.evaluation.eval_samples`).
- `on_checkpoint(step, path)` after a checkpoint directory is complete.
- `stop_requested()` once per step; True makes the run checkpoint and end cleanly.
- `close(status)` at the end: "completed", "stopped", "time_limit" or "failed".

A platform sink (database) subclasses `Sink` and overrides what it needs; plug it into the entry
point with `--sink package.module:Class --sink-arg key=value` (values are strings).

Example::

    >>> import tempfile
    >>> sink = FileSink(tempfile.mkdtemp())
    >>> sink.write_metrics(1, {"reward": 0.5})
    >>> sink.stop_requested()
    False
"""

from __future__ import annotations

import importlib
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STOP_FILE = "STOP"


class Sink:
    """The interface (every method a no-op): subclass and override what you need."""

    def start(self, info: dict[str, Any]) -> None:
        """The run starts (or resumes); `info` describes it."""

    def write_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        """Scalars logged at `step` (TRL's names plus ours)."""

    def write_rollouts(self, step: int, rollouts: list[dict[str, Any]]) -> None:
        """Every completion of the generation round trained at `step`."""

    def write_eval(self, step: int, metrics: dict[str, Any]) -> None:
        """Held-out greedy evaluation at `step`."""

    def write_eval_samples(self, step: int, samples: list[dict[str, Any]]) -> None:
        """What the model wrote for each validation row at `step`, and how it scored."""

    def on_checkpoint(self, step: int, path: str) -> None:
        """A complete checkpoint was written to `path`."""

    def stop_requested(self) -> bool:
        """Return True to make the run checkpoint and stop."""
        return False

    def close(self, status: str = "completed") -> None:
        """The run ended with `status`."""


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf become None (strict JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


class FileSink(Sink):
    """The run directory: `metrics.jsonl`, `eval.jsonl`, `rollouts/step_NNNNNN.jsonl`,
    `eval_samples/step_NNNNNN.jsonl`, `checkpoints.jsonl`, `status.json`; a file named `STOP` in
    it requests a stop."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "rollouts").mkdir(exist_ok=True)

    def _append(self, name: str, record: dict[str, Any]) -> None:
        with open(self.out / name, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(_clean(record)) + "\n")

    def _status(self, status: str, **extra: Any) -> None:
        record = {"status": status, "time": time.time(), **extra}
        (self.out / "status.json").write_text(json.dumps(_clean(record), indent=2))

    def start(self, info: dict[str, Any]) -> None:
        self._status(
            "running", start_step=info.get("start_step", 0), max_steps=info.get("max_steps")
        )

    def write_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        self._append("metrics.jsonl", {"step": step, **metrics})

    def _write_step_file(self, folder: str, step: int, records: list[dict[str, Any]]) -> None:
        path = self.out / folder / f"step_{step:06d}.jsonl"
        path.parent.mkdir(exist_ok=True)
        # Overwrite, not append: a resumed run that redoes a step replaces the old copy.
        with open(path, "w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(_clean(r)) + "\n")

    def write_rollouts(self, step: int, rollouts: list[dict[str, Any]]) -> None:
        self._write_step_file("rollouts", step, rollouts)

    def write_eval_samples(self, step: int, samples: list[dict[str, Any]]) -> None:
        self._write_step_file("eval_samples", step, samples)

    def write_eval(self, step: int, metrics: dict[str, Any]) -> None:
        self._append("eval.jsonl", {"step": step, **metrics})

    def on_checkpoint(self, step: int, path: str) -> None:
        self._append("checkpoints.jsonl", {"step": step, "path": str(path), "time": time.time()})

    def stop_requested(self) -> bool:
        return (self.out / STOP_FILE).exists()

    def close(self, status: str = "completed") -> None:
        self._status(status)


class SafeSinks(Sink):
    """Fans out to several sinks; a sink that raises is logged and skipped, never fatal.

    >>> class Broken(Sink):
    ...     def write_metrics(self, step, metrics): raise RuntimeError("db down")
    >>> SafeSinks([Broken()]).write_metrics(1, {})   # logged, not raised
    """

    def __init__(self, sinks: list[Sink]) -> None:
        self.sinks = list(sinks)
        self.failures = 0

    def _call(self, method: str, *args: Any) -> list[Any]:
        results = []
        for sink in self.sinks:
            try:
                results.append(getattr(sink, method)(*args))
            except Exception:  # a sink must never stop training
                self.failures += 1
                log.exception("sink %s.%s failed; training goes on", type(sink).__name__, method)
        return results

    def start(self, info: dict[str, Any]) -> None:
        self._call("start", info)

    def write_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        self._call("write_metrics", step, metrics)

    def write_rollouts(self, step: int, rollouts: list[dict[str, Any]]) -> None:
        self._call("write_rollouts", step, rollouts)

    def write_eval(self, step: int, metrics: dict[str, Any]) -> None:
        self._call("write_eval", step, metrics)

    def write_eval_samples(self, step: int, samples: list[dict[str, Any]]) -> None:
        self._call("write_eval_samples", step, samples)

    def on_checkpoint(self, step: int, path: str) -> None:
        self._call("on_checkpoint", step, path)

    def stop_requested(self) -> bool:
        return any(bool(r) for r in self._call("stop_requested"))

    def close(self, status: str = "completed") -> None:
        self._call("close", status)


def load_sink(spec: str, kwargs: dict[str, str] | None = None) -> Sink:
    """Instantiate a sink class named `package.module:Class` with string keyword arguments.

    >>> type(load_sink("toolrl.training.sinks:Sink")).__name__
    'Sink'
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--sink must look like 'package.module:Class', got {spec!r}")
    cls = getattr(importlib.import_module(module_name), attr)
    return cls(**(kwargs or {}))


def parse_sink_args(pairs: list[str]) -> dict[str, str]:
    """`["a=1", "b=x=y"]` → `{"a": "1", "b": "x=y"}`.

    >>> parse_sink_args(["run_id=7"])
    {'run_id': '7'}
    """
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--sink-arg must look like key=value, got {pair!r}")
        out[key] = value
    return out
