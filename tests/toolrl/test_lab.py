"""The reward lab's group statistics (toolrl.lab): tables of small cases plus brute-force checks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from toolrl.lab import (
    compare_rewards,
    distribution,
    group_codes,
    grpo_advantages,
    kendall,
    ranking_changes,
    spearman,
)


@pytest.mark.parametrize(
    ("old", "new", "ranking", "best"),
    [
        # the same scores: nothing changes
        ([1, 2, 3, 4], [1, 2, 3, 4], False, False),
        # scaled and shifted: the order and the best stay
        ([1, 2, 3, 4], [10, 20, 30, 45], False, False),
        # the two worst swap: the order changes, the best does not
        ([1, 2, 3, 4], [2, 1, 3, 4], True, False),
        # the two best swap: both change
        ([1, 2, 3, 4], [1, 2, 4, 3], True, True),
        # a tie breaks among the losers: the order changes (a tie is an order of its own)
        ([0, 0, 1, 1], [0, 0.5, 1, 1], True, False),
        # the tie at the top breaks: one of the two best is no longer best
        ([0, 0, 1, 1], [0, 0, 1, 2], True, True),
        # all equal under the old reward, different under the new one
        ([3, 3, 3, 3], [3, 3, 3, 4], True, True),
        # a group of one never changes
        ([5], [-5], False, False),
    ],
)
def test_ranking_and_best_change(old, new, ranking, best):
    codes = np.zeros(len(old), np.int64)
    r, b = ranking_changes(old, new, codes)
    assert (bool(r[0]), bool(b[0])) == (ranking, best)


def _brute(old, new):
    sign = lambda x: (x > 0) - (x < 0)  # noqa: E731
    ranking = any(
        sign(old[i] - old[j]) != sign(new[i] - new[j])
        for i, j in itertools.combinations(range(len(old)), 2)
    )
    best_old = {i for i, v in enumerate(old) if v == max(old)}
    best_new = {i for i, v in enumerate(new) if v == max(new)}
    return ranking, best_old != best_new


def test_ranking_changes_match_brute_force_on_uneven_groups():
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 9, 300)
    codes = np.repeat(np.arange(len(sizes)), sizes)
    rng.shuffle(codes)  # rollouts of a group need not be next to each other
    old = rng.integers(0, 4, len(codes)).astype(float)
    new = rng.integers(0, 4, len(codes)).astype(float)
    ranking, best = ranking_changes(old, new, codes)
    for g in range(len(sizes)):
        assert (ranking[g], best[g]) == _brute(old[codes == g].tolist(), new[codes == g].tolist())
    assert 0 < ranking.sum() < len(sizes) and 0 < best.sum() < len(sizes)


@pytest.mark.parametrize(
    ("rewards", "expected"),
    [
        # unbiased std: [1, 3] has mean 2, std sqrt(2)
        ([1.0, 3.0], [-1 / np.sqrt(2), 1 / np.sqrt(2)]),
        # identical rewards: advantage 0, not a division by zero
        ([2.0, 2.0, 2.0], [0.0, 0.0, 0.0]),
        # a group of one: 0
        ([7.0], [0.0]),
        # four completions, the released code's n - 1 std
        ([0.0, 0.0, 0.0, 4.0], [-0.5, -0.5, -0.5, 1.5]),
    ],
)
def test_grpo_advantages(rewards, expected):
    got = grpo_advantages(rewards, np.zeros(len(rewards), np.int64))
    assert np.allclose(got, expected, atol=1e-5)


def test_advantages_are_per_group():
    codes, keys = group_codes([1, 1, 2, 2], [0, 0, 0, 0])
    assert keys.tolist() == [[1, 0], [2, 0]]
    got = grpo_advantages([0.0, 2.0, 10.0, 10.0], codes)
    assert np.allclose(got, [-1 / np.sqrt(2), 1 / np.sqrt(2), 0, 0], atol=1e-5)


def test_rank_correlations_agree_with_scipy_with_ties():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 10, 2000).astype(float)
    b = a + rng.integers(-3, 4, 2000)
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-9)
    assert kendall(a, b) == pytest.approx(stats.kendalltau(a, b).statistic, abs=1e-9)
    assert spearman([1, 1, 1], [1, 2, 3]) is None and kendall([1, 1, 1], [1, 2, 3]) is None


def test_distribution_shares_edges_and_skips_missing_values():
    d = distribution(np.array([0.0, 1.0, np.nan]), np.array([np.nan] * 3), bins=4)
    assert d["edges"] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert d["old"]["counts"] == [1, 0, 0, 1] and d["new"] is None
    flat = distribution(np.array([2.0]), np.array([2.0]), bins=2)
    assert flat["edges"] == [1.5, 2.0, 2.5]


def test_compare_rewards_summary():
    # step 1 group 0: the new reward reverses the order; step 2 group 0: unchanged
    summary = compare_rewards(
        steps=[1, 1, 2, 2],
        groups=[0, 0, 0, 0],
        old={"total": [0.0, 1.0, 0.0, 1.0], "length": [None, None, None, None]},
        new={"total": [1.0, 0.0, 0.0, 2.0], "format": [1.0, 1.0, 0.0, 1.0]},
        old_advantages=[-0.7, 0.7, None, None],
    )
    assert summary["groups"] == 2 and summary["rollouts"] == 4
    assert summary["ranking_changed"] == 1 and summary["ranking_changed_share"] == 0.5
    assert summary["best_changed"] == 1
    assert [(g["step"], g["ranking_changed"]) for g in summary["top_groups"]] == [
        (1, True),
        (2, False),
    ]
    assert set(summary["distributions"]) == {"total", "length", "format"}
    assert summary["distributions"]["format"]["old"] is None
    assert summary["distributions"]["length"]["new"] is None
    assert summary["spearman"] is not None and summary["spearman"] < 1


def test_compare_rewards_of_nothing():
    summary = compare_rewards(steps=[], groups=[], old={"total": []}, new={"total": []})
    assert summary["groups"] == 0 and summary["top_groups"] == []
