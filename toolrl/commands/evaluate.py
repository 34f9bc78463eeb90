"""`toolrl evaluate MODEL [--data FILE] [--rows N]`: greedy held-out metrics of a model.

MODEL is a directory (a base model or a run checkpoint), a Hugging Face id, or `tiny[:recipe]`.
Without `--data`, the synthetic task's validation rows are used.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="model directory, checkpoint, HF id, or tiny[:recipe]")
    parser.add_argument(
        "--data", default=None, help="rows file (default: synthetic validation rows)"
    )
    parser.add_argument("--format", default="auto", help="rows file format")
    parser.add_argument("--rows", type=int, default=100, help="evaluate the first N rows")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic rows")
    parser.add_argument("--reward", default="toolrl", help="reward preset or configuration file")
    parser.add_argument("--max-new-tokens", type=int, default=128, help="greedy generation length")
    parser.add_argument("--batch-size", type=int, default=32, help="prompts per generation batch")
    parser.add_argument("--outputs", default=None, help="write one JSON line per row here")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")


def run(args: argparse.Namespace) -> int:
    from toolrl.rewards import RewardConfig

    if args.data:
        from toolrl.formats import load_rows

        rows = list(load_rows(args.data, format=args.format))[: args.rows]
    else:
        from toolrl.synthetic import make_splits

        rows = make_splits(1, args.rows, seed=args.seed)[1]
    if not rows:
        print("toolrl evaluate: no rows", file=sys.stderr)
        return 2
    cfg = RewardConfig.resolve(args.reward)

    from toolrl.training.config import RunConfig
    from toolrl.training.engine import _silence_libraries, load_model
    from toolrl.training.evaluation import evaluate_model

    _silence_libraries()
    tokenizer, model = load_model(RunConfig.model_validate({"model": {"name_or_path": args.model}}))
    metrics, samples = evaluate_model(
        model, tokenizer, rows, cfg, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size
    )
    if args.outputs:
        with open(args.outputs, "w", encoding="utf-8") as fh:
            for sample in samples:
                fh.write(json.dumps({"id": sample["prompt_id"], **sample}) + "\n")
    if args.json:
        print(json.dumps(metrics))
    else:
        for key, value in metrics.items():
            print(f"{key:28s} {value:8.3f}")
    return 0
