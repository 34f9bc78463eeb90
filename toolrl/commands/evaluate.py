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
    SuiteResult,
    evaluate_suite,
    format_table,
    load_suite,
)
from toolrl.evaluation.base import write_jsonl
from toolrl.evaluation.data import ENV_VAR
from toolrl.evaluation.generation import BACKENDS

EXAMPLES = """examples:
  toolrl evaluate --suite bfcl --predictions preds.jsonl --data ../shared/data --json
  toolrl evaluate runs/x/checkpoints/checkpoint-30 --suite api-bank --out evals/ckpt30
  toolrl evaluate tiny --rows 50                 # held-out on synthetic rows

the suites and how each is judged: docs/evaluation.md"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    arg = parser.add_argument
    arg(
        "model", nargs="?", metavar="MODEL", help="model folder, checkpoint, HF id or tiny[:recipe]"
    )
    arg("--suite", default="held-out", choices=list(SUITES), help="default: held-out")
    arg("--predictions", metavar="FILE", help="score this JSONL of {id, completion} (no model)")
    arg("--data", metavar="PATH", help=f"data folder (default ${ENV_VAR}); held-out: a rows file")
    arg("--json", action="store_true", help="print the summary as one JSON object")
    arg("--items", metavar="OUT.jsonl", help="one JSON line per item: id, category, passed, reason")
    arg("--out", metavar="DIR", help="with a model: where predictions and results go")
    arg("--limit", type=int, metavar="N", help="with a model: first N items of each category")
    arg("--outputs", help=argparse.SUPPRESS)  # the pre-suite name of --items, for old scripts
    held = parser.add_argument_group("held-out").add_argument
    held("--rows", type=int, default=100, metavar="N", help="first N rows (default 100)")
    held("--seed", type=int, default=0, help="seed of the synthetic rows (and of sampling)")
    held("--format", default="auto", help="format of the rows file (default: detected)")
    held("--reward", default="toolrl", metavar="PRESET|FILE", help="reward (default toolrl)")
    gen = parser.add_argument_group("generation").add_argument
    gen("--batch-size", type=int, default=16, metavar="N", help="prompts per batch (default 16)")
    gen("--max-new-tokens", type=int, default=512, metavar="N", help="default 512")
    gen("--temperature", type=float, default=0.0, metavar="T", help="0 (default): greedy")
    gen("--top-p", type=float, default=1.0, metavar="P", help="nucleus sampling when sampling")
    gen("--backend", default="transformers", choices=BACKENDS, help="default: transformers")
    gen("--dtype", default="auto", choices=["auto", "float32", "bfloat16", "float16"])
    gen("--no-progress", action="store_true", help="no progress bar")


def _usage_error(args: argparse.Namespace) -> str | None:
    if (args.model is None) == (args.predictions is None):
        return "give a MODEL to evaluate or --predictions FILE to score (one of them)"
    if args.predictions and (args.out or args.limit):
        return "--out and --limit apply only when evaluating a model"
    for name in ("limit", "rows", "batch_size", "max_new_tokens"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return f"--{name.replace('_', '-')} must be at least 1"
    if args.temperature < 0 or not 0 < args.top_p <= 1:
        return "--temperature must be at least 0 and --top-p in (0, 1]"
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


def _generation(args: argparse.Namespace) -> GenerationOptions:
    return GenerationOptions(
        max_new_tokens=args.max_new_tokens,
        batch_size=args.batch_size,
        temperature=args.temperature,
        top_p=args.top_p,
        backend=args.backend,
        dtype=args.dtype,
        seed=args.seed,
    )


def _out_dir(args: argparse.Namespace) -> Path:
    """The results folder, created now: a folder that cannot be made fails before the model loads."""
    out = Path(args.out or f"evals/{args.suite}-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvaluationError(
            f"--out {out}: cannot create the folder ({exc.strerror or exc})"
        ) from None
    return out


def _report(args: argparse.Namespace, result: SuiteResult, out: Path | None) -> None:
    if args.json:
        print(json.dumps(result.summary))
    else:
        print(format_table(result.summary))
        if out is not None:
            print(f"\npredictions, items and results written to {out}/")
    missing = [r.id for r in result.items if r.details.get("missing")]
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        print(f"toolrl evaluate: {len(missing)} items had no prediction: {shown}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    problem = _usage_error(args)
    if problem:
        print(f"toolrl evaluate: {problem}", file=sys.stderr)
        return 2
    options = _suite_options(args)
    if options is None:  # an invalid --reward, already reported
        return 2
    bar = None if args.no_progress or args.predictions else _Bar(args.suite)
    out = None
    try:
        suite = load_suite(args.suite, data_dir=args.data, limit=args.limit, **options)
        if args.predictions:
            result = evaluate_suite(suite, predictions=args.predictions)
        else:
            out = _out_dir(args)
            _quiet_libraries()
            result = evaluate_suite(
                suite, model=args.model, generation=_generation(args), progress=bar, out_dir=out
            )
        if args.items or args.outputs:
            write_jsonl(args.items or args.outputs, (r.to_dict() for r in result.items))
    except EvaluationError as exc:
        for line in exc.lines:
            print(f"toolrl evaluate: {line}", file=sys.stderr)
        return 1
    except OSError as exc:  # an output file that cannot be written
        print(f"toolrl evaluate: {exc.filename}: cannot write ({exc.strerror})", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    _report(args, result, out)
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
