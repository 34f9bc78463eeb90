"""Held-out evaluation with greedy decoding.

Metrics (all in [0, 1] except the reward means):

- `eval/format_rate`: outputs with the exact layout the ground truth asks for (format reward max);
- `eval/exact_call_accuracy`: on rows whose ground truth calls tools, the predicted calls equal the
  ground truth (names, keys and values, any order);
- `eval/decision_accuracy`: called a tool (wrote a `<tool_call>` block) exactly when the ground
  truth does, else answered;
- `eval/mean_correctness`, `eval/mean_format`, `eval/mean_total`: the reward's means;
- `eval/exact_call_accuracy/<kind>`: exact-call accuracy per row kind, when rows have kinds.

`eval_samples` keeps every row's output and scores; the engine hands them to the sink
(`eval_samples/step_NNNNNN.jsonl` in the run directory).

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
    return summarize(eval_samples(outputs, rows, cfg, step, max_steps))


def eval_samples(
    outputs: list[str],
    rows: list[Row],
    cfg: RewardConfig | None = None,
    step: int = 0,
    max_steps: int | None = None,
) -> list[dict[str, Any]]:
    """One record per validation row: what the model wrote and how it scored.

    Keys: prompt_id, kind (the row's `meta["kind"]`, if any), output, calls (parsed, or None),
    ground_truth (ToolRL text), rewards {component: value}, total, format_ok, exact (the calls
    equal the ground truth's; None for response-only rows), decision_ok (called a tool exactly
    when the ground truth does), error (why reward was lost, or None).
    """
    cfg = cfg or RewardConfig.preset("toolrl")
    gts = [render_target(r.target) for r in rows]
    breakdowns = score_batch(outputs, gts, cfg, step=step, max_steps=max_steps)
    samples = []
    for row, text, gt_text, b in zip(rows, outputs, gts, breakdowns, strict=True):
        gt = parse_ground_truth(gt_text)
        calls = parse_calls(text.strip())[0]
        samples.append(
            {
                "prompt_id": row.id,
                "kind": row.meta.get("kind"),
                "output": text,
                "calls": calls,
                "ground_truth": gt_text,
                "rewards": dict(b.components),
                "total": b.total,
                "format_ok": bool(b.details["format_ok"]),
                "exact": calls_equal(calls, gt.calls) if gt.has_calls else None,
                "decision_ok": (TC_OPEN in text) == gt.has_calls,
                "error": b.details.get("error"),
            }
        )
    return samples


def summarize(samples: list[dict[str, Any]]) -> dict[str, float]:
    """The evaluation metrics of `eval_samples` records.

    `eval/exact_call_accuracy/<kind>` is added per row kind when the rows have kinds (the
    synthetic task's simple, single, parallel, followup), so a run shows *which* calls it gets.
    """
    n = len(samples)
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    tool = [s for s in samples if s["exact"] is not None]
    metrics = {
        "eval/format_rate": mean([s["format_ok"] for s in samples]),
        "eval/exact_call_accuracy": mean([s["exact"] for s in tool]),
        "eval/decision_accuracy": mean([s["decision_ok"] for s in samples]),
        "eval/mean_correctness": mean([s["rewards"].get("correctness", 0.0) for s in samples]),
        "eval/mean_format": mean([s["rewards"].get("format", 0.0) for s in samples]),
        "eval/mean_total": mean([s["total"] for s in samples]),
        "eval/rows": float(n),
    }
    kinds = sorted({s["kind"] for s in tool if s["kind"]})
    for kind in kinds:
        metrics[f"eval/exact_call_accuracy/{kind}"] = mean(
            [s["exact"] for s in tool if s["kind"] == kind]
        )
    return metrics


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
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Greedy-decode the rows and score them; returns (metrics, per-row samples)."""
    outputs = generate_greedy(model, tokenizer, rows, max_new_tokens, batch_size)
    samples = eval_samples(outputs, rows, cfg, step, max_steps)
    return summarize(samples), samples
