"""Entry point the platform's supervisor runs as a child process.

    python -m toolrl.training RUN_CONFIG.(json|yaml) --out DIR [--resume CKPT|latest]
        [--sink package.module:Class --sink-arg key=value ...] [--progress]

Exit codes: 0 the run ended (completed, stopped on request, or hit its time limit; see
`DIR/status.json`); 2 a user's mistake (the configuration, a data row, the model path, the
run folder, `--resume`): its message on stderr, no traceback; 1 anything else (a bug, the
machine): the traceback on stderr (the run's log).

On any failure, `DIR/error.txt` holds one line, the message a user should see: the user's
mistake as `field: message` (several joined by "; "), or `ExceptionType: message` for anything
else. A new attempt removes an earlier attempt's file first. The platform shows that line as the
run's error (docs/training.md, "The entry point's contract").
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from toolrl.errors import one_line, user_error_lines
from toolrl.training.rundir import clear_error, write_error

log = logging.getLogger("toolrl.training")


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


def _run(args: argparse.Namespace) -> int:
    from toolrl.training.config import RunConfig
    from toolrl.training.engine import train
    from toolrl.training.sinks import load_sink, parse_sink_args

    cfg = RunConfig.from_file(args.config)
    sinks = []
    if args.sink:
        sinks.append(load_sink(args.sink, parse_sink_args(args.sink_arg)))
    result = train(cfg, args.out, sinks=sinks, resume_from=args.resume, progress=args.progress)
    if result.main_process:
        print(f"{result.status} at step {result.step}; run directory {result.out_dir}")
    return 0


def report_failure(out: Path, exc: Exception) -> int:
    """Tell the user (stderr and `out/error.txt`) what went wrong; returns the exit code."""
    lines = user_error_lines(exc)
    if lines is None:
        log.exception("training failed")  # the traceback, for the run's log
        lines, code = [one_line(exc)], 1
    else:
        code = 2
    for line in lines:
        print(line, file=sys.stderr)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_error(out, "; ".join(lines))
    except OSError:
        pass  # the folder itself is what failed; stderr has the message
    return code


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    out = Path(args.out)
    from toolrl.training.engine import _is_main_process

    if _is_main_process() and out.is_dir():
        clear_error(out)
    try:
        return _run(args)
    except Exception as exc:
        return report_failure(out, exc)


if __name__ == "__main__":
    sys.exit(main())
