"""Where a model comes from: the tiny local model, a local folder, or a Hugging Face id.

What can be known without loading weights (no torch here): the context length, and whether a
local path holds a model at all. `check_model_source` runs before training loads anything, so a
wrong path is one line naming the path and what is missing, not a transformers traceback.

Example::

    >>> is_tiny("tiny:fast"), is_tiny("Qwen/Qwen2.5-3B-Instruct")
    (True, False)
    >>> context_length("tiny:fast")
    2048
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from toolrl.errors import UserError
from toolrl.training.rundir import latest_checkpoint

WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
ADAPTER_FILES = ("adapter_model.safetensors", "adapter_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
# `org/name` or `name`: what the Hub accepts as a model id.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


class ModelSourceError(UserError):
    """A model path that is not a model; the message says which path and what is missing."""


def is_tiny(name_or_path: str) -> bool:
    """`tiny` or `tiny:<recipe>`: the tiny local model (`toolrl.tiny`)."""
    return name_or_path == "tiny" or name_or_path.startswith("tiny:")


def tiny_recipe_name(name_or_path: str) -> str:
    """The recipe of a tiny model name (`tiny` is `default`)."""
    return name_or_path.partition(":")[2] or "default"


def context_length(name_or_path: str) -> int | None:
    """The model's context length if it can be known without loading weights: the tiny model's
    recipe, or a local folder's `config.json`; None otherwise (a Hub id)."""
    if is_tiny(name_or_path):
        from toolrl.tiny.recipe import RECIPES

        recipe = RECIPES.get(tiny_recipe_name(name_or_path))
        return recipe.max_position_embeddings if recipe else None
    cfg_file = Path(name_or_path) / "config.json"
    if not cfg_file.is_file():
        return None
    try:
        data = json.loads(cfg_file.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    text = data.get("text_config", data)
    return text.get("max_position_embeddings") if isinstance(text, dict) else None


def _missing_in_folder(path: Path) -> str | None:
    """What a local folder lacks to be loaded as a model (or a LoRA adapter), or None."""
    has = {p.name for p in path.iterdir()}
    if "adapter_config.json" in has:
        if not has & set(ADAPTER_FILES):
            return "has adapter_config.json but no adapter weights (adapter_model.safetensors)"
    elif "config.json" in has:
        if not has & set(WEIGHT_FILES):
            return "has config.json but no weights (model.safetensors or pytorch_model.bin)"
    else:
        newest = latest_checkpoint(path)
        if newest:
            return f"is a run folder, not a model; its newest checkpoint is {newest}"
        return "has no config.json: not a model folder"
    if not has & set(TOKENIZER_FILES):
        return "has no tokenizer (tokenizer.json or tokenizer_config.json)"
    return None


def check_model_source(name_or_path: str, setting: str = "model.name_or_path") -> None:
    """Raise `ModelSourceError` when `name_or_path` cannot be a model; Hub ids pass (only the
    Hub can tell), and so do the tiny model's known recipes.

    >>> check_model_source("/no/such/model")
    Traceback (most recent call last):
    ...
    toolrl.training.model_source.ModelSourceError: model.name_or_path: /no/such/model: no such folder (and not a Hugging Face model id like Qwen/Qwen2.5-3B-Instruct)
    """
    where = f"{setting}: {name_or_path}" if setting else name_or_path
    if is_tiny(name_or_path):
        from toolrl.tiny.recipe import RECIPES

        if tiny_recipe_name(name_or_path) not in RECIPES:
            known = ", ".join(f"tiny:{r}" for r in RECIPES)
            raise ModelSourceError(f"{where}: unknown tiny model recipe; known: {known}")
        return
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        try:
            missing = _missing_in_folder(path)
        except OSError as exc:
            raise ModelSourceError(f"{where}: cannot read the folder ({exc.strerror})") from None
        if missing:
            raise ModelSourceError(f"{where}: {missing}")
    elif path.exists():
        raise ModelSourceError(f"{where}: a file, not a model folder")
    elif not _HUB_ID.match(name_or_path):
        raise ModelSourceError(
            f"{where}: no such folder (and not a Hugging Face model id like "
            "Qwen/Qwen2.5-3B-Instruct)"
        )
