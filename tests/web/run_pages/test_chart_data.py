"""The charts' data endpoint: only new points, lineage joined, long runs downsampled."""

from __future__ import annotations

import json
import math

import pytest
from django.urls import reverse

from toolrl_web.runs import chart_data, ingest
from toolrl_web.runs.models import EvalRow, MetricRow, Run, RunStatus

pytestmark = pytest.mark.django_db


def logged(step: int) -> dict:
    """A step's metrics as TRL and our reward functions log them."""
    return {
        "reward": 1.0 + 0.01 * step,
        "rewards/format/mean": 0.5,
        "rewards/correctness/mean": 0.5 + 0.01 * step,
        "weights/format": 1.0,
        "correctness/name": 0.9,
        "kl": 0.01,
        "entropy": 2.0,
        "completions/mean_length": 20.0,
        "completions/clipped_ratio": 0.1,
        "clip_ratio/region_mean": 0.0,
        "learning_rate": 1e-5,
        "frac_reward_zero_std": 0.25,
        "num_tokens": 1000.0,  # logged, not charted
    }


def get(client, run, **params):
    response = client.get(reverse("run-chart-data", args=[run.pk]), params)
    assert response.status_code == 200
    return response.json()


def test_since_returns_only_new_points(client_for, owner, run):
    ingest.metrics_write(run_id=run.pk, rows=[(s, logged(s)) for s in range(1, 6)])
    client = client_for(owner)
    first = get(client, run)
    assert first["metrics"]["reward"]["x"] == [1, 2, 3, 4, 5] and first["last_step"] == 5
    assert "num_tokens" not in first["metrics"] and "rewards/format/mean" in first["metrics"]
    ingest.metrics_write(run_id=run.pk, rows=[(s, logged(s)) for s in range(6, 8)])
    later = get(client, run, since=first["last_step"], eval_since=first["last_eval_step"])
    assert later["metrics"]["reward"]["x"] == [6, 7] and later["last_step"] == 7
    assert later["metrics"]["reward"]["y"] == [1.06, 1.07]
    nothing = get(client, run, since=7)
    assert nothing["metrics"] == {} and nothing["last_step"] == 7 and not nothing["final"]


def test_evaluations_have_their_own_cursor(client_for, owner, run):
    # The evaluation at the end of training arrives after the last step's metrics.
    ingest.metrics_write(run_id=run.pk, rows=[(s, logged(s)) for s in range(1, 5)])
    client = client_for(owner)
    first = get(client, run)
    assert first["evals"] == {} and first["last_eval_step"] == -1
    ingest.eval_write(
        run_id=run.pk, step=4, values={"eval/exact_call_accuracy": 0.5, "eval/rows": 8}
    )
    later = get(client, run, since=4, eval_since=-1)
    assert later["metrics"] == {}
    assert later["evals"] == {"eval/exact_call_accuracy": {"x": [4], "y": [0.5]}}


def test_final_run_says_so(client_for, owner, run):
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FINISHED)
    data = get(client_for(owner), run)
    assert data["final"] is True and data["status"] == "finished"


def test_bad_since_is_ignored(client_for, owner, run):
    ingest.metrics_write(run_id=run.pk, rows=[(1, logged(1))])
    response = client_for(owner).get(reverse("run-chart-data", args=[run.pk]), {"since": "x"})
    assert response.status_code == 200 and response.json()["metrics"]["reward"]["x"] == [1]


def test_a_continuation_joins_its_parents_curves(client_for, owner, run, project):
    # The parent logged steps 1..6 and failed; its continuation restarted from step 4.
    ingest.metrics_write(run_id=run.pk, rows=[(s, {"reward": 1.0}) for s in range(1, 7)])
    child = Run.objects.create(
        project=project, name=run.name, config=run.config, resumed_from=run, start_step=4
    )
    ingest.metrics_write(run_id=child.pk, rows=[(s, {"reward": 2.0}) for s in range(5, 9)])
    data = get(client_for(owner), child)
    assert data["metrics"]["reward"]["x"] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert data["metrics"]["reward"]["y"] == [1.0] * 4 + [2.0] * 4  # the parent's 5, 6 redone
    assert data["segments"] == [
        {"run": run.pk, "from": 0, "to": 4},
        {"run": child.pk, "from": 4, "to": None},
    ]
    assert get(client_for(owner), child, since=6)["metrics"]["reward"]["x"] == [7, 8]


def test_long_run_is_downsampled_keeping_extremes_under_200_kb(client_for, owner, run):
    steps = 50_000
    rows = []
    for s in range(1, steps + 1):
        values = logged(s)
        values["reward"] = math.sin(s / 500.0)
        values["rewards/correctness/mean"] = None if s % 7 == 0 else 0.5  # gaps are skipped
        rows.append(MetricRow(run_id=run.pk, step=s, values=values))
    # extremes a plain stride would miss
    rows[12_344].values["reward"] = 9.5  # step 12345
    rows[33_332].values["kl"] = -4.0  # step 33333
    MetricRow.objects.bulk_create(rows, batch_size=5000)
    EvalRow.objects.bulk_create(
        EvalRow(run_id=run.pk, step=s, values={"eval/exact_call_accuracy": s / steps})
        for s in range(10, steps + 1, 10)
    )
    response = client_for(owner).get(reverse("run-chart-data", args=[run.pk]))
    size = len(response.content)
    data = response.json()
    assert size < 200_000, size
    assert data["downsampled"] and data["last_step"] == steps
    reward = data["metrics"]["reward"]
    assert max(reward["y"]) == 9.5 and reward["x"][reward["y"].index(9.5)] == 12345
    assert min(reward["y"]) == pytest.approx(-1.0, abs=1e-5)
    kl = data["metrics"]["kl"]
    assert min(kl["y"]) == -4.0 and kl["x"][kl["y"].index(-4.0)] == 33333
    assert reward["x"] == sorted(reward["x"]) and len(reward["x"]) <= 2 * chart_data.BUCKETS
    assert reward["x"][0] == 1 or reward["x"][0] <= steps // chart_data.BUCKETS
    evals = data["evals"]["eval/exact_call_accuracy"]
    assert evals["y"][-1] == 1.0 and len(evals["x"]) <= 2 * chart_data.BUCKETS
    # The live update after it is a handful of raw points.
    more = (
        client_for(owner)
        .get(reverse("run-chart-data", args=[run.pk]), {"since": steps - 3, "eval_since": steps})
        .json()
    )
    assert more["metrics"]["reward"]["x"] == [steps - 2, steps - 1, steps]
    assert not more["downsampled"]
    assert json.dumps(more)  # plain JSON, no NaN


def test_cached_blocks_match_a_fresh_read_and_new_steps_show(client_for, owner, run):
    from django.core.cache import cache

    MetricRow.objects.bulk_create(
        MetricRow(run_id=run.pk, step=s, values={"reward": math.sin(s / 50.0)})
        for s in range(1, 3008)
    )
    client = client_for(owner)
    cold = get(client, run)
    warm = get(client, run)  # from the cached blocks, except the newest
    assert warm == cold and cold["downsampled"]
    # The run goes on: its last step (3007, the end of a cached block of 2 x 16 steps) written
    # again, then new steps with a new extreme.
    ingest.metrics_write(run_id=run.pk, rows=[(3007, {"reward": -7.0})])
    # (up to step 3200 the buckets stay 16 steps wide, so the same cached blocks are read)
    ingest.metrics_write(run_id=run.pk, rows=[(s, {"reward": 0.0}) for s in range(3008, 3199)])
    ingest.metrics_write(run_id=run.pk, rows=[(3199, {"reward": 8.0})])
    later = get(client, run)
    cache.clear()
    fresh = get(client, run)
    assert later == fresh
    reward = later["metrics"]["reward"]
    assert later["last_step"] == 3199 and max(reward["y"]) == 8.0 and min(reward["y"]) == -7.0
