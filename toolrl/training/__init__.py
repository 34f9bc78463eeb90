"""The training engine: GRPO on TRL with the ToolRL reward.

Light at import (pydantic only), so the web process can validate a run configuration without
torch; `train` imports torch/transformers/trl when called.

Example::

    >>> from toolrl.training import RunConfig
    >>> RunConfig.from_preset("cpu-tiny").grpo.generation_batch_size
    32
"""

from __future__ import annotations

from typing import Any

from toolrl.training.config import GenerationSettings, GRPOSettings, RunConfig
from toolrl.training.sinks import FileSink, SafeSinks, Sink, load_sink

__all__ = [
    "FileSink",
    "GRPOSettings",
    "GenerationSettings",
    "RunConfig",
    "SafeSinks",
    "Sink",
    "load_sink",
    "train",
]


def train(*args: Any, **kwargs: Any):
    """Run a training (see `toolrl.training.engine.train`); imports the ML stack on call."""
    from toolrl.training.engine import train as _train

    return _train(*args, **kwargs)
