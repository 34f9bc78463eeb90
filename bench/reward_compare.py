"""The reward paths of this checkout against another git revision, side by side in one process.

    python bench/reward_compare.py [--base main] [--rounds 20]

`bench/reward_throughput.py` measures one version; on a shared machine its figures move by 10 %
or more from run to run, which hides a change of a few percent. This script loads the base
revision's `toolrl` (exported with `git archive` into a temporary folder) and this checkout's in
the same process, checks they give the same numbers to the bit, and times the workloads of
`reward_throughput.py` (the 80 ToolRL validation ground truths, groups of 4) interleaved, base
and ours alternately first, keeping the best CPU time of each: load from other processes hits
both sides alike. Prints completions per second and the ratio after / before.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def load_rewards(root: Path) -> ModuleType:
    """`toolrl.rewards` imported from `root`, then taken out of `sys.modules` so that another
    copy can be imported next to it (each keeps the module objects it was built with)."""

    def loaded() -> list[str]:
        return [k for k in sys.modules if k == "toolrl" or k.startswith("toolrl.")]

    assert not loaded(), "toolrl was imported before the versions to compare"
    sys.path.insert(0, str(root))
    try:
        rewards = importlib.import_module("toolrl.rewards")
    finally:
        sys.path.remove(str(root))
        for name in loaded():
            del sys.modules[name]
    assert Path(rewards.__file__).is_relative_to(root), rewards.__file__
    return rewards


def export(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "toolrl"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def workloads(m: ModuleType, completions, hard, gts) -> dict[str, tuple[Any, int]]:
    cfg = m.RewardConfig.preset("toolrl")
    loop = lambda cs: [m.score(c, g, cfg, 10, 105) for c, g in zip(cs, gts, strict=True)]  # noqa: E731
    return {
        "score() loop": (lambda: loop(completions), 2),
        "score_batch": (lambda: m.score_batch(completions, gts, cfg, 10, 105), 10),
        "score_columns": (lambda: m.score_columns(completions, gts, cfg, 10, 105), 10),
        "no exact: score() loop": (lambda: loop(hard), 2),
        "no exact: score_batch": (lambda: m.score_batch(hard, gts, cfg, 10, 105), 10),
        "no exact: score_columns": (lambda: m.score_columns(hard, gts, cfg, 10, 105), 10),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    base = load_rewards(export(args.base, Path(tempfile.mkdtemp(prefix="toolrl-base-"))))
    ours = load_rewards(ROOT)
    sys.path.insert(0, str(ROOT / "bench"))
    import reward_throughput as rt  # its own `toolrl` import finds ours, loaded again

    completions, gts = [], []
    for gt in rt.ground_truths():
        for c in rt.group(gt):
            completions.append(c)
            gts.append(gt)
    hard = [rt.group(gt)[1] for gt in gts]
    cfgs = base.RewardConfig.preset("toolrl"), ours.RewardConfig.preset("toolrl")
    for cs in (completions, hard):
        same = [
            m.score_columns(cs, gts, c, 10, 105) for m, c in zip((base, ours), cfgs, strict=True)
        ]
        assert same[0] == same[1], "the two versions score differently"
    sides = workloads(base, completions, hard, gts), workloads(ours, completions, hard, gts)
    best = {name: [float("inf"), float("inf")] for name in sides[0]}
    for r in range(args.rounds):
        for name in best:
            for i in (0, 1) if r % 2 == 0 else (1, 0):
                fn, number = sides[i][name]
                t = min(timeit.repeat(fn, number=number, repeat=2, timer=time.process_time))
                best[name][i] = min(best[name][i], t / number)
    n = len(completions)
    print(f"{len(completions)} completions; base {args.base}, best of {args.rounds} interleaved "
          "rounds (CPU time)")  # fmt: skip
    print(f"{'':26s} {'before/s':>10s} {'after/s':>10s}  after/before")
    for name, (b, a) in best.items():
        print(f"{name:26s} {n / b:>10,.0f} {n / a:>10,.0f}  {b / a:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
