"""The engine's TRL/transformers callbacks (imported only when training runs: needs torch).

`RunCallback` does, per optimizer step: write the rollouts of a new generation round, evaluate
every N steps, and turn a stop request, the wall-time limit or the last step into a checkpoint.
It also forwards TRL's logs to the sink and completes every checkpoint directory with the run
configuration. The reward schedule needs no hook: the reward functions compute each component's
weighted value at the step they score (`toolrl.training.rollouts`).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from toolrl.schema import Row
from toolrl.training.config import RunConfig
from toolrl.training.evaluation import evaluate_model
from toolrl.training.rollouts import RewardState, build_rollouts
from toolrl.training.sinks import Sink
from toolrl.training.trl_adapter import generation_logs

log = logging.getLogger(__name__)

CHECKPOINT_INFO = "toolrl_checkpoint.json"
RUN_CONFIG_FILE = "run_config.json"


class RunCallback(TrainerCallback):
    """Reward schedule, rollout capture, evaluation, stop/time limit and checkpoint hooks."""

    def __init__(
        self,
        cfg: RunConfig,
        sink: Sink,
        reward_state: RewardState,
        val_rows: list[Row],
        start_time: float | None = None,
    ) -> None:
        self.cfg = cfg
        self.sink = sink
        self.reward_state = reward_state
        self.val_rows = val_rows
        self.start_time = start_time or time.monotonic()
        self.trainer: Any = None  # set by trl_adapter.build_trainer
        self.status = "completed"
        self.written_generation = 0
        self.last_eval_step: int | None = None
        self.last_eval: dict[str, float] | None = None
        self.last_checkpoint: str | None = None
        self.saved_steps: set[int] = set()

    # --- helpers -----------------------------------------------------------------------------

    def _main(self, state: Any) -> bool:
        return bool(state.is_world_process_zero)

    def evaluate(self, state: Any) -> None:
        """Greedy evaluation on the validation rows (main process only)."""
        if not self.val_rows or not self._main(state):
            return
        model = self.trainer.accelerator.unwrap_model(self.trainer.model)
        t0 = time.monotonic()
        metrics, samples = evaluate_model(
            model,
            self.trainer.processing_class,
            self.val_rows,
            self.reward_state.cfg,
            max_new_tokens=self.cfg.eval_max_new_tokens or self.cfg.grpo.max_completion_length,
            batch_size=self.cfg.eval_batch_size,
            step=state.global_step,
            max_steps=state.max_steps,
        )
        metrics["eval/seconds"] = round(time.monotonic() - t0, 3)
        self.last_eval_step, self.last_eval = state.global_step, metrics
        self.sink.write_eval(state.global_step, metrics)
        self.sink.write_eval_samples(state.global_step, samples)

    # --- hooks -------------------------------------------------------------------------------

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.cfg.eval_every and self.cfg.eval_at_start and state.global_step == 0:
            self.evaluate(state)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        step = state.global_step
        rs = self.reward_state
        if self.cfg.log_rollouts and rs.generation != self.written_generation and self._main(state):
            self.written_generation = rs.generation
            logs = generation_logs(self.trainer)
            rollouts = build_rollouts(logs, rs, self.cfg.grpo.num_generations)
            self.sink.write_rollouts(rs.generation_step, rollouts)
        if self.cfg.eval_every and step % self.cfg.eval_every == 0:
            self.evaluate(state)
        # Every process must agree on stopping; the sink lives on the main process, so share it.
        stop = self.sink.stop_requested() if self._main(state) else False
        stop = self._broadcast(stop)
        over_time = (
            self.cfg.max_wall_time is not None
            and time.monotonic() - self.start_time > self.cfg.max_wall_time
        )
        if stop or over_time:
            self.status = "stopped" if stop else "time_limit"
            log.info("step %d: %s, saving a checkpoint and ending", step, self.status)
            control.should_save = True
            control.should_training_stop = True
        elif step >= state.max_steps and self.cfg.save_final_checkpoint:
            control.should_save = True

    def _broadcast(self, flag: bool) -> bool:
        acc = self.trainer.accelerator
        if acc.num_processes == 1:
            return flag
        t = torch.tensor([1 if flag else 0], device=acc.device)
        return bool(acc.reduce(t, reduction="sum").item())

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if logs and self._main(state):
            self.sink.write_metrics(state.global_step, dict(logs))

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        self.saved_steps.add(state.global_step)
        if not self._main(state) or not path.exists():
            return
        (path / RUN_CONFIG_FILE).write_text(self.cfg.to_json())
        info = {
            "step": state.global_step,
            "max_steps": state.max_steps,
            "status": self.status if control.should_training_stop else "running",
            "generation": self.reward_state.generation,
            "time": time.time(),
        }
        (path / CHECKPOINT_INFO).write_text(json.dumps(info, indent=2))
        self.last_checkpoint = str(path)
        self.sink.on_checkpoint(state.global_step, str(path))

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.cfg.eval_every and self.last_eval_step != state.global_step:
            self.evaluate(state)


class ProgressBar(TrainerCallback):
    """A tqdm bar on stderr: step, reward of the last step, ETA."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.reward: float | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=state.max_steps,
                initial=state.global_step,
                desc="train",
                unit="step",
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        if self.bar is not None and logs and "reward" in logs:
            self.bar.set_postfix(reward=f"{logs['reward']:.3f}", refresh=False)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
