"""What the reward pages cost per keystroke: `explain` (the playground partial's computation)
against `score` on the same completion, and `schedule_points` for the editor's live chart.

    python bench/reward_playground.py [--repeat N]

Prints microseconds per call and the ratio explain/score (both measured in this process), so
the playground's extra work (parsing for display, pairing calls) is seen against the reward
itself. The page adds template rendering and one DB read on top.
"""

from __future__ import annotations

import argparse
import time

from toolrl.rewards import RewardConfig, explain, schedule_points, score

GT = (
    '<think> t </think>\n<tool_call>\n{"name": "get_weather", "parameters": {"city": "Paris",'
    ' "days": 2}}\n{"name": "get_time", "parameters": {"city": "Paris"}}\n</tool_call>'
)
CASES = {
    "exact": GT,
    "wrong value": GT.replace('"days": 2', '"days": 3'),
    "invalid json": GT.replace('"days": 2}}', '"days": 2}'),
    "long thought": GT.replace("<think> t", "<think> " + "word " * 2000),
}


def per_call(fn, repeat: int) -> float:
    fn()  # warm
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    cfg = RewardConfig.preset("two-stage")
    print(f"{'case':<14}{'score us':>10}{'explain us':>12}{'ratio':>8}")
    for name, text in CASES.items():
        s = per_call(lambda t=text: score(t, GT, cfg, 50, 100).details, args.repeat)
        e = per_call(lambda t=text: explain(t, GT, cfg, 50, 100), args.repeat)
        print(f"{name:<14}{s:>10.1f}{e:>12.1f}{e / s:>8.2f}")
    for steps in (100, 100_000):
        us = per_call(lambda n=steps: schedule_points(cfg, n, n=min(n + 1, 201)), 200)
        print(f"schedule_points(two-stage, {steps} steps, <=201 points): {us:.0f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
