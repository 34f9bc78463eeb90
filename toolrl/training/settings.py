"""The sections of a run configuration: model, data, GRPO and generation settings.

Pure pydantic; every field has a one-line description (shown by `RunConfig.model_json_schema()`
and on the launch page). `toolrl.training.config.RunConfig` puts them together and checks what
depends on several sections.

Example::

    >>> GRPOSettings(per_device_train_batch_size=8, gradient_accumulation_steps=4).global_batch_size
    32
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LoraSettings(BaseModel):
    """Optional LoRA adapter (peft); the base weights stay frozen."""

    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1, description="Adapter rank.")
    alpha: int = Field(32, ge=1, description="Adapter scaling (lora_alpha).")
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the adapter input.")
    target_modules: list[str] | str = Field(
        "all-linear", description="Modules to adapt: a list of names or 'all-linear'."
    )


class ModelSettings(BaseModel):
    """The base model."""

    model_config = ConfigDict(extra="forbid")

    name_or_path: str = Field(
        "tiny",
        description="Hugging Face id, local directory, or 'tiny[:recipe]' for the cached tiny model.",
    )
    max_length: int | None = Field(
        None, ge=1, description="Context length in tokens; read from the model when left empty."
    )
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        "float32", description="Weights dtype for training (bfloat16 needs a GPU)."
    )
    lora: LoraSettings | None = Field(
        None, description="Train a LoRA adapter instead of all weights."
    )


class DataSettings(BaseModel):
    """Training and validation rows (canonical rows, any format `toolrl.formats` reads)."""

    model_config = ConfigDict(extra="forbid")

    train: str | None = Field(
        None, description="Rows file for training; empty = the synthetic task."
    )
    validation: str | None = Field(
        None, description="Rows file for evaluation; empty = held out from `train`."
    )
    format: str = Field(
        "auto", description="File format of `train`/`validation` ('auto' = by extension)."
    )
    validation_fraction: float = Field(
        0.05, ge=0, lt=1, description="Share of `train` held out when `validation` is empty."
    )
    synthetic_train: int = Field(
        1000, ge=1, description="Synthetic training rows (when `train` is empty)."
    )
    synthetic_validation: int = Field(
        100, ge=1, description="Synthetic validation rows (when `train` is empty)."
    )
    max_train_rows: int | None = Field(
        None, ge=1, description="Use at most this many training rows."
    )


class GRPOSettings(BaseModel):
    """GRPO settings, mapped one to one onto TRL's `GRPOConfig` (batch sizes count completions)."""

    model_config = ConfigDict(extra="forbid")

    num_generations: int = Field(4, ge=2, description="Rollouts per prompt (the GRPO group size).")
    generation_batch_size: int = Field(
        32,
        ge=2,
        description="Completions generated per round = prompts per step × num_generations.",
    )
    per_device_train_batch_size: int = Field(
        32, ge=1, description="Completions per forward/backward micro-batch on each device."
    )
    gradient_accumulation_steps: int = Field(
        1, ge=1, description="Micro-batches per optimizer step."
    )
    num_processes: int = Field(
        1,
        ge=1,
        description="Processes (GPUs) under `accelerate launch`; used to check batch sizes.",
    )
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    lr_scheduler_type: str = Field("constant", description="Transformers scheduler name.")
    warmup_ratio: float = Field(0.0, ge=0, lt=1, description="Share of steps for linear warm-up.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    max_grad_norm: float = Field(1.0, gt=0, description="Gradient clipping norm.")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature of the rollouts.")
    top_p: float = Field(1.0, gt=0, le=1, description="Nucleus sampling of the rollouts.")
    max_prompt_length: int = Field(
        1024,
        ge=1,
        description="Longest prompt in tokens; longer rows are left out (counted in the log).",
    )
    max_completion_length: int = Field(128, ge=1, description="Longest completion in tokens.")
    epsilon: float = Field(0.2, gt=0, description="PPO clip range (lower, and upper unless set).")
    epsilon_high: float | None = Field(
        None, gt=0, description="Upper clip range (DAPO clip-higher)."
    )
    beta: float = Field(
        0.0, ge=0, description="KL coefficient; 0 = no reference model (the paper)."
    )
    scale_rewards: Literal["group", "batch", "none"] = Field(
        "group", description="Advantage normalisation: by group std (GRPO), batch std, or none."
    )
    loss_type: str = Field("dapo", description="TRL loss aggregation ('dapo' = token mean).")
    num_iterations: int = Field(
        1, ge=1, description="Policy updates per generation batch (PPO epochs)."
    )
    entropy_coef: float = Field(
        0.0, ge=0, description="Entropy bonus (the released code used 0.001)."
    )
    epochs: float = Field(
        1.0, gt=0, description="Passes over the training rows (if max_steps is empty)."
    )
    max_steps: int | None = Field(None, ge=1, description="Optimizer steps; overrides `epochs`.")

    @property
    def global_batch_size(self) -> int:
        """Completions per optimizer step."""
        return (
            self.per_device_train_batch_size * self.gradient_accumulation_steps * self.num_processes
        )

    @property
    def prompts_per_generation(self) -> int:
        """Distinct prompts per generation round."""
        return self.generation_batch_size // self.num_generations


class GenerationSettings(BaseModel):
    """Where rollouts are generated. vLLM is imported only when chosen (GPU nodes)."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["transformers", "vllm-colocate", "vllm-server"] = Field(
        "transformers",
        description="transformers `generate`, vLLM in-process, or a `trl vllm-serve` server.",
    )
    vllm_gpu_memory_utilization: float = Field(
        0.3, gt=0, le=1, description="GPU memory share for vLLM in colocate mode."
    )
    vllm_tensor_parallel_size: int = Field(
        1, ge=1, description="vLLM tensor parallelism (colocate)."
    )
    vllm_server_host: str = Field(
        "127.0.0.1", description="Host of `trl vllm-serve` (server mode)."
    )
    vllm_server_port: int = Field(8000, ge=1, le=65535, description="Port of `trl vllm-serve`.")
