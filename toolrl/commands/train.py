"""`toolrl train CONFIG.yaml [--out DIR] [--resume CHECKPOINT]`: GRPO with the ToolRL reward.

Shows a progress bar (step, reward, ETA) and writes the run directory: `config.json`,
`metrics.jsonl`, `eval.jsonl`, `rollouts/`, `checkpoints/`, `status.json`. Touch `DIR/STOP` to
make the run checkpoint and stop cleanly.

A mistake in what the user gave (the configuration, a dataset row, the model path, `--out`,
`--resume`) prints what is wrong, one line per problem (`toolrl.errors`), and exits 2, before the
model is loaded.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "config", help="run configuration (YAML or JSON); 'preset:NAME' for a preset"
    )
    parser.add_argument("--out", default=None, help="run directory (default runs/<name>-<time>)")
    parser.add_argument("--resume", default=None, help="checkpoint directory, or 'latest' in --out")
    parser.add_argument("--max-steps", type=int, default=None, help="override grpo.max_steps")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def load_config(spec: str, max_steps: int | None = None):
    """A run configuration from a file or `preset:NAME`, with an optional step override."""
    from toolrl.configfile import read_mapping
    from toolrl.training.config import RunConfig

    if spec.startswith("preset:"):
        data: dict = {"preset": spec.partition(":")[2]}
    else:
        data = read_mapping(spec, "run configuration")
    grpo = data.get("grpo")
    if max_steps is not None and (grpo is None or isinstance(grpo, dict)):
        data["grpo"] = {**(grpo or {}), "max_steps": max_steps}
    return RunConfig.from_dict(data)


def print_user_error(exc: Exception) -> bool:
    """Print a user's mistake as its lines on stderr; False when `exc` is not one (a bug)."""
    from toolrl.errors import user_error_lines

    lines = user_error_lines(exc)
    if lines is None:
        return False
    for line in lines:
        print(line, file=sys.stderr)
    return True


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(args.config, args.max_steps)
        out = Path(args.out or f"runs/{cfg.name}-{time.strftime('%Y%m%d-%H%M%S')}")
        from toolrl.training.engine import train

        result = train(cfg, out, resume_from=args.resume, progress=not args.no_progress)
    except Exception as exc:
        if print_user_error(exc):
            return 2
        raise
    print(f"{result.status} at step {result.step} in {result.seconds:.0f} s; run directory {out}")
    if result.final_eval:
        for key, value in result.final_eval.items():
            print(f"  {key:28s} {value:8.3f}")
    return 0
