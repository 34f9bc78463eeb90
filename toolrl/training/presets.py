"""Named run configurations: `toolrl-paper` (the paper's GRPO settings, docs/toolrl-method.md §6)
and `cpu-tiny` (the tiny local model on a 2-core CPU, learns the format within minutes).

A preset is a partial mapping; `RunConfig.from_dict({"preset": NAME, ...})` starts from it and
overrides (`toolrl.configfile.deep_merge`).

Example::

    >>> PRESETS["cpu-tiny"]["grpo"]["max_steps"]
    30
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # The paper's GRPO settings (docs/toolrl-method.md §6.2): 512 prompts × 4 rollouts per step,
    # mini-batches of 128 prompts (4 optimizer steps per generation round), lr 1e-6 constant,
    # temperature 1.0, 2048/1024 tokens, clip 0.2, no KL, group-normalised advantages, 15 epochs,
    # validation every 5 steps, checkpoint every 15; two GPUs and vLLM rollouts.
    "toolrl-paper": {
        "model": {"name_or_path": "Qwen/Qwen2.5-3B-Instruct", "dtype": "bfloat16"},
        "reward": "toolrl",
        "grpo": {
            "num_generations": 4,
            "generation_batch_size": 2048,
            "per_device_train_batch_size": 8,
            "gradient_accumulation_steps": 32,
            "num_processes": 2,
            "learning_rate": 1e-6,
            "lr_scheduler_type": "constant",
            "temperature": 1.0,
            "max_prompt_length": 2048,
            "max_completion_length": 1024,
            "epsilon": 0.2,
            "beta": 0.0,
            "scale_rewards": "group",
            "loss_type": "dapo",
            "epochs": 15,
        },
        "generation": {"backend": "vllm-colocate", "vllm_gpu_memory_utilization": 0.6},
        "eval_every": 5,
        "checkpoint_every": 15,
        "eval_max_new_tokens": 1024,
    },
    # The tiny local model on a 2-core CPU (cpu-notes §7): 8 prompts × 4 rollouts per step.
    "cpu-tiny": {
        "model": {"name_or_path": "tiny"},
        "reward": "toolrl",
        "grpo": {
            "num_generations": 4,
            "generation_batch_size": 32,
            "per_device_train_batch_size": 32,
            "gradient_accumulation_steps": 1,
            "learning_rate": 3e-4,
            "lr_scheduler_type": "constant",
            "temperature": 0.8,
            "max_prompt_length": 880,
            "max_completion_length": 128,
            "epsilon_high": 0.28,
            "beta": 0.0,
            "max_steps": 30,
        },
        "data": {"synthetic_train": 1000, "synthetic_validation": 100},
        "eval_every": 10,
        "checkpoint_every": 10,
    },
}
