"""Held-out evaluation: per-row samples and the metrics built from them (no model needed)."""

from __future__ import annotations

import pytest


def test_eval_samples_and_per_kind_accuracy():
    from toolrl.prompt import render_target
    from toolrl.synthetic import make_rows
    from toolrl.training.evaluation import eval_samples, summarize

    rows = make_rows(40, seed=5)
    outputs = [render_target(r.target) for r in rows]
    # Break the first tool row's call: a wrong value keeps the format but loses exactness.
    first = next(i for i, r in enumerate(rows) if r.target.calls and r.target.calls[0].parameters)
    key = next(iter(rows[first].target.calls[0].parameters))
    outputs[first] = outputs[first].replace(f'"{key}": ', f'"{key}": "WRONG", "x": ', 1)
    samples = eval_samples(outputs, rows)
    assert samples[first]["exact"] is False and samples[first]["format_ok"] is True
    assert all(s["exact"] is None for s in samples if not rows[samples.index(s)].target.calls)
    m = summarize(samples)
    kind = rows[first].meta["kind"]
    in_kind = [s for s in samples if s["kind"] == kind and s["exact"] is not None]
    assert m[f"eval/exact_call_accuracy/{kind}"] == pytest.approx(1 - 1 / len(in_kind))
    n_tool = sum(1 for r in rows if r.target.calls)
    assert m["eval/exact_call_accuracy"] == pytest.approx(1 - 1 / n_tool)
    assert m["eval/format_rate"] == 1.0
