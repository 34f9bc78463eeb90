"""A run configuration as TRL's `GRPOConfig` and peft's `LoraConfig` keyword arguments.

Pure data (no torch, no trl): the tests check GPU and vLLM set-ups here, on a machine that has
neither. `RunConfig.trl_kwargs` and `RunConfig.lora_kwargs` call these.

Example::

    >>> from toolrl.training.config import RunConfig
    >>> kw = grpo_config_kwargs(RunConfig.from_preset("toolrl-paper"), "/tmp/x")
    >>> kw["use_vllm"], kw["vllm_mode"], kw["steps_per_generation"]
    (True, 'colocate', 128)
"""

from __future__ import annotations

from typing import Any

# The functions take a `RunConfig` (typed `Any`: this module must not import the config module,
# which imports it).
RunConfig = Any


def grpo_config_kwargs(cfg: RunConfig, output_dir: str) -> dict[str, Any]:
    """Keyword arguments for TRL's `GRPOConfig`."""
    g = cfg.grpo
    kw: dict[str, Any] = {
        "output_dir": output_dir,
        "seed": cfg.seed,
        "data_seed": cfg.seed,
        "num_generations": g.num_generations,
        # TRL derives generation_batch_size from steps_per_generation (they are exclusive).
        "steps_per_generation": g.generation_batch_size
        // (g.per_device_train_batch_size * g.num_processes),
        "per_device_train_batch_size": g.per_device_train_batch_size,
        "gradient_accumulation_steps": g.gradient_accumulation_steps,
        "learning_rate": g.learning_rate,
        "lr_scheduler_type": g.lr_scheduler_type,
        "warmup_steps": g.warmup_ratio,  # transformers 5: a float in [0, 1) is a ratio
        "weight_decay": g.weight_decay,
        "max_grad_norm": g.max_grad_norm,
        "temperature": g.temperature,
        "top_p": g.top_p,
        "max_completion_length": g.max_completion_length,
        "epsilon": g.epsilon,
        "epsilon_high": g.epsilon_high if g.epsilon_high is not None else g.epsilon,
        "beta": g.beta,
        "scale_rewards": g.scale_rewards,
        "loss_type": g.loss_type,
        "num_iterations": g.num_iterations,
        "entropy_coef": g.entropy_coef,
        "num_train_epochs": g.epochs,
        "max_steps": g.max_steps if g.max_steps is not None else -1,
        # TRL defaults that are wrong for us: bf16/gradient checkpointing on (CPU traps),
        # logging every 10 steps (we want every step), reports to installed trackers.
        "bf16": cfg.model.dtype == "bfloat16",
        "fp16": cfg.model.dtype == "float16",
        "gradient_checkpointing": False,
        "logging_steps": 1,
        "report_to": "none",
        # TRL's own completion printing (rich tables on stdout) stays off: rollouts go to sinks.
        "log_completions": False,
        "save_strategy": "steps" if cfg.checkpoint_every else "no",
        "save_steps": cfg.checkpoint_every or 500,
        "save_total_limit": cfg.save_total_limit,
        "use_cpu": cfg.device == "cpu",
        "remove_unused_columns": False,
        "disable_tqdm": True,
        # Every parameter gets a gradient; the default (True without gradient checkpointing)
        # makes DDP walk the autograd graph again every step and warn about it.
        "ddp_find_unused_parameters": False,
    }
    kw.update(_generation_kwargs(cfg))
    return kw


def _generation_kwargs(cfg: RunConfig) -> dict[str, Any]:
    gen, g = cfg.generation, cfg.grpo
    if gen.backend == "transformers":
        return {"use_vllm": False}
    if gen.backend == "vllm-colocate":
        return {
            "use_vllm": True,
            "vllm_mode": "colocate",
            "vllm_gpu_memory_utilization": gen.vllm_gpu_memory_utilization,
            "vllm_tensor_parallel_size": gen.vllm_tensor_parallel_size,
            "vllm_max_model_length": g.max_prompt_length + g.max_completion_length,
        }
    return {
        "use_vllm": True,
        "vllm_mode": "server",
        "vllm_server_host": gen.vllm_server_host,
        "vllm_server_port": gen.vllm_server_port,
    }


def lora_config_kwargs(cfg: RunConfig) -> dict[str, Any] | None:
    """Keyword arguments for peft's `LoraConfig`, or None without LoRA."""
    lora = cfg.model.lora
    if lora is None:
        return None
    return {
        "r": lora.r,
        "lora_alpha": lora.alpha,
        "lora_dropout": lora.dropout,
        "target_modules": lora.target_modules,
        "task_type": "CAUSAL_LM",
    }
