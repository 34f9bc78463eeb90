"""The reward lab's arithmetic: how re-scoring stored rollouts under another reward changes GRPO.

Pure functions over numpy arrays, so the web page, a CLI and a notebook give the same numbers.
A GRPO group is the set of completions of one prompt at one step; its advantages are
`(r - mean) / (std + 1e-6)` with the unbiased (n - 1) standard deviation, as the released code
computes them (docs/toolrl-method.md). A group of one gets advantage 0.

Example::

    >>> import numpy as np
    >>> s = compare_rewards(steps=[1, 1, 1, 1], groups=[0, 0, 0, 0],
    ...                     old={"total": [1.0, 2.0, 3.0, 4.0]}, new={"total": [4.0, 3.0, 2.0, 1.0]})
    >>> s["groups"], s["ranking_changed"], s["best_changed"], s["spearman"]
    (1, 1, 1, -1.0)

numpy only; scipy is imported when a Kendall correlation is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

EPS = 1e-6
# Pairwise comparisons within groups are done this many groups at a time (memory bound).
_BLOCK = 20_000


def group_codes(steps: Sequence[int], groups: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Each rollout's group number (0..n_groups-1) and the `(step, group)` key of each group.

    >>> codes, keys = group_codes([2, 1, 2], [0, 0, 0])
    >>> codes.tolist(), keys.tolist()
    ([1, 0, 1], [[1, 0], [2, 0]])
    """
    step_a, group_a = np.asarray(steps, np.int64), np.asarray(groups, np.int64)
    if len(step_a) == 0:
        return np.zeros(0, np.int64), np.zeros((0, 2), np.int64)
    # One integer per (step, group), in (step, group) order: a 1-D sort, not a row-wise one.
    g0, s0 = int(group_a.min()), int(step_a.min())
    width = int(group_a.max()) - g0 + 1
    key = (step_a - s0) * width + (group_a - g0)
    if len(key) > 1 and (key[1:] >= key[:-1]).all():  # stored in order: no sort needed
        first = np.concatenate([[True], key[1:] != key[:-1]])
        codes, uniq = np.cumsum(first) - 1, key[first]
    else:
        uniq, codes = np.unique(key, return_inverse=True)
    keys = np.column_stack([uniq // width + s0, uniq % width + g0])
    return codes.reshape(-1), keys


def grpo_advantages(rewards: Sequence[float], codes: np.ndarray, eps: float = EPS) -> np.ndarray:
    """GRPO advantages within groups: `(r - mean) / (unbiased std + eps)`; 0 for a group of one.

    >>> grpo_advantages([1.0, 3.0, 5.0, 5.0], np.array([0, 0, 1, 1])).round(3).tolist()
    [-0.707, 0.707, 0.0, 0.0]
    """
    r = np.asarray(rewards, np.float64)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    size = np.bincount(codes, minlength=n_groups).astype(np.float64)
    mean = np.bincount(codes, weights=r, minlength=n_groups) / np.maximum(size, 1)
    dev = r - mean[codes]
    var = np.bincount(codes, weights=dev * dev, minlength=n_groups) / np.maximum(size - 1, 1)
    return dev / (np.sqrt(var)[codes] + eps)


def _padded(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """A (n_groups, largest group) matrix of the values, NaN where a group is shorter."""
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    size = np.bincount(codes, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    position = np.arange(len(codes)) - start[sorted_codes]
    out = np.full((n_groups, int(size.max()) if n_groups else 0), np.nan)
    out[sorted_codes, position] = values[order]
    return out


def ranking_changes(
    old: Sequence[float], new: Sequence[float], codes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per group: does the order of its completions change, and does its best completion change?

    The order changes when some pair is ordered differently (a tie counts as an order of its
    own, so a tie that breaks is a change). The best completions are those with the group's
    highest total; the best changes when that set differs.

    >>> r, b = ranking_changes([1, 2, 5, 5], [2, 1, 5, 5], np.array([0, 0, 1, 1]))
    >>> r.tolist(), b.tolist()
    ([True, False], [True, False])
    """
    old_a, new_a = np.asarray(old, np.float64), np.asarray(new, np.float64)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    if n_groups == 0:
        return np.zeros(0, bool), np.zeros(0, bool)
    old_m, new_m = _padded(old_a, codes, n_groups), _padded(new_a, codes, n_groups)
    ranking = np.zeros(n_groups, bool)
    for lo in range(0, n_groups, _BLOCK):
        o, n = old_m[lo : lo + _BLOCK], new_m[lo : lo + _BLOCK]
        valid = ~np.isnan(o)
        pair_ok = valid[:, :, None] & valid[:, None, :]
        with np.errstate(invalid="ignore"):
            so = np.sign(o[:, :, None] - o[:, None, :])
            sn = np.sign(n[:, :, None] - n[:, None, :])
        ranking[lo : lo + _BLOCK] = ((so != sn) & pair_ok).any(axis=(1, 2))
    valid = ~np.isnan(old_m)
    with np.errstate(invalid="ignore"):
        best_old = old_m == np.nanmax(np.where(valid, old_m, -np.inf), axis=1, keepdims=True)
        best_new = new_m == np.nanmax(np.where(valid, new_m, -np.inf), axis=1, keepdims=True)
    best = ((best_old != best_new) & valid).any(axis=1)
    return ranking, best


def _ranks(a: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties given their average rank."""
    order = np.argsort(a, kind="mergesort")
    sorted_a = a[order]
    new_value = np.concatenate([[True], sorted_a[1:] != sorted_a[:-1]])
    tie_id = np.cumsum(new_value) - 1
    first = np.flatnonzero(new_value)
    last = np.concatenate([first[1:], [len(a)]]) - 1
    avg = (first + last) / 2.0 + 1.0
    ranks = np.empty(len(a))
    ranks[order] = avg[tie_id]
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation (ties averaged); None when either side is constant.

    >>> spearman([1, 2, 3], [10, 20, 30]), spearman([1, 2, 3], [3, 2, 1]), spearman([1, 1], [1, 2])
    (1.0, -1.0, None)
    """
    ra, rb = _ranks(np.asarray(a, np.float64)), _ranks(np.asarray(b, np.float64))
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = float(np.sqrt((ra * ra).sum() * (rb * rb).sum()))
    return None if denom == 0 else round(float((ra * rb).sum() / denom), 12)


def kendall(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Kendall's tau-b (O(n log n), scipy); None when either side is constant.

    >>> kendall([1, 2, 3, 4], [1, 3, 2, 4])
    0.666666666667
    """
    from scipy.stats import kendalltau

    tau = kendalltau(np.asarray(a, np.float64), np.asarray(b, np.float64)).statistic
    return None if not np.isfinite(tau) else round(float(tau), 12)


def distribution(old: np.ndarray, new: np.ndarray, bins: int = 30) -> dict[str, Any]:
    """Histograms of one quantity under both rewards on shared bin edges, with summary numbers.

    NaN marks a rollout without the value (a component the reward does not have).

    >>> d = distribution(np.array([0.0, 1.0]), np.array([1.0, 1.0]), bins=2)
    >>> d["edges"], d["old"]["counts"], d["new"]["counts"]
    ([0.0, 0.5, 1.0], [1, 1], [0, 2])
    """
    both = np.concatenate([old[np.isfinite(old)], new[np.isfinite(new)]])
    if len(both) == 0:
        return {"edges": [], "old": None, "new": None}
    lo, hi = float(both.min()), float(both.max())
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)

    def side(values: np.ndarray) -> dict[str, Any] | None:
        values = values[np.isfinite(values)]
        if len(values) == 0:
            return None
        counts, _ = np.histogram(values, bins=edges)
        return {
            "counts": counts.tolist(),
            "mean": float(values.mean()),
            "std": float(values.std()),
            "min": float(values.min()),
            "max": float(values.max()),
        }

    return {"edges": [round(float(e), 9) for e in edges], "old": side(old), "new": side(new)}


def _column(values: Sequence[float] | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    return np.array(values, np.float64)  # None becomes NaN


def group_changes(
    *,
    steps: Sequence[int],
    groups: Sequence[int],
    old_total: Sequence[float | None],
    new_total: Sequence[float | None],
    old_advantages: Sequence[float | None] | None = None,
) -> dict[str, np.ndarray]:
    """Per GRPO group: its key, size, whether its ranking / best completion changes, and the mean
    absolute change of its advantages; plus each rollout's old and new advantage and group code.

    `old_advantages` are the advantages the run trained with; where one is missing it is
    computed from the old total.

    >>> g = group_changes(steps=[1, 1], groups=[0, 0], old_total=[0, 1], new_total=[1, 0])
    >>> g["keys"].tolist(), g["ranking"].tolist(), g["change"].round(3).tolist()
    ([[1, 0]], [True], [1.414])
    """
    n = len(steps)
    codes, keys = group_codes(steps, groups)
    old_t, new_t = _column(old_total, n), _column(new_total, n)
    old_adv = grpo_advantages(np.nan_to_num(old_t), codes)
    if old_advantages is not None:
        stored = _column(old_advantages, n)
        old_adv = np.where(np.isnan(stored), old_adv, stored)
    new_adv = grpo_advantages(new_t, codes)
    ranking, best = ranking_changes(old_t, new_t, codes)
    size = np.bincount(codes, minlength=len(keys))
    change = np.bincount(codes, weights=np.abs(new_adv - old_adv), minlength=len(keys))
    return {
        "keys": keys,
        "size": size,
        "ranking": ranking,
        "best": best,
        "change": change / np.maximum(size, 1),
        "codes": codes,
        "old_advantage": old_adv,
        "new_advantage": new_adv,
    }


def compare_rewards(
    *,
    steps: Sequence[int],
    groups: Sequence[int],
    old: Mapping[str, Sequence[float] | None],
    new: Mapping[str, Sequence[float] | None],
    old_advantages: Sequence[float | None] | None = None,
    top: int = 20,
    bins: int = 30,
    changes: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """The summary of a re-score: distributions, ranking changes per group, advantage correlations.

    `old`/`new` map `total` and each component to one value per rollout (None where a rollout
    has no such value); `old_advantages` as in `group_changes`, whose result may be passed as
    `changes` when the caller needs it too. Returns plain JSON-ready data; `top_groups` are the
    groups whose advantages moved most (mean absolute change).
    """
    n = len(steps)
    if changes is None:
        changes = group_changes(
            steps=steps,
            groups=groups,
            old_total=old["total"],
            new_total=new["total"],
            old_advantages=old_advantages,
        )
    keys, size, change = changes["keys"], changes["size"], changes["change"]
    ranking, best = changes["ranking"], changes["best"]
    old_adv, new_adv = changes["old_advantage"], changes["new_advantage"]
    n_groups = len(keys)
    # Largest change first; ties by step then group, so the list is stable.
    order = np.lexsort((keys[:, 1], keys[:, 0], -change))[:top] if n_groups else []
    names = ["total"] + [k for k in dict.fromkeys([*old, *new]) if k != "total"]
    return {
        "rollouts": n,
        "groups": n_groups,
        "ranking_changed": int(ranking.sum()),
        "ranking_changed_share": float(ranking.mean()) if n_groups else 0.0,
        "best_changed": int(best.sum()),
        "best_changed_share": float(best.mean()) if n_groups else 0.0,
        "spearman": spearman(old_adv, new_adv) if n > 1 else None,
        "kendall": kendall(old_adv, new_adv) if n > 1 else None,
        "distributions": {
            name: distribution(_column(old.get(name), n), _column(new.get(name), n), bins)
            for name in names
        },
        "top_groups": [
            {
                "step": int(keys[g, 0]),
                "group": int(keys[g, 1]),
                "size": int(size[g]),
                "advantage_change": round(float(change[g]), 9),
                "ranking_changed": bool(ranking[g]),
                "best_changed": bool(best[g]),
            }
            for g in order
        ],
    }
