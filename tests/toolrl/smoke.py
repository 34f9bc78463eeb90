"""A run configuration small enough for a test (the fixtures are in `conftest.py`)."""

from __future__ import annotations

from typing import Any


def smoke_config(**overrides: Any):
    """A run configuration small enough for a test: fast model, 8 completions per step."""
    from toolrl.training.config import RunConfig

    data: dict[str, Any] = {
        "preset": "cpu-tiny",
        "model": {"name_or_path": "tiny:fast"},
        "grpo": {
            "max_steps": 3,
            "generation_batch_size": 8,
            "per_device_train_batch_size": 8,
            "max_prompt_length": 1024,
            "max_completion_length": 48,
            "learning_rate": 1e-3,
            # The fast model is too weak for rewards to differ inside a GRPO group, so every
            # advantage is 0; the entropy bonus guarantees a gradient in 3 steps. The policy
            # gradient itself is exercised by the demo, where rewards do differ.
            "entropy_coef": 0.01,
        },
        "data": {"synthetic_train": 40, "synthetic_validation": 8},
        "eval_every": 2,
        "eval_rows": 8,
        "checkpoint_every": 2,
        "device": "cpu",
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return RunConfig.from_dict(data)
