"""Comparing runs: which way is better for a metric, configuration diffs, legends, downsampling.

Pure functions over plain data (a run configuration dict, lists of numbers), so the compare
page and any script that compares runs agree.

Example::

    >>> metric_direction("reward"), metric_direction("kl"), metric_direction("entropy")
    ('higher', 'lower', None)
    >>> a = flatten_config({"reward": "toolrl", "grpo": {"learning_rate": 1e-4}})
    >>> b = flatten_config({"reward": "two-stage", "grpo": {"learning_rate": 1e-4}})
    >>> run_labels([a, b])
    ['reward=toolrl', 'reward=two-stage']
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any, Literal

Direction = Literal["higher", "lower"]

# Which way is better, first matching pattern wins. Metrics without a rule (entropy, lengths,
# learning rate, weights, token counts) describe a run but have no "better" direction.
_DIRECTION_RULES: tuple[tuple[str, Direction | None], ...] = (
    (r"^eval/seconds$", "lower"),
    (r"^eval/rows$", None),
    (r"^eval/", "higher"),  # accuracies, format rate, mean reward of the greedy evaluation
    (r"^reward$", "higher"),
    (r"^reward_std$", None),
    (r"^rewards/.*/mean$", "higher"),
    (r"^rewards/.*/std$", None),
    (r"^correctness/", "higher"),
    (r"^rollouts/(exact|format_ok)$", "higher"),
    (r"^rollouts/truncated$", "lower"),
    (r"^errors/", "lower"),
    (r"^(loss|policy_loss|aux_loss|train_loss)$", "lower"),
    (r"^kl$", "lower"),
    (r"^frac_reward_zero_std$", "lower"),
    (r"^completions/clipped_ratio$", "lower"),
    (r"^tools/failure_frequency$", "lower"),
)

DIRECTION_WORDS = {"higher": "higher is better", "lower": "lower is better", None: "no best"}


def metric_direction(name: str) -> Direction | None:
    """'higher' or 'lower' when one way is better for the metric, else None.

    >>> metric_direction("eval/exact_call_accuracy"), metric_direction("errors/no_call")
    ('higher', 'lower')
    """
    for pattern, direction in _DIRECTION_RULES:
        if re.search(pattern, name):
            return direction
    return None


_GROUPS = (
    (r"^reward(_std)?$", "Total reward"),
    (r"^rewards/", "Reward components"),
    (r"^(correctness|weights)/", "Reward sub-scores and weights"),
    (r"^eval/", "Evaluation"),
    (r"^(kl|entropy|loss|policy_loss|grad_norm|learning_rate|frac_reward_zero_std)$", "Training"),
    (r"^completions/", "Length"),
    (r"^(rollouts|errors)/", "Rollouts"),
)


def metric_group(name: str) -> str:
    """The heading a metric is listed under on the compare page.

    >>> metric_group("rewards/format/mean"), metric_group("completions/mean_length")
    ('Reward components', 'Length')
    """
    for pattern, group in _GROUPS:
        if re.search(pattern, name):
            return group
    return "Other"


def best_index(values: Sequence[float | None], direction: Direction | None) -> list[int]:
    """Positions holding the best value (ties all count); [] without a direction or values.

    >>> best_index([0.2, None, 0.5, 0.5], "higher"), best_index([0.2, 0.1], "lower")
    ([2, 3], [1])
    """
    present = [v for v in values if _finite(v)]
    if direction is None or not present:
        return []
    best = max(present) if direction == "higher" else min(present)
    return [i for i, v in enumerate(values) if _finite(v) and v == best]


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- configurations ----------------------------------------------------------------------------


def _number(value: float) -> str:
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        mantissa, exponent = f"{value:.3e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:g}"


def format_value(value: Any) -> str:
    """A configuration value as the page shows it (1e-4, true, null, JSON for lists).

    >>> format_value(0.0001), format_value(True), format_value(None), format_value([1, 2])
    ('1e-4', 'true', 'null', '[1, 2]')
    """
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def _describe_schedule(s: dict[str, Any]) -> str:
    """One readable cell for a reward schedule instead of eleven mostly empty fields."""
    over = f"by {s.get('by', 'progress')}"
    f = format_value
    if s["kind"] == "constant":
        return f(s.get("value"))
    if s["kind"] == "step":
        return f"{f(s.get('before'))} then {f(s.get('after'))} from {s.get('by')} {f(s.get('at'))}"
    if s["kind"] == "piecewise":
        return f"piecewise {over} through {f(s.get('points'))}"
    finish = "end" if s.get("finish") is None else f(s["finish"])
    span = f"{f(s.get('begin', 0.0))}–{finish}"
    return f"{s['kind']} {f(s.get('start'))} → {f(s.get('end'))} {over} {span}"


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict) and "kind" in value and "by" in value:
        out[prefix] = _describe_schedule(value)
    elif isinstance(value, dict) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = format_value(value)


def flatten_config(config: dict[str, Any]) -> dict[str, str]:
    """Every field of a run configuration as `dotted.key -> shown value`, the reward resolved.

    The run configuration holds a reward preset name or a mapping; the diff needs every component
    setting, so the reward is resolved (`RunConfig.reward_config`, `reward_weights` applied) into
    `reward.*` keys. A configuration the current library no longer accepts is shown as stored.

    >>> flat = flatten_config({"preset": "cpu-tiny", "reward": "two-stage"})
    >>> flat["reward.name"], flat["grpo.num_generations"], flat["reward.format.max"]
    ('two-stage', '4', '1 then 0.5 from step 30')
    """
    from toolrl.training.config import RunConfig

    try:
        run_config = RunConfig.from_dict(config)
        data = run_config.model_dump(mode="json")
        reward = run_config.reward_config().model_dump(mode="json")
    except Exception:  # noqa: BLE001 - an old or foreign configuration is still worth showing
        data, reward = dict(config), config.get("reward")
    out: dict[str, str] = {}
    for key, value in data.items():
        if key == "reward":
            reward = reward if isinstance(reward, dict) else {"name": reward}
            _flatten(reward, "reward", out)
        else:
            _flatten(value, key, out)
    return out


def config_rows(configs: Sequence[dict[str, str]]) -> list[tuple[str, list[str], bool]]:
    """(field, value per run, differs) for the union of fields, in first-seen order.

    A field one run lacks shows as "—" and counts as a difference.
    """
    keys: dict[str, None] = {}
    for flat in configs:
        keys.update(dict.fromkeys(flat))
    rows = []
    for key in keys:
        values = [flat.get(key, "—") for flat in configs]
        rows.append((key, values, len(set(values)) > 1))
    return rows


# Fields that name a run rather than describe how it trains.
_NOT_IN_LABELS = {"name"}
# Short legend names, in the order the legend lists them.
_SHORT = {"reward.name": "reward", "grpo.learning_rate": "lr"}


def _short_names(keys: list[str]) -> dict[str, str]:
    names = {}
    for key in keys:
        if key in _SHORT:
            names[key] = _SHORT[key]
            continue
        parts = key.split(".")
        depth = 1
        # Lengthen the name until no other chosen key ends the same way.
        while depth < len(parts) and any(
            k != key and k.split(".")[-depth:] == parts[-depth:] for k in keys
        ):
            depth += 1
        names[key] = ".".join(parts[-depth:])
    return names


def run_labels(configs: Sequence[dict[str, str]], *, most: int = 3) -> list[str]:
    """A legend name per run from the fields that differ between the runs (at most `most`).

    A differing reward preset stands for its component settings. Runs identical in every field
    get an empty label (the caller adds the run's id and name).

    >>> a = flatten_config({"reward": "toolrl", "grpo": {"learning_rate": 1e-4}})
    >>> b = flatten_config({"reward": "toolrl", "grpo": {"learning_rate": 3e-4}})
    >>> run_labels([a, b])
    ['lr=1e-4', 'lr=3e-4']
    """
    differing = [k for k, _, d in config_rows(configs) if d and k not in _NOT_IN_LABELS]
    if "reward.name" in differing:
        differing = [k for k in differing if k == "reward.name" or not k.startswith("reward.")]
    order = {key: i for i, key in enumerate(_SHORT)}
    differing.sort(key=lambda k: order.get(k, len(order)))
    chosen = differing[:most]
    names = _short_names(chosen)
    more = ", …" if len(differing) > most else ""
    labels = []
    for flat in configs:
        parts = [f"{names[k]}={flat.get(k, '—')}" for k in chosen]
        labels.append(", ".join(parts) + (more if parts else ""))
    return labels


# --- series ------------------------------------------------------------------------------------


def downsample(values: Sequence[float | None], max_points: int) -> list[int]:
    """Indices of at most `max_points` points that keep each bucket's lowest and highest value.

    The first and last points are always kept, so a curve keeps its ends and its spikes.

    >>> downsample([0, 5, 1, 1, 1, -4, 1, 2], 4)
    [0, 1, 5, 7]
    >>> downsample([1, 2, 3], 10)
    [0, 1, 2]
    """
    n = len(values)
    if n <= max_points:
        return list(range(n))
    buckets = max(1, (max_points - 2) // 2)
    keep = {0, n - 1}
    size = (n - 2) / buckets
    for b in range(buckets):
        lo, hi = 1 + int(b * size), 1 + int((b + 1) * size)
        present = [i for i in range(lo, min(hi, n - 1)) if _finite(values[i])]
        if present:
            keep.add(min(present, key=lambda i: values[i]))  # type: ignore[arg-type,return-value]
            keep.add(max(present, key=lambda i: values[i]))  # type: ignore[arg-type,return-value]
    return sorted(keep)
