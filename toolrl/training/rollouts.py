"""TRL reward functions (one per reward component) and rollout capture.

One TRL reward function per enabled component, named after it, so TRL logs
`rewards/format/mean`, `rewards/correctness/mean`, ... Each returns the component's *weighted*
value at the current step, computed by the same function as `toolrl.rewards.score` (TRL's own
`reward_weights` stay 1), so the components add up to TRL's `reward`, the ToolRL total. The
functions share one scoring pass per generation batch (`RewardState.score`): it scores every
completion once, classifies it (`toolrl.taxonomy`), logs the sub-scores and the rollout columns.

A rollout record (one per completion, `build_rollouts`):

    step, prompt_id, group (index of the GRPO group in the generation round), sample (index in
    the group), completion (text), calls (parsed calls or null), ground_truth (ToolRL text),
    rewards {component: weighted value}, weights {component: weight}, total (= sum of rewards),
    advantage, error (why reward was lost, or null), failure (the taxonomy label), format_ok,
    exact, length (tokens), truncated (no end-of-sequence token), prompt (the messages the model
    read; on the first completion of each group only, since the group shares it).

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
from toolrl.explain import subscores
from toolrl.parser import parse_calls
from toolrl.rewards import (
    Breakdown,
    RewardConfig,
    effective_weights,
    parse_ground_truth,
    score_batch,
)
from toolrl.rewards.scoring import as_text
from toolrl.taxonomy import classify_parsed
from toolrl.training.trl_adapter import GenerationLogs, shared_scoring

# Rollout columns computed per completion by the scoring pass and logged through TRL; all but
# `calls` (JSON text in the logs) go into the rollout record as they are.
_PASSED_THROUGH = ("error", "failure", "format_ok", "exact", "length", "truncated")
_PER_COMPLETION = ("calls", *_PASSED_THROUGH)


class RewardState:
    """The scoring pass shared by the component reward functions of one trainer, and the
    rollout columns it logs through TRL."""

    def __init__(
        self, cfg: RewardConfig, eos_token_id: int | list[int] | None, capture: bool = True
    ) -> None:
        self.cfg = cfg
        self.names = cfg.component_names()
        eos = eos_token_id if isinstance(eos_token_id, list) else [eos_token_id]
        self.eos = {e for e in eos if e is not None}
        self.capture = capture
        self.generation = 0
        """Generation batches scored so far."""
        self.generation_step = 0
        """The optimizer step (1-based) the last scored batch trains."""
        self.weights: dict[str, float] = {}

    def weights_at(self, step: int, max_steps: int | None) -> dict[str, float]:
        """Effective component weights at a step (from the schedule)."""
        return effective_weights(self.cfg, step, max_steps)

    def reward_funcs(self) -> list[Callable[..., list[float]]]:
        """One TRL reward function per enabled component, sharing `score`."""
        return shared_scoring(self.names, self.score)

    def score(self, completions: list[Any], kwargs: dict[str, Any]) -> dict[str, list[float]]:
        """Score one generation batch: each component's weighted values (what TRL receives);
        logs the step's sub-score metrics and, when capturing, the rollout columns."""
        state = kwargs.get("trainer_state")
        step = state.global_step if state is not None else 0
        max_steps = state.max_steps if state is not None else None
        gts = kwargs["ground_truth"]
        breakdowns = score_batch(completions, gts, self.cfg, step=step, max_steps=max_steps)
        self.generation += 1
        self.generation_step = step + 1
        self.weights = self.weights_at(step, max_steps)
        columns = self._columns(completions, breakdowns, gts, kwargs.get("completion_ids"))
        log_metric: Callable | None = kwargs.get("log_metric")
        if log_metric is not None:
            self._log_metrics(log_metric, breakdowns, columns)
        log_extra: Callable | None = kwargs.get("log_extra")
        if log_extra is not None and self.capture:
            n = len(completions)
            log_extra("prompt_id", list(kwargs.get("prompt_id") or [None] * n))
            log_extra("ground_truth", list(gts))
            log_extra("rewards", [dict(b.components) for b in breakdowns])
            log_extra("total", [b.total for b in breakdowns])
            for key in _PER_COMPLETION:
                log_extra(key, columns[key])
        return {n: [b.components[n] for b in breakdowns] for n in self.names}

    def _columns(
        self,
        completions: list[Any],
        breakdowns: list[Breakdown],
        gts: list[Any],
        completion_ids: list[list[int]] | None,
    ) -> dict[str, list[Any]]:
        """Per completion: parsed calls, exact, sub-scores, error, failure label, truncation.

        Each completion's calls are read once here; the failure label reuses them and the
        breakdown's format check (`classify_parsed`).
        """
        ids = completion_ids or [None] * len(completions)
        cols: dict[str, list[Any]] = {k: [] for k in (*_PER_COMPLETION, "subscores")}
        for completion, b, gt_text, tok in zip(completions, breakdowns, gts, ids, strict=True):
            gt = parse_ground_truth(gt_text)  # cached: a group parses its ground truth once
            text = as_text(completion)
            pred, call_error = parse_calls(text)
            layout_ok = bool(b.details["format_ok"])
            cols["calls"].append(json.dumps(pred) if pred is not None else None)
            cols["error"].append(b.details.get("error"))
            cols["failure"].append(classify_parsed(text, pred, call_error, gt, layout_ok))
            cols["format_ok"].append(layout_ok)
            cols["exact"].append(calls_equal(pred, gt.calls) if gt.has_calls else pred is None)
            cols["subscores"].append(subscores(b.details, gt.calls if gt.has_calls else None))
            cols["length"].append(len(tok) if tok is not None else None)
            cols["truncated"].append(bool(tok) and tok[-1] not in self.eos)
        return cols

    def _log_metrics(
        self, log_metric: Callable, breakdowns: list[Breakdown], cols: dict[str, list[Any]]
    ) -> None:
        n = len(breakdowns)
        for name, w in self.weights.items():
            log_metric(f"weights/{name}", w)
        tool_subs = [s for s in cols["subscores"] if s is not None]
        for key in ("name", "keys", "values"):
            if tool_subs:
                log_metric(f"correctness/{key}", sum(s[key] for s in tool_subs) / len(tool_subs))
        log_metric("rollouts/exact", sum(cols["exact"]) / n)
        log_metric("rollouts/format_ok", sum(cols["format_ok"]) / n)
        log_metric("rollouts/truncated", sum(cols["truncated"]) / n)
        for category, count in Counter(e for e in cols["error"] if e).items():
            log_metric(f"errors/{category}", count / n)


def build_rollouts(
    logs: GenerationLogs, state: RewardState, num_generations: int
) -> list[dict[str, Any]]:
    """Rollout records of the last generation round (every process's, as TRL gathered them)."""
    n = len(logs.completions)

    def column(key: str) -> list[Any]:
        values = logs.extra.get(key) or []
        return values[:n] + [None] * (n - len(values))

    cols = {key: column(key) for key in ("prompt_id", "ground_truth", "rewards", "total", "calls")}
    cols.update((key, column(key)) for key in _PASSED_THROUGH)
    out = []
    for i, completion in enumerate(logs.completions):
        calls = cols["calls"][i]
        out.append(
            {
                "step": state.generation_step,
                "prompt_id": cols["prompt_id"][i],
                "group": i // num_generations,
                "sample": i % num_generations,
                "completion": completion if isinstance(completion, str) else as_text(completion),
                "calls": json.loads(calls) if calls else None,
                "ground_truth": cols["ground_truth"][i],
                "rewards": cols["rewards"][i] or {},
                "weights": dict(state.weights),
                "total": cols["total"][i],
                "advantage": logs.advantages[i] if i < len(logs.advantages) else None,
                **{key: cols[key][i] for key in _PASSED_THROUGH},
            }
        )
        if i % num_generations == 0 and i < len(logs.prompts):
            out[-1]["prompt"] = logs.prompts[i]
    return out
