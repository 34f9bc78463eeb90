"""`toolrl demo [--out DIR]`: watch GRPO teach a tiny local model the ToolRL format.

Builds (or reuses) the tiny base model, makes the synthetic task, runs GRPO with the ToolRL
reward (`cpu-tiny` preset) and prints the held-out greedy metrics before and after. Writes the
run directory plus `demo_summary.json` (before, after, timings) for `bench/demo_learning.py`.
A folder that cannot be created, an unknown recipe or step count is one line on stderr (exit 2).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

ROWS = [
    ("eval/format_rate", "format rate", True),
    ("eval/exact_call_accuracy", "exact-call accuracy", True),
    ("eval/decision_accuracy", "call/answer decision accuracy", True),
    ("eval/mean_correctness", "mean correctness reward", False),
    ("eval/mean_total", "mean total reward", False),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="run directory (default runs/demo-<time>)")
    parser.add_argument("--steps", type=int, default=None, help="GRPO steps (preset: 30)")
    parser.add_argument("--recipe", default="default", help="tiny model recipe (default, fast)")
    parser.add_argument("--eval-rows", type=int, default=100, help="held-out rows")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the rollouts")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def format_table(before: dict[str, float], after: dict[str, float]) -> str:
    """The before/after table.

    >>> print(format_table({"eval/format_rate": 0.1}, {"eval/format_rate": 0.9}).splitlines()[1])
    format rate                         10.0 %     90.0 %    +80.0
    """
    lines = [f"{'held-out (greedy)':32s} {'before':>9s} {'after':>10s} {'change':>8s}"]
    prefix = "eval/exact_call_accuracy/"
    kinds = [
        (k, f"  exact-call, {k[len(prefix) :]} rows", True) for k in after if k.startswith(prefix)
    ]
    for key, label, pct in ROWS[:2] + kinds + ROWS[2:]:
        if key not in before or key not in after:
            continue
        b, a = before[key], after[key]
        if pct:
            lines.append(f"{label:32s} {100 * b:7.1f} % {100 * a:8.1f} % {100 * (a - b):+8.1f}")
        else:
            lines.append(f"{label:32s} {b:9.3f} {a:10.3f} {a - b:+8.3f}")
    return "\n".join(lines)


def demo(
    out: Path, steps: int | None, recipe: str, eval_rows: int, progress: bool, seed: int = 0
) -> dict[str, Any]:
    """Run the demo; returns the summary written to `out/demo_summary.json`."""
    from toolrl.tiny import build_tiny_model
    from toolrl.training.config import RunConfig
    from toolrl.training.engine import train
    from toolrl.training.model_source import check_model_source
    from toolrl.training.rundir import make_run_dir

    overrides: dict[str, Any] = {
        "name": "demo",
        "model": {"name_or_path": f"tiny:{recipe}"},
        "eval_rows": eval_rows,
        "eval_at_start": True,
        "seed": seed,
    }
    if steps is not None:
        overrides["grpo"] = {"max_steps": steps}
    cfg = RunConfig.from_preset("cpu-tiny", **overrides)
    check_model_source(cfg.model.name_or_path, setting="--recipe")
    # Before the model build: a wrong --out or option must not cost minutes first.
    make_run_dir(out)
    t0 = time.monotonic()
    model_dir = build_tiny_model(recipe)
    t_model = time.monotonic() - t0
    result = train(cfg, out, progress=progress)
    evals = [
        json.loads(line) for line in (out / "eval.jsonl").read_text().splitlines() if line.strip()
    ]
    summary = {
        "model_dir": str(model_dir),
        "model_seconds": round(t_model, 1),
        "train_seconds": round(result.seconds, 1),
        "total_seconds": round(time.monotonic() - t0, 1),
        "steps": result.step,
        "status": result.status,
        "before": evals[0] if evals else {},
        "after": evals[-1] if evals else {},
        "run_dir": str(out),
    }
    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    out = Path(args.out or f"runs/demo-{time.strftime('%Y%m%d-%H%M%S')}")
    print(
        f"toolrl demo: tiny model '{args.recipe}', synthetic task, GRPO with the ToolRL reward -> {out}"
    )
    try:
        s = demo(
            out,
            args.steps,
            args.recipe,
            args.eval_rows,
            progress=not args.no_progress,
            seed=args.seed,
        )
    except Exception as exc:
        from toolrl.commands.train import print_user_error

        if print_user_error(exc):
            return 2
        raise
    print()
    print(format_table(s["before"], s["after"]))
    print()
    print(
        f"base model {s['model_seconds']:.0f} s (cached after the first build), "
        f"GRPO {s['steps']} steps + evaluation {s['train_seconds']:.0f} s, total {s['total_seconds']:.0f} s"
    )
    print(f"every held-out answer, scored row by row: {out / 'eval_samples'}/")
    return 0
