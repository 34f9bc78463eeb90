"""`toolrl train CONFIG.yaml [--out DIR] [--resume CHECKPOINT]`: GRPO with the ToolRL reward.

Shows a progress bar (step, reward, ETA) and writes the run directory: `config.json`,
`metrics.jsonl`, `eval.jsonl`, `rollouts/`, `checkpoints/`, `status.json`. Touch `DIR/STOP` to
make the run checkpoint and stop cleanly.
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
    from toolrl.training.config import RunConfig

    if spec.startswith("preset:"):
        data: dict = {"preset": spec.partition(":")[2]}
    else:
        data = RunConfig.from_file(spec).model_dump(exclude_none=False)
    if max_steps is not None:
        data.setdefault("grpo", {})["max_steps"] = max_steps
    return RunConfig.from_dict(data)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(args.config, args.max_steps)
    except (ValueError, OSError) as exc:
        print(f"toolrl train: invalid configuration: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out or f"runs/{cfg.name}-{time.strftime('%Y%m%d-%H%M%S')}")
    from toolrl.training.engine import train

    result = train(cfg, out, resume_from=args.resume, progress=not args.no_progress)
    print(f"{result.status} at step {result.step} in {result.seconds:.0f} s; run directory {out}")
    if result.final_eval:
        for key, value in result.final_eval.items():
            print(f"  {key:28s} {value:8.3f}")
    return 0
