"""`toolrl reward-explain --ground-truth FILE --completion FILE [--reward PRESET|FILE]
[--step N --max-steps N] [--json]`.

Prints what the reward saw in one completion (the web playground shows the same, from
`toolrl.rewards.explain`): the parser's error category, the ground-truth and predicted calls
side by side with which names, keys and values matched, each component and the total. `-`
reads a text from standard input. Exit 0, or 2 on a bad argument or reward configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from toolrl.commands.reward_preview import load_reward
from toolrl.rewards import explain


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ground-truth", required=True, metavar="FILE", help="ToolRL text, or -")
    parser.add_argument("--completion", required=True, metavar="FILE", help="model output, or -")
    parser.add_argument("--reward", default="toolrl", help="preset name or YAML/JSON file")
    parser.add_argument("--step", type=int, default=0, help="training step to score at")
    parser.add_argument("--max-steps", type=int, default=None, help="training steps in the run")
    parser.add_argument("--json", action="store_true", help="print everything as JSON")


def _read(spec: str, what: str) -> str | None:
    if spec == "-":
        return sys.stdin.read()
    try:
        return Path(spec).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(
            f"--{what} {spec}: cannot read ({getattr(exc, 'strerror', None) or exc})",
            file=sys.stderr,
        )
        return None


def _marks(pairs: list[tuple[str, bool]]) -> str:
    return " ".join(f"{k}{'+' if ok else '-'}" for k, ok in pairs) or "-"


def run(args: argparse.Namespace) -> int:
    cfg = load_reward(args.reward)
    gt = _read(args.ground_truth, "ground-truth")
    completion = _read(args.completion, "completion")
    if cfg is None or gt is None or completion is None:
        return 2
    out = explain(completion, gt, cfg, step=args.step, max_steps=args.max_steps)
    if args.json:
        print(json.dumps(out, indent=2, default=list))
        return 0
    parsed = out["parsed"]
    print(f"parse: {parsed['error'] or 'well formed'}   ground truth: {out['gold']['kind']}")
    for p in out["pairs"]:
        gold = p["gold"]["name"] if p["gold"] else "(none)"
        pred = p["predicted"]["name"] if p["predicted"] else "(none)"
        name = "match" if p["name"] else "unmatched"
        print(
            f"  {gold} <- {pred}: name {name}; keys {_marks(p['keys'])}; values {_marks(p['values'])}"
        )
    for c in out["components"]:
        print(
            f"{c['name']:>12}: {c['value']:.4g}  (weight {c['weight']:.4g}, range [{c['min']:.4g}, {c['max']:.4g}])"
        )
    print(f"{'total':>12}: {out['total']:.4g}")
    return 0
