"""Run configuration: presets, validation naming the field, TRL/GPU settings, light imports."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from toolrl.training.config import RunConfig


def test_presets_validate_and_paper_values():
    paper = RunConfig.from_preset("toolrl-paper")
    g = paper.grpo
    assert g.prompts_per_generation == 512 and g.num_generations == 4
    assert g.learning_rate == 1e-6 and g.lr_scheduler_type == "constant"
    assert g.temperature == 1.0 and g.epsilon == 0.2 and g.beta == 0.0
    assert (g.max_prompt_length, g.max_completion_length) == (2048, 1024)
    assert g.scale_rewards == "group" and g.epochs == 15
    # 2048 completions per round, 512 per optimizer step: 4 optimizer steps per round.
    assert g.generation_batch_size // g.global_batch_size == 4
    tiny = RunConfig.from_preset("cpu-tiny")
    assert tiny.model.name_or_path == "tiny" and not tiny.uses_vllm


@pytest.mark.parametrize(
    "override, field",
    [
        # a partial GRPO group
        ({"grpo": {"generation_batch_size": 30}}, "grpo.generation_batch_size"),
        # prompt + completion longer than the tiny model's 1024 positions
        ({"grpo": {"max_completion_length": 512}}, "grpo.max_completion_length"),
        # weights for a component that is not enabled
        ({"reward_weights": {"format": 1.0, "length": 2.0}}, "reward_weights"),
        # unknown reward preset
        ({"reward": "nope"}, "reward"),
        # explicit model length
        ({"model": {"name_or_path": "x/y", "max_length": 512}}, "grpo.max_completion_length"),
        # vLLM on the CPU
        ({"generation": {"backend": "vllm-server"}, "device": "cpu"}, "generation.backend"),
    ],
)
def test_validation_names_the_field(override, field):
    with pytest.raises(ValidationError) as err:
        RunConfig.from_dict({"preset": "cpu-tiny", **override})
    assert field in str(err.value)


def test_unknown_field_is_rejected():
    with pytest.raises(ValidationError, match="lr"):
        RunConfig.from_dict({"preset": "cpu-tiny", "grpo": {"lr": 1}})


def test_model_length_read_from_a_local_model_dir(tmp_path):
    (tmp_path / "config.json").write_text('{"max_position_embeddings": 256}')
    with pytest.raises(ValidationError, match="exceeds the model's context length"):
        RunConfig.from_dict({"preset": "cpu-tiny", "model": {"name_or_path": str(tmp_path)}})


def test_trl_kwargs_cpu():
    kw = RunConfig.from_preset("cpu-tiny").trl_kwargs("/tmp/out")
    assert kw["use_vllm"] is False and kw["bf16"] is False and kw["gradient_checkpointing"] is False
    assert kw["logging_steps"] == 1 and kw["steps_per_generation"] == 1 and kw["max_steps"] == 30


def test_trl_kwargs_vllm_colocate_and_server():
    kw = RunConfig.from_preset("toolrl-paper").trl_kwargs("/o")
    assert (kw["use_vllm"], kw["vllm_mode"]) == (True, "colocate")
    assert kw["vllm_gpu_memory_utilization"] == 0.6 and kw["vllm_max_model_length"] == 3072
    assert kw["bf16"] is True and kw["steps_per_generation"] == 128
    srv = RunConfig.from_preset(
        "toolrl-paper", generation={"backend": "vllm-server", "vllm_server_host": "10.0.0.5"}
    ).trl_kwargs("/o")
    assert (srv["vllm_mode"], srv["vllm_server_host"], srv["vllm_server_port"]) == (
        "server",
        "10.0.0.5",
        8000,
    )


def test_trl_kwargs_build_a_real_grpo_config_on_cpu():
    from trl import GRPOConfig

    kw = RunConfig.from_preset("cpu-tiny").trl_kwargs("/tmp/out")
    args = GRPOConfig(**kw)
    assert args.generation_batch_size == 32 and args.num_generations == 4


def test_lora_kwargs():
    cfg = RunConfig.from_dict({"preset": "cpu-tiny", "model": {"lora": {"r": 8}}})
    assert cfg.lora_kwargs()["r"] == 8 and cfg.lora_kwargs()["task_type"] == "CAUSAL_LM"
    assert RunConfig.from_preset("cpu-tiny").lora_kwargs() is None


def test_round_trip_through_json(tmp_path):
    cfg = RunConfig.from_preset("toolrl-paper")
    path = tmp_path / "run.json"
    path.write_text(cfg.to_json())
    assert RunConfig.from_file(path) == cfg


@pytest.mark.slow
def test_config_module_imports_no_ml_or_web_stack():
    code = (
        "import sys, toolrl.training, toolrl.training.sinks, toolrl.training.rollouts\n"
        "from toolrl.training import RunConfig\n"
        "RunConfig.from_preset('toolrl-paper'); RunConfig.from_preset('cpu-tiny')\n"
        "print(sorted({'torch', 'transformers', 'trl', 'vllm', 'peft', 'django', 'celery'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "name",
    [
        "toolrl.synthetic",
        "toolrl.tiny",
        "toolrl.tiny.recipe",
        "toolrl.tiny.warmup_data",
        "toolrl.tiny.cache",
        "toolrl.training",
        "toolrl.training.config",
        "toolrl.training.settings",
        "toolrl.training.presets",
        "toolrl.training.trl_args",
        "toolrl.training.model_source",
        "toolrl.training.rundir",
        "toolrl.training.trl_adapter",
        "toolrl.training.sinks",
        "toolrl.training.data",
        "toolrl.training.rollouts",
        "toolrl.training.evaluation",
        "toolrl.commands.demo",
    ],
)
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
