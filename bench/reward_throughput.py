"""Reward throughput: completions scored per second, measured in one run.

Prints, on a realistic GRPO-like mix built from the 80 ground truths of ToolRL's validation split
(groups of 4 completions per prompt: exact, one value wrong, answered instead of calling, bad
separator; thoughts of ~120 words):

1. a plain per-completion loop of `score(...)`,
2. `score_batch` (ranges resolved once, ground truth parsed once per group),
3. `score_columns` (numbers only),
and the ratios to the loop; then
4. the same with no completion equal to its ground truth (every call has a wrong value), and
5. the time to re-score 1,000,000 stored completions with `score_many` on 2 processes.

Run: `python bench/reward_throughput.py [--million N] [--workers W]`. The released scorer does
about 33k completions/s on one core of the reference machine (issue #3); the aim is 3x that for
batch scoring and 1M in under 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from toolrl.rewards import RewardConfig, score, score_batch, score_columns  # noqa: E402
from toolrl.rewards.parallel import score_many  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared/data/toolrl/dataset/rlla_4k/test.parquet"
THOUGHT = " ".join(["the user wants this tool with these exact parameters"] * 15)


def ground_truths() -> list[str]:
    if DATA.exists():
        import pyarrow.parquet as pq

        return [r["reward_model"]["ground_truth"] for r in pq.read_table(DATA).to_pylist()]
    call = json.dumps({"name": "A", "parameters": {"x": "1", "y": 2}})
    return [f"<think> t </think>\n<tool_call>\n{call}\n</tool_call>"]


def group(gt: str) -> list[str]:
    """Four completions for one prompt, as a policy early in training might write them."""
    body = gt.split("</think>", 1)[1]
    exact = f"<think> {THOUGHT} </think>{body}"
    wrong = exact.replace('"', '"x', 3) if "<tool_call>" in body else exact
    answer = f"<think> {THOUGHT} </think>\n<response> Here is what I found. </response>"
    bad_sep = exact.replace("</think>\n", "</think> ", 1)
    return [exact, wrong, answer, bad_sep]


def rate(fn, n: int, min_time: float = 1.0) -> float:
    runs, start = 0, time.perf_counter()
    while True:
        fn()
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return n * runs / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million", type=int, default=1_000_000, help="completions to re-score")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    cfg = RewardConfig.preset("toolrl")
    gts = ground_truths()
    completions, group_gts = [], []
    for gt in gts:
        for c in group(gt):
            completions.append(c)
            group_gts.append(gt)
    n = len(completions)
    loop = rate(
        lambda: [score(c, g, cfg, 10, 105) for c, g in zip(completions, group_gts, strict=True)], n
    )
    batch = rate(lambda: score_batch(completions, group_gts, cfg, 10, 105), n)
    cols = rate(lambda: score_columns(completions, group_gts, cfg, 10, 105), n)
    print(
        f"workload: {n} completions ({len(gts)} prompts x 4), mean {sum(map(len, completions)) // n} chars"
    )
    print(f"score() loop     {loop:>10,.0f} completions/s")
    print(f"score_batch      {batch:>10,.0f} completions/s   {batch / loop:.2f}x the loop")
    print(f"score_columns    {cols:>10,.0f} completions/s   {cols / loop:.2f}x the loop")
    # Worst case for the exact-text shortcut: every tool completion differs from its ground truth.
    hard = [group(gt)[1] for gt in gts for _ in range(4)]
    hard_loop = rate(
        lambda: [score(c, g, cfg, 10, 105) for c, g in zip(hard, group_gts, strict=True)], n
    )
    hard_batch = rate(lambda: score_batch(hard, group_gts, cfg, 10, 105), n)
    print(
        f"no exact answers: loop {hard_loop:,.0f}/s, score_batch {hard_batch:,.0f}/s "
        f"({hard_batch / hard_loop:.2f}x)"
    )

    reps = -(-args.million // n)
    many = (completions * reps)[: args.million]
    many_gts = (group_gts * reps)[: args.million]
    start = time.perf_counter()
    result = score_many(many, many_gts, cfg, 10, 105, workers=args.workers)
    elapsed = time.perf_counter() - start
    assert len(result["total"]) == args.million
    print(
        f"score_many       {args.million:,} stored completions on {args.workers} processes in "
        f"{elapsed:.2f} s ({args.million / elapsed:,.0f}/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
