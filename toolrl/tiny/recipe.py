"""The tiny model's recipe: everything that decides the model, hashed into its cache key.

`RECIPES` names the ready ones: `default` (the demo's model, ~1.2 M parameters, a few minutes to
build on 2 CPU cores) and `fast` (for tests: seconds). Light (no torch), so the
run configuration can read a recipe's context length without loading anything.

Example::

    >>> RECIPES["fast"].max_position_embeddings
    2048
"""

from __future__ import annotations

from dataclasses import dataclass

from toolrl.errors import UserError

# Bump when the build code changes in a way the recipe fields do not capture.
TINY_VERSION = 1


@dataclass(frozen=True)
class TinyRecipe:
    """Everything that decides the tiny model; hashed into the cache key."""

    vocab_size: int = 2048
    """BPE vocabulary size before the added tags."""
    hidden_size: int = 128
    """Qwen2 hidden size."""
    intermediate_size: int = 512
    """Qwen2 MLP size."""
    num_layers: int = 4
    """Transformer layers."""
    num_heads: int = 4
    """Attention heads."""
    num_kv_heads: int = 2
    """Key/value heads (grouped-query attention)."""
    max_position_embeddings: int = 1024
    """Longest prompt + completion the model accepts (tokens)."""
    warmup_rows: int = 2000
    """Synthetic rows in the warm-up mix."""
    warmup_steps: int = 450
    """Supervised optimizer steps."""
    batch_size: int = 16
    """Warm-up batch size (sequences)."""
    learning_rate: float = 3e-3
    """Peak warm-up learning rate (cosine decay, linear warm-up over 20 steps)."""
    style_mix: tuple[tuple[str, float], ...] = (
        ("toolrl", 0.25),
        ("no_think", 0.15),
        ("json_list", 0.35),
        ("code_fence", 0.15),
        ("python", 0.10),
    )
    """Output styles of the warm-up targets for rows with tool calls (weights)."""
    response_mix: tuple[tuple[str, float], ...] = (
        ("toolrl", 0.5),
        ("plain", 0.35),
        ("no_think", 0.15),
    )
    """Output styles of the warm-up targets for response-only rows (weights)."""
    prompt_loss_weight: float = 0.3
    """Weight of a language-modelling loss on the prompt tokens (0 = completion only).

    The forward pass over the prompt is paid anyway; predicting it too is pretraining-like
    signal that teaches the model to read and copy from its context (followups repeat values)."""
    toolrl_prompt_share: float = 0.2
    """Share of warm-up prompts with the ToolRL system message; the rest get a short generic one.

    A real instruct model has seen many tool prompts, rarely this one. Short prompts also make
    the warm-up several times cheaper: the ToolRL system message is ~400 of ~500 prompt tokens."""
    generic_corpus: bool = False
    """Add stdlib docstrings (generic English) to the tokenizer corpus (longer prompts, slower)."""
    seed: int = 0
    """Seed of data, initialisation and batching."""


RECIPES: dict[str, TinyRecipe] = {
    "default": TinyRecipe(),
    # For tests: small and quick (seconds), still a real tokenizer + Qwen2 model + warm-up.
    "fast": TinyRecipe(
        vocab_size=1024,
        hidden_size=64,
        intermediate_size=128,
        num_layers=2,
        num_heads=2,
        num_kv_heads=1,
        max_position_embeddings=2048,
        warmup_rows=128,
        warmup_steps=40,
        batch_size=8,
        learning_rate=5e-3,
        style_mix=(("toolrl", 0.5), ("no_think", 0.5)),
        response_mix=(("toolrl", 0.5), ("plain", 0.5)),
        toolrl_prompt_share=1.0,
        prompt_loss_weight=0.0,
    ),
}


def named_recipe(recipe: str | TinyRecipe) -> tuple[str, TinyRecipe]:
    if isinstance(recipe, TinyRecipe):
        return "custom", recipe
    if recipe not in RECIPES:
        raise UserError(f"unknown tiny recipe {recipe!r}; known: {sorted(RECIPES)}")
    return recipe, RECIPES[recipe]
