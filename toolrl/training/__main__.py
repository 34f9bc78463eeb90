"""Entry point the platform's supervisor runs as a child process.

    python -m toolrl.training RUN_CONFIG.(json|yaml) --out DIR [--resume CKPT|latest]
        [--sink package.module:Class --sink-arg key=value ...] [--progress]

Exit codes: 0 the run ended (completed, stopped on request, or hit its time limit; see
`DIR/status.json`), 1 training failed, 2 the configuration is invalid (message names the field).
"""

from __future__ import annotations

import argparse
import logging
import sys

from toolrl.training.config import RunConfig
from toolrl.training.sinks import load_sink, parse_sink_args


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m toolrl.training", description="Run GRPO training.")
    p.add_argument("config", help="run configuration (JSON or YAML)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--resume", default=None, help="checkpoint directory, or 'latest' in --out")
    p.add_argument("--sink", default=None, help="extra sink class, 'package.module:Class'")
    p.add_argument(
        "--sink-arg", action="append", default=[], help="key=value for the sink (repeatable)"
    )
    p.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        cfg = RunConfig.from_file(args.config)
    except (ValueError, OSError) as exc:
        print(f"invalid run configuration: {exc}", file=sys.stderr)
        return 2
    sinks = []
    if args.sink:
        sinks.append(load_sink(args.sink, parse_sink_args(args.sink_arg)))
    from toolrl.training.engine import RunConfigError, train

    try:
        result = train(cfg, args.out, sinks=sinks, resume_from=args.resume, progress=args.progress)
    except RunConfigError as exc:
        print(f"invalid run configuration: {exc}", file=sys.stderr)
        return 2
    except Exception:
        logging.getLogger("toolrl.training").exception("training failed")
        return 1
    if result.main_process:
        print(f"{result.status} at step {result.step}; run directory {result.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
