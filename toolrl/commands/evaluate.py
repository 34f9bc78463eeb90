"""`toolrl evaluate`: a suite's scores, from a model or from predictions made elsewhere.

    toolrl evaluate --suite NAME --predictions FILE [--data PATH] [--json] [--items OUT.jsonl]
    toolrl evaluate MODEL [--suite NAME] [--out DIR] [--data PATH] [--batch-size N]
                    [--max-new-tokens N] [--temperature T] [--backend transformers|vllm]

Suites: held-out (default: a rows file given with --data, or the synthetic task's held-out
rows), toolrl-validation, api-bank, bfcl. Benchmark data comes from --data or the environment
variable TOOLRL_EVAL_DATA (the folder holding toolrl/ and bfcl/, or the suite's own folder).

A predictions file is JSON Lines of {"id": ITEM_ID, "completion": TEXT}; items without a line
count as failures. With a model, the predictions, one line per item and the summary are written
to --out (default evals/<suite>-<time>/); the predictions file can be scored again later.

Exit codes: 0 evaluated; 1 bad input (data, predictions file, model path; one line per problem,
`FILE:LINE: message`); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from toolrl.evaluation import (
    SUITES,
    EvaluationError,
    GenerationOptions,
    evaluate_suite,
    format_table,
    load_suite,
)
from toolrl.evaluation.base import write_jsonl
from toolrl.evaluation.data import ENV_VAR
from toolrl.evaluation.generation import BACKENDS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model", nargs="?", help="model folder, run checkpoint, HF id or tiny[:recipe]"
    )
    parser.add_argument(
        "--suite", default="held-out", choices=list(SUITES), help="default held-out"
    )
    parser.add_argument("--predictions", help="score this JSONL of {id, completion} (no model)")
    parser.add_argument(
        "--data",
        help=f"benchmark data folder (default ${ENV_VAR}); for held-out, a rows file",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    parser.add_argument(
        "--items", help="write one JSON line per item (id, category, passed, reason)"
    )
    parser.add_argument("--out", help="with a model: folder for predictions, items and results")
    parser.add_argument("--limit", type=int, help="with a model: first N items of each category")
    group = parser.add_argument_group("held-out")
    group.add_argument("--rows", type=int, default=100, help="first N rows (default 100)")
    group.add_argument("--seed", type=int, default=0, help="seed of the synthetic rows")
    group.add_argument("--format", default="auto", help="format of the rows file")
    group.add_argument("--reward", default="toolrl", help="reward preset or configuration file")
    gen = parser.add_argument_group("generation")
    gen.add_argument("--batch-size", type=int, default=16, help="prompts per batch (default 16)")
    gen.add_argument("--max-new-tokens", type=int, default=512, help="default 512")
    gen.add_argument("--temperature", type=float, default=0.0, help="0 (default) is greedy")
    gen.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling when sampling")
    gen.add_argument("--backend", default="transformers", choices=BACKENDS)
    gen.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    gen.add_argument("--no-progress", action="store_true", help="no progress bar")
    # The pre-suite name of --items, kept so older scripts keep working.
    parser.add_argument("--outputs", help=argparse.SUPPRESS)


def _usage_error(args: argparse.Namespace) -> str | None:
    if (args.model is None) == (args.predictions is None):
        return "give a MODEL to evaluate or --predictions FILE to score (one of them)"
    if args.predictions and (args.out or args.limit):
        return "--out and --limit apply only when evaluating a model"
    for name in ("limit", "rows", "batch_size", "max_new_tokens"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return f"--{name.replace('_', '-')} must be at least 1"
    return None


def _suite_options(args: argparse.Namespace) -> dict | None:
    """Options of the chosen suite; None when --reward is invalid (already reported)."""
    if args.suite not in ("held-out", "toolrl-validation"):
        return {}
    from toolrl.commands.reward_preview import load_reward

    reward = load_reward(args.reward)
    if reward is None:
        return None
    if args.suite == "toolrl-validation":
        return {"reward": reward}
    return {"max_rows": args.rows, "seed": args.seed, "format": args.format, "reward": reward}


class _Bar:
    """A tqdm bar on stderr, created on the first update (nothing shows if nothing runs)."""

    def __init__(self, label: str):
        self.label, self.bar = label, None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total, desc=self.label, unit="item", file=sys.stderr, dynamic_ncols=True
            )
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run(args: argparse.Namespace) -> int:
    problem = _usage_error(args)
    if problem:
        print(f"toolrl evaluate: {problem}", file=sys.stderr)
        return 2
    options = _suite_options(args)
    if options is None:
        return 2
    items_path = args.items or args.outputs
    bar = None if args.no_progress or args.predictions else _Bar(args.suite)
    try:
        suite = load_suite(args.suite, data_dir=args.data, limit=args.limit, **options)
        if args.predictions:
            result = evaluate_suite(suite, predictions=args.predictions)
        else:
            out = Path(args.out or f"evals/{args.suite}-{time.strftime('%Y%m%d-%H%M%S')}")
            generation = GenerationOptions(
                max_new_tokens=args.max_new_tokens,
                batch_size=args.batch_size,
                temperature=args.temperature,
                top_p=args.top_p,
                backend=args.backend,
                dtype=args.dtype,
                seed=args.seed,
            )
            _quiet_libraries()
            result = evaluate_suite(
                suite, model=args.model, generation=generation, progress=bar, out_dir=out
            )
    except EvaluationError as exc:
        for line in exc.lines:
            print(f"toolrl evaluate: {line}", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    if items_path:
        write_jsonl(items_path, (r.to_dict() for r in result.items))
    if args.json:
        print(json.dumps(result.summary))
    else:
        print(format_table(result.summary))
        if not args.predictions:
            print(f"\npredictions, items and results written to {out}/")
    if result.summary["missing"]:
        missing = [r.id for r in result.items if r.details.get("missing")]
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        print(f"toolrl evaluate: {len(missing)} items had no prediction: {shown}", file=sys.stderr)
    return 0


def _quiet_libraries() -> None:
    # Per-call deprecation chatter and download bars would bury the progress bar.
    import logging
    import os
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("transformers", "accelerate", "torch"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(transformers|torch)\..*")
