"""Wall time of the same tiny GRPO configuration through bare TRL and through our engine.

    python bench/overhead.py [--steps 20] [--rounds 2]

Both paths train the cached tiny model on the same synthetic rows with the same `GRPOConfig`
(from `RunConfig.trl_kwargs`), evaluation and checkpoints off, in one process, alternating
bare/ours per round after a warm-up. Bare TRL: `GRPOTrainer` with two plain reward functions
(format, correctness) and nothing else. Ours: `toolrl.training.engine.train`, i.e. the shared
scoring pass, sub-score metrics, reward-weight schedule, rollout capture and the file sink
writing metrics and rollouts every step. Prints the ratio ours / bare (aim <= 1.03).
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


def main() -> int:
    parser = argparse.ArgumentParser(description="bare TRL vs toolrl engine wall time")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
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
        bare.append(run_bare(cfg, str(tmp / f"bare-{i}")))
        ours.append(run_ours(cfg, str(tmp / f"ours-{i}")))
        print(f"round {i + 1}: bare TRL {bare[-1]:.1f} s, toolrl engine {ours[-1]:.1f} s")
    ratio = sum(ours) / sum(bare)
    print(f"{args.steps} steps x {args.rounds} rounds: bare {statistics.mean(bare):.1f} s, "
          f"ours {statistics.mean(ours):.1f} s per run; ratio ours/bare = {ratio:.3f} (aim <= 1.03)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
