"""Run `toolrl demo` and print the held-out metrics before and after, and the wall time.

    python bench/demo_learning.py [--fresh] [--steps N] [--seed S]

`--fresh` builds the tiny base model into an empty cache, so the time includes the build;
otherwise the cached model is reused (built on first use). Aims (issue 4, 2-core CPU, 10 min):
greedy format rate from under 50 % to at least 90 %, mean total reward up by at least 1.0,
exact-call accuracy up by at least 20 points.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--fresh", action="store_true", help="build the tiny model in an empty cache"
    )
    parser.add_argument("--steps", type=int, default=None, help="GRPO steps (preset default)")
    parser.add_argument("--out", default=None, help="run directory (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the rollouts")
    args = parser.parse_args()

    env = dict(os.environ)
    if args.fresh:
        env["TOOLRL_CACHE"] = tempfile.mkdtemp(prefix="toolrl-fresh-")
    out = Path(args.out or tempfile.mkdtemp(prefix="toolrl-demo-"))
    cmd = [sys.executable, "-m", "toolrl.cli", "demo", "--out", str(out), "--no-progress"]
    if args.steps:
        cmd += ["--steps", str(args.steps)]
    cmd += ["--seed", str(args.seed)]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env)
    wall = time.monotonic() - t0
    if proc.returncode:
        print(f"demo failed with exit code {proc.returncode}")
        return proc.returncode
    s = json.loads((out / "demo_summary.json").read_text())
    b, a = s["before"], s["after"]
    checks = [
        ("greedy format rate before < 50 %", b["eval/format_rate"] < 0.5),
        ("greedy format rate after >= 90 %", a["eval/format_rate"] >= 0.9),
        ("mean total reward up >= 1.0", a["eval/mean_total"] - b["eval/mean_total"] >= 1.0),
        (
            "exact-call accuracy up >= 20 points",
            a["eval/exact_call_accuracy"] - b["eval/exact_call_accuracy"] >= 0.2,
        ),  # fmt: skip
        ("wall time <= 600 s", wall <= 600),
    ]
    print()
    print(f"wall time {wall:.0f} s (base model {s['model_seconds']:.0f} s, GRPO + evals {s['train_seconds']:.0f} s, "
          f"{s['steps']} steps, fresh build: {args.fresh})")  # fmt: skip
    for label, ok in checks:
        print(f"  [{'x' if ok else ' '}] {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
