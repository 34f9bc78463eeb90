"""TRL reward functions (one per reward component) and rollout capture.

One TRL reward function per enabled component, named after it, so TRL logs
`rewards/format/mean`, `rewards/correctness/mean`, ... Each returns the component's value in its
`[min, max]` range at the current step, *unweighted*: the weights are TRL's `reward_weights`,
which the engine sets from the schedule before every step, so TRL's `reward` is the ToolRL total.
The functions share one scoring pass per generation batch (`RewardState`): the first to run
scores every completion once, logs the sub-scores and the rollout columns, the others reuse it.

A rollout record (one per completion, `build_rollouts`):

    step, prompt_id, group (index of the GRPO group in the generation round), sample (index in
    the group), completion (text), calls (parsed calls or null), ground_truth (ToolRL text),
    rewards {component: weighted value}, weights {component: weight}, total (= sum of rewards),
    advantage, error (why reward was lost, or null), format_ok, exact, length (tokens),
    truncated (no end-of-sequence token).

Example::

    >>> from toolrl.rewards import RewardConfig
    >>> state = RewardState(RewardConfig.preset("toolrl"), eos_token_id=0)
    >>> [f.__name__ for f in state.reward_funcs()]
    ['format', 'correctness']
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from toolrl.calls import calls_equal
from toolrl.parser import parse_calls
from toolrl.rewards import RewardConfig, effective_weights, parse_ground_truth, score_batch
from toolrl.rewards.scoring import as_text


def unweighted(cfg: RewardConfig) -> RewardConfig:
    """The same configuration with every weight set to 1 (weights are applied by TRL)."""
    data = cfg.model_dump()
    for name in ("format", "correctness", "length"):
        data[name]["weight"] = 1.0
    return RewardConfig.model_validate(data)


def subscores(
    details: dict[str, Any], gt_calls: list[dict[str, Any]] | None
) -> dict[str, float] | None:
    """Correctness sub-scores as fractions in [0, 1] (None for response-only ground truths).

    name: tool-name overlap; keys: parameter-name overlap per ground-truth call; values: share of
    ground-truth parameter values matched exactly.
    """
    if not gt_calls:
        return None
    if details.get("exact"):
        return {"name": 1.0, "keys": 1.0, "values": 1.0}
    n_params = sum(len(c.get("parameters", {})) for c in gt_calls)
    return {
        "name": float(details.get("name") or 0.0),
        "keys": float(details.get("keys") or 0.0) / len(gt_calls),
        "values": float(details.get("values") or 0.0) / n_params if n_params else 1.0,
    }


class RewardState:
    """Scoring shared by the component reward functions of one trainer, and the rollout columns."""

    def __init__(
        self, cfg: RewardConfig, eos_token_id: int | list[int] | None, capture: bool = True
    ) -> None:
        self.cfg = cfg
        self.scoring_cfg = unweighted(cfg)
        self.names = cfg.component_names()
        eos = eos_token_id if isinstance(eos_token_id, list) else [eos_token_id]
        self.eos = {e for e in eos if e is not None}
        self.capture = capture
        self._key: Any = None  # the `completions` list object last scored (one per batch)
        self._values: dict[str, list[float]] = {}
        self.generation = 0
        """Generation batches scored so far."""
        self.generation_step = 0
        """The optimizer step (1-based) the last scored batch trains."""
        self.weights: dict[str, float] = {}

    def weights_at(self, step: int, max_steps: int | None) -> dict[str, float]:
        """Effective component weights at a step (from the schedule)."""
        return effective_weights(self.cfg, step, max_steps)

    def _score(self, completions: list[Any], kwargs: dict[str, Any]) -> None:
        state = kwargs.get("trainer_state")
        step = state.global_step if state is not None else 0
        max_steps = state.max_steps if state is not None else None
        gts = kwargs["ground_truth"]
        breakdowns = score_batch(completions, gts, self.scoring_cfg, step=step, max_steps=max_steps)
        self._values = {n: [b.components[n] for b in breakdowns] for n in self.names}
        self.generation += 1
        self.generation_step = step + 1
        self.weights = self.weights_at(step, max_steps)
        log_metric: Callable | None = kwargs.get("log_metric")
        log_extra: Callable | None = kwargs.get("log_extra")
        ids = kwargs.get("completion_ids") or [None] * len(completions)
        texts = [as_text(c) for c in completions]
        parsed_gts = [parse_ground_truth(g) for g in gts]
        exact, subs, errors, truncated, calls = [], [], Counter(), [], []
        for text, b, gt, tok in zip(texts, breakdowns, parsed_gts, ids, strict=True):
            pred, _ = parse_calls(text)
            calls.append(pred)
            exact.append(calls_equal(pred, gt.calls) if gt.has_calls else pred is None)
            subs.append(subscores(b.details, gt.calls if gt.has_calls else None))
            errors[b.details.get("error") or "none"] += 1
            truncated.append(bool(tok) and tok[-1] not in self.eos)
        if log_metric is not None:
            n = len(completions)
            for name, w in self.weights.items():
                log_metric(f"weights/{name}", w)
            tool_subs = [s for s in subs if s is not None]
            for key in ("name", "keys", "values"):
                if tool_subs:
                    log_metric(
                        f"correctness/{key}", sum(s[key] for s in tool_subs) / len(tool_subs)
                    )
            log_metric("rollouts/exact", sum(exact) / n)
            log_metric(
                "rollouts/format_ok", sum(bool(b.details.get("format_ok")) for b in breakdowns) / n
            )
            log_metric("rollouts/truncated", sum(truncated) / n)
            for category, count in errors.items():
                if category != "none":
                    log_metric(f"errors/{category}", count / n)
        if log_extra is not None and self.capture:
            log_extra("prompt_id", list(kwargs.get("prompt_id") or [None] * len(completions)))
            log_extra("ground_truth", list(gts))
            log_extra("calls", [json.dumps(c) if c is not None else None for c in calls])
            log_extra("error", [b.details.get("error") for b in breakdowns])
            log_extra("format_ok", [bool(b.details.get("format_ok")) for b in breakdowns])
            log_extra("exact", exact)
            log_extra("length", [len(t) if t is not None else None for t in ids])
            log_extra("truncated", truncated)

    def component_values(
        self, name: str, completions: list[Any], kwargs: dict[str, Any]
    ) -> list[float]:
        """The batch's values of one component, scoring the batch on first use."""
        if self._key is not completions:
            self._score(completions, kwargs)
            self._key = completions
        return self._values[name]

    def reward_funcs(self) -> list[Callable[..., list[float]]]:
        """One TRL reward function per enabled component."""
        return [get_component_reward(self, name) for name in self.names]


def get_component_reward(state: RewardState, name: str) -> Callable[..., list[float]]:
    """A TRL reward function returning component `name` (named after it for TRL's logs)."""

    def reward(completions: list[Any], **kwargs: Any) -> list[float]:
        return state.component_values(name, completions, kwargs)

    reward.__name__ = name
    reward.__qualname__ = name
    return reward


def build_rollouts(
    logs: dict[str, Any], state: RewardState, num_generations: int
) -> list[dict[str, Any]]:
    """Rollout records from TRL's per-batch logs (`trainer._logs`) and our extra columns."""
    completions = list(logs["completion"])
    extra = {k: list(v) for k, v in logs["extra"].items()}
    rewards = {n: list(logs["rewards"][n]) for n in state.names if n in logs["rewards"]}
    advantages = list(logs["advantages"])
    out = []
    for i, completion in enumerate(completions):
        weighted = {n: state.weights.get(n, 1.0) * rewards[n][i] for n in rewards}
        calls = extra.get("calls", [None] * len(completions))[i]

        def col(key: str, i: int = i) -> Any:
            values = extra.get(key)
            return values[i] if values is not None and i < len(values) else None

        out.append(
            {
                "step": state.generation_step,
                "prompt_id": col("prompt_id"),
                "group": i // num_generations,
                "sample": i % num_generations,
                "completion": as_text(completion)
                if not isinstance(completion, str)
                else completion,
                "calls": json.loads(calls) if calls else None,
                "ground_truth": col("ground_truth"),
                "rewards": weighted,
                "weights": dict(state.weights),
                "total": sum(weighted.values()),
                "advantage": advantages[i] if i < len(advantages) else None,
                "error": col("error"),
                "format_ok": col("format_ok"),
                "exact": col("exact"),
                "length": col("length"),
                "truncated": col("truncated"),
            }
        )
    return out
