"""`toolrl reward-preview [--reward PRESET|FILE] --max-steps N [--points N] [--json]`.

Prints the reward's schedule as a table: for each sampled step, every enabled component's
weight and [min, max] range (and the length target when length is on). Exit 0, or 2 when the
reward configuration is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys

from toolrl.rewards import RewardConfig, schedule_points


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reward", default="toolrl", help="preset name or YAML/JSON file")
    parser.add_argument("--max-steps", type=int, required=True, help="training steps in the run")
    parser.add_argument("--points", type=int, default=11, help="evenly spaced steps to show")
    parser.add_argument("--json", action="store_true", help="print the points as JSON")


def load_reward(spec: str) -> RewardConfig | None:
    """A config from a preset name or file; prints the problem and returns None if invalid."""
    try:
        return RewardConfig.resolve(spec)
    except FileNotFoundError:
        print(f"--reward: {spec!r} is neither a preset nor a file", file=sys.stderr)
    except (ValueError, OSError) as exc:  # pydantic's ValidationError is a ValueError
        print(f"--reward {spec}: {exc}", file=sys.stderr)
    return None


def run(args: argparse.Namespace) -> int:
    cfg = load_reward(args.reward)
    if cfg is None:
        return 2
    if args.max_steps <= 0:
        print("--max-steps must be positive", file=sys.stderr)
        return 2
    points = schedule_points(cfg, args.max_steps, n=args.points)
    if args.json:
        print(json.dumps({"reward": cfg.name, "points": points}, indent=2))
        return 0
    columns = list(points[0])
    print(f"reward {cfg.name}: {', '.join(cfg.component_names())} over {args.max_steps} steps")
    widths = [max(len(c), 8) for c in columns]
    print("  ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for p in points:
        print("  ".join(f"{p[c]:>{w}.4g}" for c, w in zip(columns, widths, strict=True)))
    return 0
