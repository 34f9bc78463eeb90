"""Held-out evaluation with greedy decoding.

Metrics (all in [0, 1] except the reward means):

- `eval/format_rate`: outputs with the exact layout the ground truth asks for (format reward max);
- `eval/exact_call_accuracy`: on rows whose ground truth calls tools, the predicted calls equal the
  ground truth (names, keys and values, any order);
- `eval/decision_accuracy`: called a tool (wrote a `<tool_call>` block) exactly when the ground
  truth does, else answered;
- `eval/mean_correctness`, `eval/mean_format`, `eval/mean_total`: the reward's means.

Example::

    >>> from toolrl.synthetic import make_rows
    >>> from toolrl.prompt import render_target
    >>> rows = make_rows(3, seed=0)
    >>> m = score_outputs([render_target(r.target) for r in rows], rows)
    >>> m["eval/format_rate"], m["eval/exact_call_accuracy"], m["eval/mean_total"] >= 1.0
    (1.0, 1.0, True)
"""

from __future__ import annotations

from typing import Any

from toolrl.parser import TC_OPEN, parse_calls
from toolrl.prompt import render_messages, render_target
from toolrl.rewards import RewardConfig, parse_ground_truth, score_batch
from toolrl.schema import Row
from toolrl.training.rollouts import calls_equal


def score_outputs(
    outputs: list[str],
    rows: list[Row],
    cfg: RewardConfig | None = None,
    step: int = 0,
    max_steps: int | None = None,
) -> dict[str, float]:
    """Evaluation metrics of model outputs against the rows' targets."""
    cfg = cfg or RewardConfig.preset("toolrl")
    gts = [render_target(r.target) for r in rows]
    breakdowns = score_batch(outputs, gts, cfg, step=step, max_steps=max_steps)
    n = len(rows)
    exact, n_tool, decision = 0, 0, 0
    for text, gt_text in zip(outputs, gts, strict=True):
        gt = parse_ground_truth(gt_text)
        called = TC_OPEN in text
        decision += called == gt.has_calls
        if gt.has_calls:
            n_tool += 1
            exact += calls_equal(parse_calls(text.strip())[0], gt.calls)
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return {
        "eval/format_rate": mean([bool(b.details["format_ok"]) for b in breakdowns]),
        "eval/exact_call_accuracy": exact / n_tool if n_tool else 0.0,
        "eval/decision_accuracy": decision / n if n else 0.0,
        "eval/mean_correctness": mean([b.components.get("correctness", 0.0) for b in breakdowns]),
        "eval/mean_format": mean([b.components.get("format", 0.0) for b in breakdowns]),
        "eval/mean_total": mean([b.total for b in breakdowns]),
        "eval/rows": float(n),
    }


def generate_greedy(
    model: Any, tokenizer: Any, rows: list[Row], max_new_tokens: int = 128, batch_size: int = 32
) -> list[str]:
    """Greedy completions for the rows' prompts (left-padded batches, special tokens skipped)."""
    import torch

    was_training = model.training
    model.eval()
    old_side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # decoder-only generation needs the prompt flush right
    device = next(model.parameters()).device
    outputs: list[str] = []
    try:
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            texts = [
                tokenizer.apply_chat_template(
                    render_messages(r), add_generation_prompt=True, tokenize=False
                )
                for r in chunk
            ]
            enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(
                device
            )
            with torch.no_grad():
                out = model.generate(
                    **enc,
                    max_new_tokens=max_new_tokens,
                    do_sample=False,
                    pad_token_id=tokenizer.pad_token_id,
                    eos_token_id=tokenizer.eos_token_id,
                )
            new = out[:, enc["input_ids"].shape[1] :]
            outputs += tokenizer.batch_decode(new, skip_special_tokens=True)
    finally:
        tokenizer.padding_side = old_side
        if was_training:
            model.train()
    return outputs


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
) -> tuple[dict[str, float], list[str]]:
    """Greedy-decode the rows and score them; returns (metrics, outputs)."""
    outputs = generate_greedy(model, tokenizer, rows, max_new_tokens, batch_size)
    return score_outputs(outputs, rows, cfg, step, max_steps), outputs
