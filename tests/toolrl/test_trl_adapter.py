"""What the engine assumes about TRL's internals, asserted on a real GRPO run of the fast tiny model.

If a TRL upgrade breaks one, the failing assertion names it (the names are the constants of
`toolrl.training.trl_adapter`, whose docstring says what each one means).
"""

from __future__ import annotations

import pytest

from tests.toolrl.smoke import smoke_config
from toolrl.training.trl_adapter import (
    CALLBACK_TRAINER,
    GENERATION_LOGS,
    REWARD_KWARGS,
    SHARED_COMPLETIONS,
    SUM_OF_REWARDS,
    TRL_VERSION,
    TRLAssumptionError,
    check_trainer,
    check_trl_version,
    generation_logs,
    installed_trl_version,
    shared_scoring,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_the_installed_trl_is_the_tested_version():
    assert installed_trl_version() == TRL_VERSION, check_trl_version()


@pytest.fixture(scope="module")
def observed(fast_model, tmp_path_factory):
    """Two GRPO steps through `build_trainer`, recording what TRL hands the reward functions,
    what it logs, and what a callback sees."""
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig

    from toolrl.training.data import load_splits, to_records
    from toolrl.training.engine import load_model
    from toolrl.training.trl_adapter import build_trainer

    cfg = smoke_config(grpo={"max_steps": 2}, eval_every=0, checkpoint_every=0)
    tokenizer, model = load_model(cfg)
    rows, _ = load_splits(cfg.data, cfg.seed)
    seen = {"calls": [], "scored": [], "logs": [], "callback_trainer": []}

    def score(completions, kwargs):
        # What every component function of one batch returns: distinct values per component.
        n = len(completions)
        kwargs["log_extra"]("echo", [str(c) for c in completions])
        kwargs["log_metric"]("probe/constant", 0.25)
        values = {"format": [0.5] * n, "correctness": [float(i % 3) for i in range(n)]}
        state = kwargs.get("trainer_state")
        step = state.global_step if state is not None else None  # the state object moves on
        seen["scored"].append(
            {"completions": list(completions), "kwargs": kwargs, "step": step, **values}
        )
        return values

    funcs = shared_scoring(["format", "correctness"], score)

    def spy(func):
        def reward(completions, **kwargs):
            seen["calls"].append((func.__name__, id(completions)))
            return func(completions=completions, **kwargs)

        reward.__name__ = func.__name__
        return reward

    class Probe(TrainerCallback):
        trainer = None

        def on_step_end(self, args, state, control, **kwargs):
            seen["callback_trainer"].append(self.trainer)
            seen["logs"].append(generation_logs(self.trainer))

    probe = Probe()
    trainer = build_trainer(
        model=model,
        reward_funcs=[spy(f) for f in funcs],
        args=GRPOConfig(**cfg.trl_kwargs(str(tmp_path_factory.mktemp("adapter")))),
        train_dataset=Dataset.from_list(to_records(rows)),
        processing_class=tokenizer,
        callback=probe,
    )
    trainer.train()
    seen["trainer"] = trainer
    seen["metrics"] = [r for r in trainer.state.log_history if "reward" in r]
    return seen


def test_shared_completions(observed):
    calls = observed["calls"]
    assert len(calls) == 4, f"{SHARED_COMPLETIONS}: expected 2 batches x 2 functions, got {calls}"
    for batch in (calls[:2], calls[2:]):
        names = [name for name, _ in batch]
        ids = {ident for _, ident in batch}
        assert names == ["format", "correctness"], f"{SHARED_COMPLETIONS}: call order {names}"
        assert len(ids) == 1, (
            f"{SHARED_COMPLETIONS} broken: the reward functions of one batch got different "
            "`completions` objects, so each would score the batch again"
        )
    assert len(observed["scored"]) == 2, f"{SHARED_COMPLETIONS}: scored {len(observed['scored'])}x"


def test_reward_kwargs(observed):
    for step, batch in enumerate(observed["scored"]):
        kwargs, n = batch["kwargs"], len(batch["completions"])
        for key in ("trainer_state", "completion_ids", "log_metric", "log_extra", "ground_truth",
                    "prompt_id"):  # fmt: skip
            assert key in kwargs, f"{REWARD_KWARGS} broken: reward functions get no {key!r}"
        assert batch["step"] == step, (
            f"{REWARD_KWARGS} broken: trainer_state.global_step is {batch['step']} while "
            f"scoring the batch of step {step + 1} (the reward schedule reads it)"
        )
        assert kwargs["trainer_state"].max_steps == 2, f"{REWARD_KWARGS}: max_steps"
        assert len(kwargs["completion_ids"]) == len(kwargs["ground_truth"]) == n, (
            f"{REWARD_KWARGS} broken: completion_ids/ground_truth are not one per completion"
        )


def test_sum_of_rewards(observed):
    trainer = observed["trainer"]
    assert [float(w) for w in trainer.reward_weights] == [1.0, 1.0], (
        f"{SUM_OF_REWARDS} broken: reward_weights {trainer.reward_weights}"
    )
    metrics = observed["metrics"]
    assert len(metrics) == 2
    for logged, batch in zip(metrics, observed["scored"], strict=True):
        n = len(batch["completions"])
        mean_sum = (
            sum(f + c for f, c in zip(batch["format"], batch["correctness"], strict=True)) / n
        )
        assert logged["reward"] == pytest.approx(mean_sum, abs=1e-6), (
            f"{SUM_OF_REWARDS} broken: TRL's reward {logged['reward']} is not the mean of the "
            f"sum of the reward functions' values ({mean_sum})"
        )
        assert logged["rewards/correctness/mean"] == pytest.approx(sum(batch["correctness"]) / n)
        assert logged["probe/constant"] == pytest.approx(0.25), "log_metric values are not logged"


def test_generation_logs(observed):
    assert len(observed["logs"]) == 2
    for logs, batch in zip(observed["logs"], observed["scored"], strict=True):
        texts = [str(c) for c in batch["completions"]]
        n = len(texts)
        assert [str(c) for c in logs.completions] == texts, (
            f"{GENERATION_LOGS} broken: trainer._logs['completion'] is not the scored batch"
        )
        assert len(logs.advantages) == n, f"{GENERATION_LOGS} broken: advantages per completion"
        assert logs.extra.get("echo") == texts, (
            f"{GENERATION_LOGS} broken: log_extra columns are not in trainer._logs['extra'] in "
            "the completions' order"
        )


def test_callback_trainer(observed):
    assert observed["callback_trainer"] and all(
        t is observed["trainer"] for t in observed["callback_trainer"]
    ), f"{CALLBACK_TRAINER} broken: the callback did not see the trainer"


def test_check_trainer_refuses_weights_that_are_not_ones(observed):
    import torch

    trainer = observed["trainer"]
    saved = trainer.reward_weights
    trainer.reward_weights = torch.tensor([1.0, 0.5])
    try:
        with pytest.raises(TRLAssumptionError, match=SUM_OF_REWARDS):
            check_trainer(trainer)
    finally:
        trainer.reward_weights = saved
