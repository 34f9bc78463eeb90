"""Seeded runs for the compare pages: finished runs with metric and evaluation rows written
through the same services the training sink uses, without training a model."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from django.utils import timezone

from tests.conftest import tiny_run_config
from toolrl_web.runs import ingest, services
from toolrl_web.runs.models import EvalRow, MetricRow, Run, RunStatus

# Keys TRL and our callbacks log every step besides the curves below, so rows are as wide as
# a real run's (the compare page must read only the requested keys out of them).
_OTHER_KEYS = (
    "grad_norm",
    "num_tokens",
    "epoch",
    "reward_std",
    "frac_reward_zero_std",
    "completions/min_length",
    "completions/max_length",
    "completions/clipped_ratio",
    "completions/mean_terminated_length",
    "clip_ratio/low_mean",
    "clip_ratio/high_mean",
    "clip_ratio/region_mean",
    "rewards/format/std",
    "rewards/correctness/std",
    "correctness/name",
    "correctness/param_names",
    "correctness/values",
    "weights/format",
    "weights/correctness",
    "rollouts/exact",
    "rollouts/format_ok",
    "rollouts/truncated",
    "errors/no_tool_block",
    "errors/invalid_json",
)


def metrics_at(step: int, *, lift: float, seed: int) -> dict:
    """A plausible GRPO log line: reward rising by `lift` per 100 steps, KL growing, noise."""
    rng = random.Random(seed * 100_003 + step)
    progress = step / 100
    values = {
        "reward": round(-1 + lift * progress + rng.gauss(0, 0.3), 5),
        "rewards/format/mean": round(min(1.0, 0.2 + 0.1 * lift * progress), 5),
        "rewards/correctness/mean": round(-1 + lift * progress * 0.8 + rng.gauss(0, 0.3), 5),
        "kl": round(0.001 * step * (1 + rng.random()), 6),
        "entropy": round(1.5 * math.exp(-progress / 5) + rng.random() * 0.05, 5),
        "completions/mean_length": round(60 + 10 * math.sin(step / 7) + rng.gauss(0, 3), 3),
        "loss": round(rng.gauss(0, 0.05), 6),
        "learning_rate": 3e-4,
    }
    values.update({key: round(rng.random(), 5) for key in _OTHER_KEYS})
    return values


def seed_run(
    *,
    project,
    user,
    name: str,
    steps: int,
    reward: str = "toolrl",
    lr: float = 3e-4,
    lift: float = 1.0,
    seed: int = 0,
    start: datetime | None = None,
    seconds_per_step: float = 2.0,
    status: str = RunStatus.FINISHED,
    resumed_from: Run | None = None,
    start_step: int = 0,
    eval_every: int = 0,
    sweep: str = "",
) -> Run:
    """A run launched through `run_create` (so its configuration is validated and complete),
    marked `status`, with one metric row per step from `start_step + 1` to `steps`."""
    config = tiny_run_config(
        name=name, reward=reward, grpo={"learning_rate": lr, "max_steps": steps}
    )
    run = services.run_create(project=project, user=user, config=config, name=name)
    start = start or timezone.now() - timedelta(hours=1)
    Run.objects.filter(pk=run.pk).update(
        status=status,
        started_at=start,
        finished_at=start + timedelta(seconds=seconds_per_step * (steps - start_step)),
        last_step=steps,
        max_steps=steps,
        resumed_from=resumed_from,
        start_step=start_step,
        sweep=sweep,
    )
    first = start_step + 1
    rows = [(s, metrics_at(s, lift=lift, seed=seed)) for s in range(first, steps + 1)]
    ingest.metrics_write(run_id=run.pk, rows=rows)
    # logged_at is set on insert; place each row where a run of this speed would have logged it.
    objs = list(MetricRow.objects.filter(run=run).only("pk", "step"))
    for obj in objs:
        obj.logged_at = start + timedelta(seconds=seconds_per_step * (obj.step - start_step))
    MetricRow.objects.bulk_update(objs, ["logged_at"], batch_size=500)
    for s in range(first, steps + 1):
        if eval_every and s % eval_every == 0:
            accuracy = round(min(1.0, 0.1 + lift * s / 200), 4)
            ingest.eval_write(
                run_id=run.pk,
                step=s,
                values={"eval/exact_call_accuracy": accuracy, "eval/format_rate": 0.9},
            )
    evals = list(EvalRow.objects.filter(run=run).only("pk", "step"))
    for obj in evals:
        obj.logged_at = start + timedelta(seconds=seconds_per_step * (obj.step - start_step))
    EvalRow.objects.bulk_update(evals, ["logged_at"])
    run.refresh_from_db()
    return run
