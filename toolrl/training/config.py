"""The run configuration: everything a training run needs, saved with every run.

Pure pydantic, no torch: the web process validates a configuration with this module alone.
Validation catches what TRL would only report after loading the model, and names the field:

- `grpo.generation_batch_size` not divisible by `grpo.num_generations` (no partial groups) or by
  the global micro-batch;
- `grpo.max_prompt_length + grpo.max_completion_length` over the model's context length (known
  for the tiny model, a local model directory, or when `model.max_length` is set);
- `reward_weights` keys that are not the reward configuration's enabled components.

Presets: `toolrl-paper` (the paper's GRPO settings, §6 of docs/toolrl-method.md) and `cpu-tiny`
(the tiny local model on a 2-core CPU, learns the format within minutes).

Example::

    >>> cfg = RunConfig.from_preset("cpu-tiny")
    >>> cfg.grpo.num_generations, cfg.model.name_or_path
    (4, 'tiny')
    >>> RunConfig.from_dict({"preset": "cpu-tiny", "grpo": {"max_steps": 3}}).grpo.max_steps
    3
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


class RunConfig(BaseModel):
    """A training run: model, data, reward, GRPO, generation backend, evaluation and checkpoints."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("toolrl-run", description="Run name (shown in logs and the run directory).")
    preset: str | None = Field(
        None, description="Preset this configuration started from (informational)."
    )
    model: ModelSettings = Field(default_factory=ModelSettings, description="Base model and LoRA.")
    data: DataSettings = Field(
        default_factory=DataSettings, description="Training and validation rows."
    )
    reward: str | dict[str, Any] = Field(
        "toolrl",
        description="Reward preset name or a reward configuration mapping (toolrl.rewards).",
    )
    reward_weights: dict[str, float] | None = Field(
        None, description="Fixed weight per reward component; overrides the reward configuration's."
    )
    grpo: GRPOSettings = Field(default_factory=GRPOSettings, description="GRPO settings.")
    generation: GenerationSettings = Field(
        default_factory=GenerationSettings, description="Rollout generation backend."
    )
    seed: int = Field(0, description="Seed of data order, initialisation and sampling.")
    eval_every: int = Field(10, ge=0, description="Greedy evaluation every N steps (0 = never).")
    eval_at_start: bool = Field(True, description="Also evaluate before the first step.")
    eval_rows: int | None = Field(
        100, ge=1, description="Validation rows per evaluation (empty = all)."
    )
    eval_batch_size: int = Field(32, ge=1, description="Prompts per greedy generation batch.")
    eval_max_new_tokens: int | None = Field(
        None, ge=1, description="Greedy generation length; empty = grpo.max_completion_length."
    )
    checkpoint_every: int = Field(
        50, ge=0, description="Checkpoint every N steps (0 = only at the end)."
    )
    save_total_limit: int | None = Field(3, ge=1, description="Keep at most this many checkpoints.")
    save_final_checkpoint: bool = Field(True, description="Checkpoint when training ends.")
    max_wall_time: float | None = Field(
        None, gt=0, description="Seconds after which the run checkpoints and stops."
    )
    log_rollouts: bool = Field(True, description="Capture every completion of every step.")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Training device.")

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def preset_names(cls) -> list[str]:
        """Known presets.

        >>> RunConfig.preset_names()
        ['toolrl-paper', 'cpu-tiny']
        """
        return list(PRESETS)

    @classmethod
    def from_preset(cls, preset_name: str, /, **overrides: Any) -> RunConfig:
        """A preset, optionally with top-level overrides.

        >>> RunConfig.from_preset("toolrl-paper").grpo.learning_rate
        1e-06
        """
        return cls.from_dict({"preset": preset_name, **overrides})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Validate a mapping; a `preset` key gives the starting values that the mapping overrides."""
        data = dict(data)
        name = data.get("preset")
        if name is not None:
            if name not in PRESETS:
                raise ValueError(
                    f"preset: unknown run preset {name!r}; known: {', '.join(PRESETS)}"
                )
            data = _deep_merge(PRESETS[name], data)
        return cls.model_validate(data)

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Load YAML (`.yaml`/`.yml`) or JSON.

        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "run.json")
        >>> _ = open(p, "w").write('{"preset": "cpu-tiny", "seed": 3}')
        >>> RunConfig.from_file(p).seed
        3
        """
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a run configuration must be a mapping")
        return cls.from_dict(data)

    # --- derived ---------------------------------------------------------------------------

    def reward_config(self):
        """The resolved `toolrl.rewards.RewardConfig`, with `reward_weights` applied."""
        from toolrl.rewards import RewardConfig

        if isinstance(self.reward, str):
            cfg = RewardConfig.resolve(self.reward)
        else:
            cfg = RewardConfig.from_dict(self.reward)
        if self.reward_weights:
            data = cfg.model_dump()
            for name, weight in self.reward_weights.items():
                data[name]["weight"] = weight
            cfg = RewardConfig.model_validate(data)
        return cfg

    def model_max_length(self) -> int | None:
        """The model's context length if it can be known without loading weights."""
        if self.model.max_length is not None:
            return self.model.max_length
        name = self.model.name_or_path
        if name == "tiny" or name.startswith("tiny:"):
            from toolrl.tiny import RECIPES

            recipe = RECIPES.get(name.partition(":")[2] or "default")
            return recipe.max_position_embeddings if recipe else None
        cfg_file = Path(name) / "config.json"
        if cfg_file.is_file():
            try:
                data = json.loads(cfg_file.read_text())
            except (OSError, ValueError):
                return None
            text = data.get("text_config", data)
            return text.get("max_position_embeddings")
        return None

    @property
    def uses_vllm(self) -> bool:
        """Whether rollouts come from vLLM."""
        return self.generation.backend != "transformers"

    # --- validation ------------------------------------------------------------------------

    @model_validator(mode="after")
    def _check(self) -> RunConfig:
        g = self.grpo
        if g.generation_batch_size % g.num_generations:
            raise ValueError(
                f"grpo.generation_batch_size ({g.generation_batch_size}) must be divisible by "
                f"grpo.num_generations ({g.num_generations}): every prompt needs a full group"
            )
        micro = g.per_device_train_batch_size * g.num_processes
        if g.generation_batch_size % micro:
            raise ValueError(
                f"grpo.generation_batch_size ({g.generation_batch_size}) must be divisible by "
                f"grpo.per_device_train_batch_size × grpo.num_processes ({micro})"
            )
        if g.generation_batch_size % g.global_batch_size:
            raise ValueError(
                f"grpo.generation_batch_size ({g.generation_batch_size}) must be a multiple of the "
                f"completions per optimizer step, grpo.per_device_train_batch_size × "
                f"grpo.gradient_accumulation_steps × grpo.num_processes ({g.global_batch_size})"
            )
        limit = self.model_max_length()
        total = g.max_prompt_length + g.max_completion_length
        if limit is not None and total > limit:
            raise ValueError(
                f"grpo.max_completion_length: grpo.max_prompt_length + grpo.max_completion_length "
                f"({g.max_prompt_length} + {g.max_completion_length} = {total}) exceeds the model's "
                f"context length ({limit}, model.name_or_path={self.model.name_or_path!r})"
            )
        try:
            names = self._reward_names()
        except (ValueError, OSError) as exc:
            raise ValueError(f"reward: {exc}") from None
        if self.reward_weights is not None and set(self.reward_weights) != set(names):
            raise ValueError(
                f"reward_weights: keys {sorted(self.reward_weights)} do not match the reward "
                f"components {names}"
            )
        if self.generation.backend != "transformers" and self.device == "cpu":
            raise ValueError("generation.backend: vLLM needs a GPU, but device is 'cpu'")
        if self.model.dtype != "float32" and self.device == "cpu":
            raise ValueError(
                f"model.dtype: {self.model.dtype} is not supported on the CPU; use float32"
            )
        return self

    def _reward_names(self) -> list[str]:
        from toolrl.rewards import RewardConfig

        if isinstance(self.reward, str):
            cfg = RewardConfig.resolve(self.reward)
        else:
            cfg = RewardConfig.from_dict(self.reward)
        return cfg.component_names()

    def trl_kwargs(self, output_dir: str) -> dict[str, Any]:
        """Keyword arguments for TRL's `GRPOConfig` (pure data: tests check GPU setups here).

        >>> kw = RunConfig.from_preset("toolrl-paper").trl_kwargs("/tmp/x")
        >>> kw["use_vllm"], kw["vllm_mode"], kw["steps_per_generation"]
        (True, 'colocate', 128)
        """
        g = self.grpo
        kw: dict[str, Any] = {
            "output_dir": output_dir,
            "seed": self.seed,
            "data_seed": self.seed,
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
            "bf16": self.model.dtype == "bfloat16",
            "fp16": self.model.dtype == "float16",
            "gradient_checkpointing": False,
            "logging_steps": 1,
            "report_to": "none",
            "log_completions": False,
            "save_strategy": "steps" if self.checkpoint_every else "no",
            "save_steps": self.checkpoint_every or 500,
            "save_total_limit": self.save_total_limit,
            "use_cpu": self.device == "cpu",
            "remove_unused_columns": False,
            "disable_tqdm": True,
            # Every parameter gets a gradient; the default (True without gradient checkpointing)
            # makes DDP walk the autograd graph again every step and warn about it.
            "ddp_find_unused_parameters": False,
        }
        if self.uses_vllm:
            kw["use_vllm"] = True
            kw["vllm_mode"] = "colocate" if self.generation.backend == "vllm-colocate" else "server"
            if kw["vllm_mode"] == "colocate":
                kw["vllm_gpu_memory_utilization"] = self.generation.vllm_gpu_memory_utilization
                kw["vllm_tensor_parallel_size"] = self.generation.vllm_tensor_parallel_size
                kw["vllm_max_model_length"] = g.max_prompt_length + g.max_completion_length
            else:
                kw["vllm_server_host"] = self.generation.vllm_server_host
                kw["vllm_server_port"] = self.generation.vllm_server_port
        else:
            kw["use_vllm"] = False
        return kw

    def lora_kwargs(self) -> dict[str, Any] | None:
        """Keyword arguments for peft's `LoraConfig`, or None without LoRA."""
        lora = self.model.lora
        if lora is None:
            return None
        return {
            "r": lora.r,
            "lora_alpha": lora.alpha,
            "lora_dropout": lora.dropout,
            "target_modules": lora.target_modules,
            "task_type": "CAUSAL_LM",
        }

    def to_json(self) -> str:
        """The configuration as indented JSON (what `config.json` of a run holds)."""
        return self.model_dump_json(indent=2)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out
