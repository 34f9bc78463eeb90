"""The run configuration: everything a training run needs, saved with every run.

Pure pydantic, no torch: the web process validates a configuration with this module alone.
Validation catches what TRL would only report after loading the model, and names the field:

- `grpo.generation_batch_size` not divisible by `grpo.num_generations` (no partial groups) or by
  the global micro-batch;
- `grpo.max_prompt_length + grpo.max_completion_length` over the model's context length (known
  for the tiny model, a local model directory, or when `model.max_length` is set);
- `reward_weights` keys that are not the reward configuration's enabled components.

The pieces live by job: the sections in `toolrl.training.settings`, the presets in
`toolrl.training.presets`, the mapping onto TRL's arguments in `toolrl.training.trl_args`, what
is known about a model without loading it in `toolrl.training.model_source`.

Example::

    >>> cfg = RunConfig.from_preset("cpu-tiny")
    >>> cfg.grpo.num_generations, cfg.model.name_or_path
    (4, 'tiny')
    >>> RunConfig.from_dict({"preset": "cpu-tiny", "grpo": {"max_steps": 3}}).grpo.max_steps
    3
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from toolrl.configfile import deep_merge, read_mapping
from toolrl.errors import UserError, validation_messages
from toolrl.training.model_source import context_length
from toolrl.training.presets import PRESETS
from toolrl.training.settings import (
    DataSettings,
    GenerationSettings,
    GRPOSettings,
    LoraSettings,
    ModelSettings,
)
from toolrl.training.trl_args import grpo_config_kwargs, lora_config_kwargs

__all__ = [
    "PRESETS",
    "DataSettings",
    "GRPOSettings",
    "GenerationSettings",
    "LoraSettings",
    "ModelSettings",
    "RunConfig",
]


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
                raise UserError(f"preset: unknown run preset {name!r}; known: {', '.join(PRESETS)}")
            data = deep_merge(PRESETS[name], data)
        return cls.model_validate(data)

    @classmethod
    def from_file(cls, path: str | Path) -> RunConfig:
        """Load YAML or JSON (`.json`); errors name the file (`toolrl.configfile.read_mapping`).

        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "run.json")
        >>> _ = open(p, "w").write('{"preset": "cpu-tiny", "seed": 3}')
        >>> RunConfig.from_file(p).seed
        3
        """
        return cls.from_dict(read_mapping(path, "run configuration"))

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
        return context_length(self.model.name_or_path)

    @property
    def uses_vllm(self) -> bool:
        """Whether rollouts come from vLLM."""
        return self.generation.backend != "transformers"

    def trl_kwargs(self, output_dir: str) -> dict[str, Any]:
        """Keyword arguments for TRL's `GRPOConfig` (`toolrl.training.trl_args`)."""
        return grpo_config_kwargs(self, output_dir)

    def lora_kwargs(self) -> dict[str, Any] | None:
        """Keyword arguments for peft's `LoraConfig`, or None without LoRA."""
        return lora_config_kwargs(self)

    def to_json(self) -> str:
        """The configuration as indented JSON (what `config.json` of a run holds)."""
        return self.model_dump_json(indent=2)

    # --- validation ------------------------------------------------------------------------

    @model_validator(mode="after")
    def _check(self) -> RunConfig:
        self._check_batches()
        limit = self.model_max_length()
        g = self.grpo
        total = g.max_prompt_length + g.max_completion_length
        if limit is not None and total > limit:
            raise ValueError(
                f"grpo.max_completion_length: grpo.max_prompt_length + grpo.max_completion_length "
                f"({g.max_prompt_length} + {g.max_completion_length} = {total}) exceeds the model's "
                f"context length ({limit}, model.name_or_path={self.model.name_or_path!r})"
            )
        names = self._reward_names()
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

    def _check_batches(self) -> None:
        g = self.grpo
        if g.generation_batch_size % g.num_generations:
            raise ValueError(
                f"grpo.generation_batch_size: {g.generation_batch_size} is not divisible by "
                f"grpo.num_generations ({g.num_generations}): every prompt needs a full group"
            )
        micro = g.per_device_train_batch_size * g.num_processes
        if g.generation_batch_size % micro:
            raise ValueError(
                f"grpo.generation_batch_size: {g.generation_batch_size} is not divisible by "
                f"grpo.per_device_train_batch_size × grpo.num_processes ({micro})"
            )
        if g.generation_batch_size % g.global_batch_size:
            raise ValueError(
                f"grpo.generation_batch_size: {g.generation_batch_size} is not a multiple of the "
                f"completions per optimizer step, grpo.per_device_train_batch_size × "
                f"grpo.gradient_accumulation_steps × grpo.num_processes ({g.global_batch_size})"
            )

    def _reward_names(self) -> list[str]:
        from toolrl.rewards import RewardConfig

        try:
            if isinstance(self.reward, str):
                cfg = RewardConfig.resolve(self.reward)
            else:
                cfg = RewardConfig.from_dict(self.reward)
        except ValidationError as exc:
            raise ValueError("; ".join(validation_messages(exc, prefix="reward"))) from None
        except (ValueError, OSError) as exc:
            raise ValueError(f"reward: {exc}") from None
        return cfg.component_names()
