"""The end-of-training summary is the run's, not a step's: the last step keeps its metrics."""

from __future__ import annotations

import pytest
from django.urls import reverse

from toolrl_web.runs import ingest
from toolrl_web.runs.models import MetricRow, Run

# What transformers' Trainer logs through on_log when training ends, at the last step's number.
SUMMARY = {
    "train_runtime": 12.5,
    "train_samples_per_second": 2.6,
    "train_steps_per_second": 0.32,
    "total_flos": 0.0,
    "train_loss": 0.0123,
    "epoch": 0.5,
}


@pytest.mark.django_db(transaction=True)
def test_summary_through_the_sink_keeps_the_last_step(run, client_for, owner):
    from workers.sink import DatabaseSink

    sink = DatabaseSink(run_id=run.pk)
    sink.write_metrics(3, {"reward": 0.5, "rewards/format/mean": 0.25, "epoch": 0.4})
    sink.write_metrics(4, {"reward": 0.75, "rewards/format/mean": 0.5, "epoch": 0.5})
    sink.write_metrics(4, dict(SUMMARY))  # the Trainer's summary, same step number
    sink.close()

    last = MetricRow.objects.get(run=run, step=4)
    assert last.values["reward"] == 0.75 and "train_runtime" not in last.values
    run.refresh_from_db()
    assert run.summary["train_runtime"] == 12.5 and run.summary["train_loss"] == 0.0123
    assert run.last_step == 4

    html = client_for(owner).get(reverse("run-detail", args=[run.pk])).content.decode()
    assert "0.750" in html  # "Latest reward" is the last step's


@pytest.mark.django_db
def test_summary_and_metrics_in_one_batch(run):
    # The sink batches what it could not write yet: both dicts for one step arrive together.
    ingest.metrics_write(run_id=run.pk, rows=[(4, {"reward": 1.0}), (4, dict(SUMMARY))])
    assert MetricRow.objects.get(run=run, step=4).values == {"reward": 1.0}
    assert Run.objects.get(pk=run.pk).summary["train_runtime"] == 12.5


@pytest.mark.django_db
def test_a_later_summary_adds_to_the_earlier(run):
    ingest.metrics_write(run_id=run.pk, rows=[(2, {"train_runtime": 1.0, "train_loss": 3.0})])
    ingest.metrics_write(run_id=run.pk, rows=[(4, {"train_runtime": 2.0})])
    assert Run.objects.get(pk=run.pk).summary == {"train_runtime": 2.0, "train_loss": 3.0}
    assert not MetricRow.objects.filter(run=run).exists()
