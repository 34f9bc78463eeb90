"""Statistics of a dataset, gathered row by row in constant memory.

What a user checks before training on a file: how many rows, tools per row, calls per row (as a
histogram), the share of rows answered with a response only (no call), with parallel calls (two
or more), that are a later step of a multi-step dialogue (an observation in the history), and
the prompt length in tokens (`length_summary`, from counts a tokenizer gives).

Example::

    >>> from toolrl.schema import Row, Target, ToolCall
    >>> stats = DatasetStats()
    >>> stats.add(Row(id="a", target=Target(response="hi")))
    >>> stats.add(Row(id="b", target=Target(calls=[ToolCall(name="x"), ToolCall(name="y")])))
    >>> s = stats.as_dict()
    >>> s["rows"], s["response_only_share"], s["parallel_call_share"], s["calls_per_row"]["histogram"]
    (2, 0.5, 0.5, [[0, 1], [2, 1]])
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from typing import Any

from toolrl.schema import Row


def _summary(histogram: Counter[int]) -> dict[str, Any]:
    n = sum(histogram.values())
    if not n:
        return {"mean": 0.0, "min": 0, "max": 0, "histogram": []}
    return {
        "mean": sum(k * v for k, v in histogram.items()) / n,
        "min": min(histogram),
        "max": max(histogram),
        "histogram": [[k, histogram[k]] for k in sorted(histogram)],
    }


class DatasetStats:
    """Counts and shares over the rows `add`ed so far."""

    def __init__(self) -> None:
        self.rows = 0
        self.tools: Counter[int] = Counter()
        self.calls: Counter[int] = Counter()
        self.sources: Counter[str] = Counter()
        self.response_only = 0
        self.calls_and_response = 0
        self.multi_step = 0

    def add(self, row: Row) -> None:
        # Called once a row: attribute lookups hoisted, a plain loop instead of any(genexpr).
        self.rows += 1
        target = row.target
        n_calls = len(target.calls)
        self.tools[len(row.tools)] += 1
        self.calls[n_calls] += 1
        self.sources[row.source or "?"] += 1
        if target.response is not None:
            if n_calls:
                self.calls_and_response += 1
            else:
                self.response_only += 1
        for turn in row.history:
            if turn.role == "observation":
                self.multi_step += 1
                break

    def as_dict(self) -> dict[str, Any]:
        n = self.rows

        def share(count: int) -> float:
            return count / n if n else 0.0

        parallel = sum(v for k, v in self.calls.items() if k >= 2)
        return {
            "rows": n,
            "tools_per_row": _summary(self.tools),
            "calls_per_row": _summary(self.calls),
            "response_only_share": share(self.response_only),
            "calls_and_response_share": share(self.calls_and_response),
            "parallel_call_share": share(parallel),
            "multi_step_share": share(self.multi_step),
            "sources": dict(self.sources.most_common()),
        }


def _nice_width(span: int, bins: int) -> int:
    raw = max(1, math.ceil(span / bins))
    magnitude = 10 ** int(math.log10(raw))
    for step in (1, 2, 5, 10):
        if raw <= step * magnitude:
            return step * magnitude
    return raw


def length_summary(lengths: list[int], bins: int = 24) -> dict[str, Any]:
    """Mean, extremes, percentiles and a histogram (`[[bin start, count], ...]`) of lengths.

    >>> s = length_summary([10, 12, 30, 31])
    >>> s["min"], s["max"], s["p50"], s["histogram"][0]
    (10, 31, 12, [10, 1])
    """
    if not lengths:
        return {"count": 0, "mean": 0.0, "min": 0, "max": 0, "p50": 0, "p90": 0, "p99": 0,
                "histogram": []}  # fmt: skip
    ordered = sorted(lengths)
    n = len(ordered)

    def pct(q: float) -> int:
        return ordered[min(n - 1, max(0, math.ceil(q * n) - 1))]

    width = _nice_width(ordered[-1] - ordered[0] + 1, bins)
    low = ordered[0] // width * width
    counts: Counter[int] = Counter(low + (x - low) // width * width for x in ordered)
    return {
        "count": n,
        "mean": sum(ordered) / n,
        "min": ordered[0],
        "max": ordered[-1],
        "p50": pct(0.5),
        "p90": pct(0.9),
        "p99": pct(0.99),
        "bin_width": width,
        "histogram": [[k, counts[k]] for k in sorted(counts)],
    }


class RowSample:
    """Which rows to measure with a tokenizer: a seeded uniform sample of `size` rows (the
    histogram and percentiles come from it) plus the `longest` rows by size in bytes (so the
    maximum, which decides what a `max_prompt_length` drops, is measured, not guessed).
    Tokenizing every prompt costs milliseconds a row; a sample keeps validation fast and its
    memory flat. Every row is measured when the file holds at most `size` rows.

    >>> sample = RowSample(size=2, longest=1, seed=0)
    >>> taken = [sample.offer(i, size) for i, size in enumerate([5, 50, 7, 9])]
    >>> taken[:2], len(sample.uniform), sample.longest_indices()
    ([True, True], 2, [1])
    """

    def __init__(self, size: int = 2000, longest: int = 100, seed: int = 0) -> None:
        self.size, self.n_longest = size, longest
        self.rng = random.Random(seed)
        self.seen = 0
        self.uniform: list[int] = []
        self._heap: list[tuple[int, int]] = []  # (size, index), smallest on top

    def offer(self, index: int, size: int) -> bool:
        """Consider a row; True when the sample took it (it may be dropped again later)."""
        self.seen += 1
        taken = False
        if len(self.uniform) < self.size:
            self.uniform.append(index)
            taken = True
        else:
            slot = self.rng.randrange(self.seen)
            if slot < self.size:
                self.uniform[slot] = index
                taken = True
        if self.n_longest:
            if len(self._heap) < self.n_longest:
                heapq.heappush(self._heap, (size, index))
                taken = True
            elif size > self._heap[0][0]:
                heapq.heapreplace(self._heap, (size, index))
                taken = True
        return taken

    def longest_indices(self) -> list[int]:
        return [i for _, i in sorted(self._heap, reverse=True)]

    def indices(self) -> list[int]:
        """Every index to measure, in file order."""
        return sorted(set(self.uniform) | set(self.longest_indices()))


def token_summary(
    lengths: dict[int, int], sample: RowSample, *, tokenizer: str, ids: dict[int, str]
) -> dict[str, Any]:
    """Prompt lengths in tokens from `lengths` (row index -> tokens) measured on `sample`."""
    uniform = [lengths[i] for i in sample.uniform if i in lengths]
    longest = sorted(((lengths[i], i) for i in lengths), reverse=True)[:5]
    summary = length_summary(uniform)
    if longest:
        summary["max"] = max(summary["max"], longest[0][0])
    summary.update(
        tokenizer=tokenizer,
        measured_rows=len(lengths),
        total_rows=sample.seen,
        sampled=sample.seen > len(sample.uniform),
        longest=[{"id": ids.get(i, str(i)), "tokens": n} for n, i in longest],
    )
    return summary
