"""Health hints for a training run: plain-language warnings computed from what it logged.

The run page and any other reader (a CLI, a report) call these functions, so they never
disagree. Each hint names the rollouts that show it as filters of the rollout browser.

The checks:

- `equal_groups`: most GRPO groups have equal rewards (`frac_reward_zero_std` high). Their
  advantage is zero, so nothing is learned from them.
- `truncated`: many completions are cut at the maximum length (`completions/clipped_ratio`).
- `saturated`: one reward component is at its maximum for nearly every rollout while another
  stays low: the saturated one no longer tells completions apart.
- `reward_not_task`: the training reward rises while the held-out exact-call accuracy stays flat
  over recent evaluations: the model may be learning the reward, not the task.

Example::

    >>> rows = [(s, {"frac_reward_zero_std": 0.9, "reward": 1.0}) for s in range(1, 11)]
    >>> [h.kind for h in health_hints(metrics=rows)]
    ['equal_groups']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# How many recent logged steps a check averages over, and the fewest it needs to say anything.
WINDOW = 10
MIN_STEPS = 3
# Share of groups with equal rewards above which the page warns.
EQUAL_GROUPS_SHARE = 0.5
# Share of completions cut at the maximum length above which the page warns.
TRUNCATED_SHARE = 0.2
# A component is saturated when this share of rollouts sits at its maximum...
SATURATED_SHARE = 0.9
# ... and another one is low when its mean is in the bottom part of its range.
LOW_FRACTION = 0.5
# The reward-not-task check needs this many evaluations, flat within FLAT_ACCURACY,
# while the reward rose by at least REWARD_RISE over the same steps.
EVAL_WINDOW = 3
FLAT_ACCURACY = 0.02
REWARD_RISE = 0.1


@dataclass(frozen=True)
class Hint:
    kind: str
    message: str
    # Query parameters of the rollout browser that show the rollouts behind the hint.
    filters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComponentStats:
    """One reward component over the rollouts of one step."""

    share_at_max: float
    mean_fraction: float  # the mean's place in the component's range: 0 at min, 1 at max
    low_cut: float  # the value half way up the range (rollouts at or below it are "low")


def _recent(metrics: Sequence[tuple[int, Mapping[str, Any]]], key: str) -> list[float]:
    values = [v.get(key) for _, v in metrics[-WINDOW:]]
    return [float(x) for x in values if isinstance(x, int | float)]


def _recent_mean(metrics, key: str) -> tuple[float | None, int]:
    """The mean of `key` over the last WINDOW steps and how many steps that is (None when
    fewer than MIN_STEPS logged it: one noisy step is no trend)."""
    values = _recent(metrics, key)
    return (_mean(values) if len(values) >= MIN_STEPS else None), len(values)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _equal_groups(metrics, last_step: int) -> Hint | None:
    share, steps = _recent_mean(metrics, "frac_reward_zero_std")
    if share is None or share < EQUAL_GROUPS_SHARE:
        return None
    return Hint(
        "equal_groups",
        f"{share:.0%} of groups had equal rewards over the last {steps} steps: a group whose "
        "completions all score the same has zero advantage, so nothing is learned from it. "
        "More completions per prompt, a higher temperature or a finer reward spread them.",
        {"step": last_step, "equal_groups": 1},
    )


def _truncated(metrics) -> Hint | None:
    share, steps = _recent_mean(metrics, "completions/clipped_ratio")
    if share is None or share < TRUNCATED_SHARE:
        return None
    return Hint(
        "truncated",
        f"{share:.0%} of completions were cut at the maximum length over the last {steps} "
        "steps: they cannot close their tool call. Raise max_completion_length or reward "
        "shorter thoughts.",
        {"truncated": 1},
    )


def _saturated(components: Mapping[str, ComponentStats], step: int | None) -> Hint | None:
    full = [n for n, s in components.items() if s.share_at_max >= SATURATED_SHARE]
    low = [n for n, s in components.items() if n not in full and s.mean_fraction <= LOW_FRACTION]
    if not full or not low:
        return None
    name = low[0]
    stats = components[name]
    filters: dict[str, Any] = {"component": name, "max": round(stats.low_cut, 4)}
    if step is not None:
        filters = {"step": step, **filters}
    return Hint(
        "saturated",
        f"{', '.join(full)} is at its maximum for {components[full[0]].share_at_max:.0%} of "
        f"rollouts while {name} stays low ({stats.mean_fraction:.0%} of its range): the "
        f"saturated reward no longer tells completions apart; the learning signal is {name}.",
        filters,
    )


def _reward_not_task(
    rewards: Sequence[tuple[int, float]], evals: Sequence[tuple[int, float]], last_step: int
) -> Hint | None:
    recent = list(evals[-EVAL_WINDOW:])
    if len(recent) < EVAL_WINDOW:
        return None
    accuracies = [a for _, a in recent]
    if max(accuracies) - min(accuracies) > FLAT_ACCURACY:
        return None
    since = recent[0][0]
    span = [r for s, r in rewards if s >= since]
    if len(span) < 2:
        return None
    quarter = max(1, len(span) // 4)
    rise = _mean(span[-quarter:]) - _mean(span[:quarter])
    if rise < REWARD_RISE:
        return None
    return Hint(
        "reward_not_task",
        f"The training reward rose by {rise:.2f} since step {since} while the held-out "
        f"exact-call accuracy stayed at {accuracies[-1]:.0%} over the last {EVAL_WINDOW} "
        "evaluations: the model may be learning the reward, not the task.",
        {"step": last_step},
    )


def health_hints(
    *,
    metrics: Sequence[tuple[int, Mapping[str, Any]]],
    evals: Sequence[tuple[int, float]] = (),
    rewards: Sequence[tuple[int, float]] | None = None,
    components: Mapping[str, ComponentStats] | None = None,
    rollout_step: int | None = None,
) -> list[Hint]:
    """The hints for a run.

    `metrics`: recent (step, logged values) in step order; `evals`: (step, held-out exact-call
    accuracy) in step order; `rewards`: (step, total reward) since the oldest of the recent
    evaluations (defaults to `metrics`); `components`: per-component stats of the rollouts of
    `rollout_step` (see `component_stats`).
    """
    last_step = metrics[-1][0] if metrics else 0
    if rewards is None:
        rewards = [(s, float(v["reward"])) for s, v in metrics if _is_num(v.get("reward"))]
    found = [
        _equal_groups(metrics, last_step),
        _truncated(metrics),
        _saturated(components or {}, rollout_step),
        _reward_not_task(rewards, evals, last_step),
    ]
    return [h for h in found if h is not None]


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def component_bounds(reward_cfg: Any, step: float, max_steps: float | None) -> dict[str, tuple]:
    """Each enabled component's weighted (min, max) at `step`, the range its logged value is in.

    >>> from toolrl.rewards import RewardConfig
    >>> component_bounds(RewardConfig.preset("toolrl"), 0, 10)
    {'format': (0.0, 1.0), 'correctness': (-3.0, 3.0)}
    """
    from toolrl.rewards.schedule import value_at

    bounds = {}
    for name in reward_cfg.component_names():
        part = getattr(reward_cfg, name)
        w = value_at(part.weight, step, max_steps)
        a, b = w * value_at(part.min, step, max_steps), w * value_at(part.max, step, max_steps)
        bounds[name] = (min(a, b), max(a, b))
    return bounds


def component_stats(
    rollout_rewards: Sequence[Mapping[str, Any]], bounds: Mapping[str, tuple]
) -> dict[str, ComponentStats]:
    """Per component: the share of rollouts at the maximum and where the mean lies in the range.

    >>> component_stats([{"format": 1.0}, {"format": 0.0}], {"format": (0.0, 1.0)})
    {'format': ComponentStats(share_at_max=0.5, mean_fraction=0.5, low_cut=0.5)}
    """
    stats = {}
    for name, (lo, hi) in bounds.items():
        values = [float(r[name]) for r in rollout_rewards if _is_num(r.get(name))]
        if not values or hi <= lo:
            continue
        tolerance = 1e-6 * max(1.0, abs(hi))
        stats[name] = ComponentStats(
            share_at_max=sum(v >= hi - tolerance for v in values) / len(values),
            mean_fraction=(sum(values) / len(values) - lo) / (hi - lo),
            low_cut=lo + LOW_FRACTION * (hi - lo),
        )
    return stats
