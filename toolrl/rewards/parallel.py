"""Re-score many stored completions on several cores.

`score_many` splits the work into contiguous slices and scores each in a worker process with
`score_columns` (each ground truth parsed once per worker). On Linux the workers are forked, so
the completions are inherited rather than pickled; only the float columns travel back, as
`array('d')` buffers.

Example::

    >>> cols = score_many(["<think> a </think>\\n<response> b </response>"] * 4,
    ...                   "<think> t </think>\\n<response> r </response>", workers=1)
    >>> cols["total"]
    [1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

import multiprocessing as mp
import os
from array import array
from collections.abc import Sequence
from typing import Any

from toolrl.rewards.config import RewardConfig
from toolrl.rewards.scoring import score_columns

# Set in the parent right before forking; the children read it instead of receiving pickles.
_JOB: tuple[Sequence[Any], Sequence[Any] | Any, RewardConfig | None, float, float | None] | None = (
    None
)


def _score_slice(bounds: tuple[int, int]) -> dict[str, bytes]:
    completions, ground_truths, cfg, step, max_steps = _JOB  # type: ignore[misc]
    lo, hi = bounds
    gts = ground_truths[lo:hi] if isinstance(ground_truths, list | tuple) else ground_truths
    cols = score_columns(completions[lo:hi], gts, cfg, step, max_steps)
    return {name: array("d", values).tobytes() for name, values in cols.items()}


def score_many(
    completions: Sequence[Any],
    ground_truths: Sequence[Any] | Any,
    cfg: RewardConfig | None = None,
    step: float = 0,
    max_steps: float | None = None,
    workers: int | None = None,
    chunks_per_worker: int = 4,
) -> dict[str, list[float]]:
    """`score_columns` over `workers` processes (default: all cores); same result, same order."""
    global _JOB
    n = len(completions)
    workers = max(1, min(workers or os.cpu_count() or 1, n or 1))
    if workers == 1 or "fork" not in mp.get_all_start_methods():
        return score_columns(completions, ground_truths, cfg, step, max_steps)
    if isinstance(ground_truths, Sequence) and not isinstance(ground_truths, str):
        ground_truths = list(ground_truths)
        if len(ground_truths) != n:
            raise ValueError(f"{n} completions but {len(ground_truths)} ground truths")
    pieces = workers * chunks_per_worker
    bounds = [(n * i // pieces, n * (i + 1) // pieces) for i in range(pieces)]
    _JOB = (completions, ground_truths, cfg, step, max_steps)
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_score_slice, bounds)
    finally:
        _JOB = None
    out: dict[str, list[float]] = {}
    for part in parts:
        for name, raw in part.items():
            values = array("d")
            values.frombytes(raw)
            out.setdefault(name, []).extend(values)
    return out
