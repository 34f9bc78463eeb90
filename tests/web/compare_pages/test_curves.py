"""What the curves, the value-at-step table and the CSV hold: continuations joined, steps and
wall time, best values by direction, only new points, downsampling that keeps extremes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.web.compare_pages.helpers import seed_run
from toolrl_web.compare import selectors, series
from toolrl_web.runs.models import MetricRow, RunStatus

pytestmark = pytest.mark.django_db


def _data(client, runs, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    ids = ",".join(str(r.pk) for r in runs)
    response = client.get(f"{reverse('compare-data')}?runs={ids}&{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _curve(data, metric, run):
    """The run's curve with its steps and times (a full curve takes them from the run's clock)."""
    m = next(m for m in data["metrics"] if m["name"] == metric)
    curve = next(s for s in m["series"] if s["run"] == run.pk)
    if "step" not in curve:
        curve = {**data["clock"][str(run.pk)], **curve}
    return curve


def test_only_requested_metrics_are_sent(client_for, two_runs, owner):
    data = _data(client_for(owner), two_runs, metrics="kl,eval/exact_call_accuracy")
    assert [m["name"] for m in data["metrics"]] == ["kl", "eval/exact_call_accuracy"]
    assert [m["direction"] for m in data["metrics"]] == ["lower", "higher"]
    evals = _curve(data, "eval/exact_call_accuracy", two_runs[1])
    assert evals["step"] == [10, 20, 30]  # evaluation rows, not training rows
    assert evals["value"] == [0.2, 0.3, 0.4]


def test_continuation_joins_its_parent_and_wall_time_skips_the_gap(client_for, project, owner):
    start = timezone.now() - timedelta(hours=5)
    parent = seed_run(
        project=project,
        user=owner,
        name="crashed",
        steps=10,
        start=start,
        seconds_per_step=3,
        status=RunStatus.FAILED,
    )
    # Resumed from the step-6 checkpoint two hours later; the parent's steps 7-10 were redone.
    child = seed_run(
        project=project,
        user=owner,
        name="resumed",
        steps=12,
        resumed_from=parent,
        start_step=6,
        start=start + timedelta(hours=2),
        seconds_per_step=3,
    )
    other = seed_run(project=project, user=owner, name="other", steps=8, start=start)
    data = _data(client_for(owner), [child, other], metrics="reward")
    curve = _curve(data, "reward", child)
    assert curve["step"] == list(range(1, 13))
    parent_values = dict(MetricRow.objects.filter(run=parent).values_list("step", "values"))
    child_values = dict(MetricRow.objects.filter(run=child).values_list("step", "values"))
    assert curve["value"][5] == parent_values[6]["reward"]
    assert curve["value"][6] == child_values[7]["reward"]
    # 3 s per step: the continuation's first point comes 3 s after the parent's step 6 (18 s).
    assert curve["time"][:7] == [3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0]
    assert data["last_step"] == {str(child.pk): 12, str(other.pk): 8}


def test_uneven_lengths_align_on_steps_and_the_table_uses_the_common_step(
    client_for, project, owner
):
    short = seed_run(project=project, user=owner, name="short", steps=20, reward="toolrl")
    long = seed_run(project=project, user=owner, name="long", steps=50, reward="two-stage")
    client = client_for(owner)
    body = client.get(f"{reverse('compare')}?runs={short.pk},{long.pk}").content.decode()
    assert 'id="uneven-warning"' in body and f"#{short.pk}: 20, #{long.pk}: 50" in body
    assert 'data-step="20"' in body  # the value table compares both at step 20
    table = client.get(
        f"{reverse('compare-table')}?runs={short.pk},{long.pk}&metrics=reward&step=40"
    ).content.decode()
    assert "@20" in table  # the short run's latest value before step 40, marked as such


def test_best_value_per_row_follows_the_metric_direction(project, owner):
    a = seed_run(project=project, user=owner, name="a", steps=5, seed=1)
    b = seed_run(project=project, user=owner, name="b", steps=5, seed=2)
    compared = selectors.compared_runs(runs=[a, b])
    rows = series.values_at_step(compared=compared, metrics=["reward", "kl", "entropy"], step=5)
    values = {r.pk: MetricRow.objects.get(run=r, step=5).values for r in (a, b)}
    by_metric = {row["metric"]: row for row in rows}
    for metric, pick in (("reward", max), ("kl", min)):
        best = pick((a, b), key=lambda r: values[r.pk][metric])
        marks = [cell["best"] for cell in by_metric[metric]["cells"]]
        assert marks == [best == a, best == b], metric
    assert not any(cell["best"] for cell in by_metric["entropy"]["cells"])  # no better way
    assert by_metric["entropy"]["direction_words"] == "no best"


def test_full_curves_share_their_runs_clock(client_for, two_runs, owner):
    a, b = two_runs
    row = MetricRow.objects.get(run=a, step=5)
    MetricRow.objects.filter(pk=row.pk).update(values={**row.values, "kl": None})  # a NaN
    data = _data(client_for(owner), two_runs, metrics="reward,kl")
    reward, kl = data["metrics"]
    assert set(reward["series"][0]) == {"run", "value"}  # steps and times: the clock's
    assert data["clock"][str(a.pk)]["step"] == list(range(1, 31))
    assert set(kl["series"][0]) == {"run", "step", "time", "value"}  # a gap: its own steps
    assert 5 not in kl["series"][0]["step"] and len(kl["series"][0]["value"]) == 29


def test_since_returns_only_new_points(client_for, two_runs, owner):
    data = _data(client_for(owner), two_runs, metrics="reward", since=27)
    assert _curve(data, "reward", two_runs[0])["step"] == [28, 29, 30]
    assert data["active"] is False


def test_long_curves_are_downsampled_keeping_the_extremes(project, owner):
    a = seed_run(project=project, user=owner, name="long a", steps=3000, seed=3)
    b = seed_run(project=project, user=owner, name="long b", steps=40, seed=4)
    MetricRow.objects.filter(run=a, step=1234).update(values={"reward": 99.0})
    MetricRow.objects.filter(run=a, step=2345).update(values={"reward": -99.0})
    compared = selectors.compared_runs(runs=[a, b])
    data = series.compare_series(compared=compared, metrics=["reward"], max_points=500)
    curve = data["metrics"][0]["series"][0]
    assert len(curve["step"]) <= 500
    assert 1234 in curve["step"] and max(curve["value"]) == 99.0
    assert 2345 in curve["step"] and min(curve["value"]) == -99.0
    assert curve["step"][0] == 1 and curve["step"][-1] == 3000
    short = data["metrics"][0]["series"][1]
    assert len(short["value"]) == 40 and "step" not in short  # whole, on its run's clock
    assert list(data["clock"]) == [b.pk]  # the long run's 3,000-step clock is not sent


def test_csv_has_every_point_of_the_compared_series(client_for, two_runs, member):
    a, b = two_runs
    response = client_for(member).get(
        f"{reverse('compare-csv')}?runs={a.pk},{b.pk}&metrics=reward,eval/exact_call_accuracy"
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "run_id",
        "run",
        "step",
        "wall_time_seconds",
        "reward",
        "eval/exact_call_accuracy",
    ]
    assert len(rows) == 1 + 2 * 30
    row = next(r for r in rows if r[0] == str(b.pk) and r[2] == "10")
    assert float(row[4]) == MetricRow.objects.get(run=b, step=10).values["reward"]
    assert row[5] == "0.2" and row[1].startswith(f"#{b.pk} reward=two-stage")


def test_configuration_diff_includes_the_reward_and_marks_differences(client_for, two_runs, owner):
    a, b = two_runs
    client = client_for(owner)
    body = client.get(f"{reverse('compare')}?runs={a.pk},{b.pk}").content.decode()
    assert '<tr class="differs" data-field="reward.name">' in body
    assert '<tr class="differs" data-field="reward.format.max">' in body  # two-stage schedules it
    assert '<tr class="same" data-field="grpo.num_generations">' in body
    assert '<tr class="differs" data-field="grpo.learning_rate">' in body
    assert 'class="table diff"' in body
    only = client.get(f"{reverse('compare')}?runs={a.pk},{b.pk}&diff=only").content.decode()
    assert 'class="table diff diff-only"' in only  # same rows hidden, also without JavaScript


def test_evaluation_points_have_wall_time_on_the_same_clock(client_for, project, owner):
    a = seed_run(project=project, user=owner, name="a", steps=20, eval_every=10, seconds_per_step=5)
    b = seed_run(project=project, user=owner, name="b", steps=20, seconds_per_step=5)
    data = _data(client_for(owner), [a, b], metrics="eval/exact_call_accuracy")
    assert _curve(data, "eval/exact_call_accuracy", a)["time"] == [50.0, 100.0]


def test_values_that_are_not_numbers_are_skipped(client_for, two_runs, owner):
    a, b = two_runs
    MetricRow.objects.filter(run=a, step=3).update(values={"reward": "n/a", "kl": None})
    MetricRow.objects.filter(run=a, step=4).update(values={"reward": {"nested": 1}, "kl": True})
    data = _data(client_for(owner), two_runs, metrics="reward,kl")
    for metric in ("reward", "kl"):
        steps = _curve(data, metric, a)["step"]
        assert 3 not in steps and 4 not in steps and 5 in steps
    table = client_for(owner).get(
        f"{reverse('compare-table')}?runs={a.pk},{b.pk}&metrics=reward&step=4"
    )
    assert table.status_code == 200 and "@2" in table.content.decode()


def test_a_running_run_makes_the_page_poll_for_new_points(client_for, project, owner):
    done = seed_run(project=project, user=owner, name="done", steps=10)
    live = seed_run(project=project, user=owner, name="live", steps=6, status=RunStatus.RUNNING)
    data = _data(client_for(owner), [done, live], metrics="reward")
    assert data["active"] is True and data["last_step"][str(live.pk)] == 6
    MetricRow.objects.create(run=live, step=7, values={"reward": 0.5})
    update = _data(client_for(owner), [done, live], metrics="reward", since=6)
    assert _curve(update, "reward", live)["step"] == [7] and _curve(update, "reward", done)[
        "step"
    ] == [7, 8, 9, 10]
