"""What the launch page shows before anything is queued: the resolved configuration as YAML
(loadable by `toolrl train`), the equivalent command, and for a clone what changed; and the
form's starting values for a clone."""

from __future__ import annotations

import re
import shlex
from typing import Any

from toolrl_web.runs.forms import FIELD_PATHS
from toolrl_web.runs.models import Run


def config_yaml(config: dict) -> str:
    """The configuration as YAML, in `RunConfig`'s field order."""
    import yaml

    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)


def config_file_name(config: dict) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", str(config.get("name") or "run")).strip("-").lower()
    return f"{slug or 'run'}.yaml"


def equivalent_command(config: dict) -> str:
    """The command that trains this configuration outside the platform, from the YAML file."""
    name = config_file_name(config)
    out = f"runs/{name.removesuffix('.yaml')}"
    processes = int((config.get("grpo") or {}).get("num_processes") or 1)
    if processes > 1:
        argv = ["accelerate", "launch", "--multi_gpu", "--num_processes", str(processes),
                "-m", "toolrl.training", name, "--out", out]  # fmt: skip
    else:
        argv = ["toolrl", "train", name, "--out", out]
    return shlex.join(argv)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def config_diff(before: dict, after: dict) -> list[tuple[str, Any, Any]]:
    """(setting, old value, new value) for every setting that differs, dotted, sorted."""
    old, new = _flatten(before), _flatten(after)
    return [
        (key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def _model_name_for_form(name_or_path: str) -> str:
    """A model from the models folder is named by its folder in the form."""
    from pathlib import Path

    from django.conf import settings

    path = Path(name_or_path)
    if path.is_absolute() and path.parent == Path(settings.MODELS_DIR).resolve():
        return path.name
    return name_or_path


def clone_initial(run: Run) -> dict[str, Any]:
    """The launch form filled from a run: its records and its values of the form's settings."""
    config = run.config
    grpo = config.get("grpo") or {}
    lora = (config.get("model") or {}).get("lora")
    initial: dict[str, Any] = {
        "clone_of": run.pk,
        "name": f"{run.name} (clone)",
        "preset": config.get("preset") or "cpu-tiny",
        "model": _model_name_for_form((config.get("model") or {}).get("name_or_path") or "tiny"),
        "dataset": run.dataset_id or "",
        "toolset": run.toolset_id or "",
        "reward_configuration": run.reward_configuration_id or "",
        "reward_preset": config.get("reward") if isinstance(config.get("reward"), str) else "",
        "lora": bool(lora),
        "lora_r": (lora or {}).get("r"),
        "queue": run.queue,
    }
    for name, path in FIELD_PATHS.items():
        node: Any = config
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        initial[name] = node
    size, micro = grpo.get("generation_batch_size"), grpo.get("per_device_train_batch_size")
    if size and size == micro and grpo.get("gradient_accumulation_steps", 1) == 1:
        initial["prompts_per_step"] = size // (grpo.get("num_generations") or 1)
    if run.dataset_id and config.get("data", {}).get("validation"):
        validation = run.dataset.validation_dataset_id
        initial["validation_dataset"] = "" if validation else _validation_record(run)
    return initial


def _validation_record(run: Run) -> str:
    """The dataset whose prepared rows the run validated on, when it was not the split."""
    path = str((run.config.get("data") or {}).get("validation") or "")
    match = re.search(r"/prepared/(\d+)/v\d+/rows\.jsonl$", path)
    if match and int(match.group(1)) != run.dataset_id:
        return match.group(1)
    return ""
