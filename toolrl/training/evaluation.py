"""The in-training held-out evaluation: greedy completions of the validation rows, scored with
the run's reward (the metrics are described in `toolrl.evaluation.heldout`).

`eval_samples` keeps every row's output and scores; the engine hands them to the sink
(`eval_samples/step_NNNNNN.jsonl` in the run directory). The scoring and the generation live in
`toolrl.evaluation`, so `toolrl evaluate --suite held-out` and a run's curves never disagree.

Example::

    >>> from toolrl.synthetic import make_rows
    >>> from toolrl.prompt import render_target
    >>> rows = make_rows(3, seed=0)
    >>> score_outputs([render_target(r.target) for r in rows], rows)["eval/exact_call_accuracy"]
    1.0
"""

from __future__ import annotations

from typing import Any

from toolrl.evaluation.generation import GenerationOptions, generate_completions
from toolrl.evaluation.heldout import eval_samples, score_outputs, summarize
from toolrl.prompt import render_messages
from toolrl.rewards import RewardConfig
from toolrl.schema import Row

__all__ = ["eval_samples", "evaluate_model", "generate_greedy", "score_outputs", "summarize"]


def generate_greedy(
    model: Any, tokenizer: Any, rows: list[Row], max_new_tokens: int = 128, batch_size: int = 32
) -> list[str]:
    """Greedy completions for the rows' prompts (left-padded batches, special tokens skipped)."""
    options = GenerationOptions(max_new_tokens=max_new_tokens, batch_size=batch_size)
    return generate_completions(model, tokenizer, [render_messages(r) for r in rows], options)


def evaluate_model(
    model: Any,
    tokenizer: Any,
    rows: list[Row],
    cfg: RewardConfig | None = None,
    *,
    max_new_tokens: int = 128,
    batch_size: int = 32,
    step: int = 0,
    max_steps: int | None = None,
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Greedy-decode the rows and score them; returns (metrics, per-row samples)."""
    outputs = generate_greedy(model, tokenizer, rows, max_new_tokens, batch_size)
    samples = eval_samples(outputs, rows, cfg, step, max_steps)
    return summarize(samples), samples
