"""Wall time of the same tiny GRPO configuration through bare TRL and through our engine.

    python bench/overhead.py [--steps 20] [--rounds 2] [--breakdown]

Both paths train the cached tiny model on the same synthetic rows with the same `GRPOConfig`
(from `RunConfig.trl_kwargs`), evaluation and checkpoints off, in one process, after a
warm-up, bare first in odd rounds and ours first in even ones. Bare TRL: `GRPOTrainer` with two
plain reward functions (format, correctness) and nothing else. Ours:
`toolrl.training.engine.train`, i.e. the shared scoring pass, sub-score metrics, reward-weight
schedule, rollout capture and the file sink writing metrics and rollouts every step. Prints the ratio ours / bare (aim <= 1.03).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_config(steps: int):
    from toolrl.training.config import RunConfig

    return RunConfig.from_preset(
        "cpu-tiny",
        grpo={"max_steps": steps},
        eval_every=0,
        checkpoint_every=0,
        save_final_checkpoint=False,
        device="cpu",
    )


def run_bare(cfg, out: str) -> float:
    """Plain TRL: everything a user would write by hand for the same run."""
    t0 = time.monotonic()
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from toolrl.rewards import score_columns
    from toolrl.synthetic import make_splits
    from toolrl.tiny import resolve_model_path
    from toolrl.training.data import to_records

    path = resolve_model_path(cfg.model.name_or_path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    train_rows, _ = make_splits(
        cfg.data.synthetic_train, cfg.data.synthetic_validation, seed=cfg.seed
    )
    reward_cfg = cfg.reward_config()

    def format(completions, ground_truth, **kw):  # noqa: A001 - TRL logs the function name
        return score_columns(completions, ground_truth, reward_cfg)["format"]

    def correctness(completions, ground_truth, **kw):
        return score_columns(completions, ground_truth, reward_cfg)["correctness"]

    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[format, correctness],
        args=GRPOConfig(**cfg.trl_kwargs(out)),
        train_dataset=Dataset.from_list(to_records(train_rows)),
        processing_class=tokenizer,
    )
    trainer.train()
    return time.monotonic() - t0


def run_ours(cfg, out: str) -> float:
    from toolrl.training.engine import train

    t0 = time.monotonic()
    train(cfg, out)
    return time.monotonic() - t0


NESTED = "  of which "


def run_ours_instrumented(cfg, out: str) -> tuple[float, dict[str, float]]:
    """One more run of ours with timers around our own per-step code (reward scoring pass,
    callbacks, sink writes): the part of the ratio that is ours rather than the machine's noise."""
    import collections
    import functools

    from toolrl.training import callbacks, rollouts, sinks

    spent: collections.Counter[str] = collections.Counter()
    patched = []

    def timed(owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return original(*a, **k)
            finally:
                spent[label] += time.perf_counter() - t

        patched.append((owner, name, original))
        setattr(owner, name, wrapper)

    timed(rollouts.RewardState, "score", "reward scoring pass")
    # Inside the scoring pass (not added to the total): the failure label of every rollout.
    timed(rollouts, "classify_parsed", NESTED + "failure taxonomy")
    for name in ("on_step_end", "on_log"):
        timed(callbacks.RunCallback, name, f"callback {name}")
    for name in ("write_metrics", "write_rollouts", "stop_requested"):
        timed(sinks.SafeSinks, name, f"sink {name}")
    try:
        seconds = run_ours(cfg, out)
    finally:
        for owner, name, original in patched:
            setattr(owner, name, original)
    return seconds, dict(spent)


def main() -> int:
    parser = argparse.ArgumentParser(description="bare TRL vs toolrl engine wall time")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="one more instrumented run: seconds spent in our own per-step code",
    )
    args = parser.parse_args()

    from toolrl.training.engine import _silence_libraries

    _silence_libraries()
    cfg = make_config(args.steps)
    tmp = Path(tempfile.mkdtemp(prefix="toolrl-overhead-"))
    # Warm-up: builds/loads the tiny model, imports, first-call costs, for both paths.
    run_bare(make_config(2), str(tmp / "warm-bare"))
    run_ours(make_config(2), str(tmp / "warm-ours"))
    bare, ours = [], []
    for i in range(args.rounds):
        # Alternate which path goes first (ABBA), so a drift in the machine's speed over the
        # session (other load, CPU clocks) does not land on one side only.
        if i % 2 == 0:
            bare.append(run_bare(cfg, str(tmp / f"bare-{i}")))
            ours.append(run_ours(cfg, str(tmp / f"ours-{i}")))
        else:
            ours.append(run_ours(cfg, str(tmp / f"ours-{i}")))
            bare.append(run_bare(cfg, str(tmp / f"bare-{i}")))
        print(
            f"round {i + 1}: bare TRL {bare[-1]:.1f} s, toolrl engine {ours[-1]:.1f} s, "
            f"ratio {ours[-1] / bare[-1]:.3f}",
            flush=True,
        )
    ratio = sum(ours) / sum(bare)
    per_round = [o / b for o, b in zip(ours, bare, strict=True)]
    print(f"{args.steps} steps x {args.rounds} rounds: bare {statistics.mean(bare):.1f} s, "
          f"ours {statistics.mean(ours):.1f} s per run; ratio ours/bare = {ratio:.3f} "
          f"(median of rounds {statistics.median(per_round):.3f}; aim <= 1.03)")  # fmt: skip
    if args.breakdown:
        seconds, spent = run_ours_instrumented(cfg, str(tmp / "ours-instrumented"))
        ours_code = sum(v for k, v in spent.items() if not k.startswith(NESTED))
        print(f"instrumented run {seconds:.1f} s, of which our per-step code {ours_code * 1000:.0f} ms "
              f"({100 * ours_code / seconds:.2f} %):")  # fmt: skip
        for label, value in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {label:36s} {value * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
