"""Run records: legal transitions only, claim once, cancel, reaper, resume, joined curves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import tiny_run_config
from toolrl_web.runs import ingest, selectors, services
from toolrl_web.runs.models import MetricRow, Rollout, Run, RunStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_enqueue(monkeypatch):
    """These tests check the records; the worker tests send real messages."""
    sent = []
    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: sent.append(run_id))
    return sent


@pytest.fixture
def run(project, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.run_create(project=project, user=owner, config=tiny_run_config())


def test_create_records_config_and_versions_and_enqueues_after_commit(run, no_enqueue):
    assert run.status == RunStatus.QUEUED and run.queued_at is not None
    assert (
        run.config["grpo"]["max_steps"] == 4 and run.config["model"]["name_or_path"] == "tiny:fast"
    )
    assert {"torch", "transformers", "trl"} <= set(run.versions)
    assert no_enqueue == [run.pk]
    assert run.lineage_root_id == run.pk


def test_bad_config_names_the_field(project, owner):
    config = tiny_run_config(grpo={"generation_batch_size": 10})  # 10 % 4 != 0
    with pytest.raises(ValidationError) as exc:
        services.run_create(project=project, user=owner, config=config)
    assert "generation_batch_size" in " ".join(exc.value.message_dict["config"])
    assert not Run.objects.exists()


def test_claim_succeeds_once(run):
    assert services.run_claim(run_id=run.pk, worker_host="a") is True
    assert services.run_claim(run_id=run.pk, worker_host="b") is False
    run.refresh_from_db()
    assert run.status == RunStatus.STARTING and run.worker_host == "a"


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (RunStatus.QUEUED, RunStatus.RUNNING, False),  # must be claimed first
        (RunStatus.QUEUED, RunStatus.FINISHED, False),
        (RunStatus.RUNNING, RunStatus.STARTING, False),  # no going back
        (RunStatus.FINISHED, RunStatus.RUNNING, False),  # final is final
        (RunStatus.CANCELED, RunStatus.QUEUED if False else RunStatus.STARTING, False),
        (RunStatus.STARTING, RunStatus.RUNNING, True),
        (RunStatus.RUNNING, RunStatus.STOPPING, True),
        (RunStatus.STOPPING, RunStatus.CANCELED, True),
        (RunStatus.RUNNING, RunStatus.FAILED, True),
    ],
)
def test_transitions(run, start, to, allowed):
    Run.objects.filter(pk=run.pk).update(status=start)
    assert services.run_transition(run_id=run.pk, to=to) is allowed
    run.refresh_from_db()
    assert run.status == (to if allowed else start)


def test_cancel_queued_run_is_final_at_once(run):
    assert services.run_cancel(run=run) == "canceled"
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED and run.finished_at is not None
    assert services.run_claim(run_id=run.pk, worker_host="w") is False


def test_cancel_running_run_asks_it_to_stop(run):
    services.run_claim(run_id=run.pk, worker_host="w")
    services.run_mark_running(run_id=run.pk, pid=123, output_dir="/tmp/x")
    assert services.run_cancel(run=run) == "stopping"
    run.refresh_from_db()
    assert run.status == RunStatus.STOPPING and run.cancel_requested_at is not None
    assert services.run_finish(run_id=run.pk, exit_code=0) == RunStatus.CANCELED


def test_cancel_finished_run_is_refused(run):
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FINISHED)
    with pytest.raises(services.IllegalTransition):
        services.run_cancel(run=run)


def test_reaper_fails_only_stale_runs(project, owner, run):
    services.run_claim(run_id=run.pk, worker_host="gpu@dead")
    services.run_mark_running(run_id=run.pk, pid=1, output_dir="")
    fresh = services.run_create(project=project, user=owner, config=tiny_run_config())
    services.run_claim(run_id=fresh.pk, worker_host="gpu@alive")
    services.run_mark_running(run_id=fresh.pk, pid=2, output_dir="")
    Run.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=120))
    assert services.runs_reap_stale(stale_seconds=60) == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "gpu@dead" in run.error and "Resume" in run.error
    assert Run.objects.get(pk=fresh.pk).status == RunStatus.RUNNING
    # a late heartbeat from a reaped run does not revive it
    assert services.run_heartbeat(run_id=run.pk) is False


def test_resume_needs_a_checkpoint(run, owner):
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    run.refresh_from_db()
    with pytest.raises(ValidationError):
        services.run_resume(run=run, user=owner)


def test_resume_continues_the_same_curves(run, owner):
    ingest.metrics_write(run_id=run.pk, rows=[(s, {"reward": float(s)}) for s in range(1, 7)])
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
    services.run_record_checkpoint(run_id=run.pk, step=4, path="/nonexistent/checkpoint-4")
    run.refresh_from_db()
    assert run.can_resume
    continuation = services.run_resume(run=run, user=owner)
    assert continuation.start_step == 4 and continuation.resume_checkpoint.endswith("checkpoint-4")
    assert continuation.lineage_root_id == run.pk
    ingest.metrics_write(
        run_id=continuation.pk, rows=[(s, {"reward": 10.0 + s}) for s in (5, 6, 7)]
    )
    points = list(selectors.run_metric_rows(run=continuation))
    # steps 1-4 from the first attempt, 5-7 from the continuation (its 5 and 6 replace the old ones)
    assert [(p["step"], p["values"]["reward"]) for p in points] == [
        (1, 1.0),
        (2, 2.0),
        (3, 3.0),
        (4, 4.0),
        (5, 15.0),
        (6, 16.0),
        (7, 17.0),
    ]
    assert [p["step"] for p in selectors.run_metric_rows(run=continuation, since_step=5)] == [6, 7]
    run.refresh_from_db()
    assert not run.can_resume  # only once


def test_ingest_rollouts_replaces_a_retried_step(run):
    record = {
        "prompt_id": "p1",
        "group": 0,
        "completion": "a\tb\\c\nd",
        "ground_truth": "g",
        "calls": [{"name": "A", "parameters": {"x": "1"}}],
        "rewards": {"format": 1.0, "correctness": float("nan")},
        "total": 1.0,
        "advantage": 0.5,
        "error": "invalid_json",
        "length": 12,
        "truncated": True,
    }
    assert ingest.rollouts_write(run_id=run.pk, step=3, records=[record, record]) == 2
    assert ingest.rollouts_write(run_id=run.pk, step=3, records=[record]) == 1
    stored = Rollout.objects.get(run=run)
    assert stored.completion == "a\tb\\c\nd"  # COPY escaping round-trips
    assert stored.format == 1.0 and stored.correctness is None
    assert stored.calls == [{"name": "A", "parameters": {"x": "1"}}]
    assert stored.error_category == "invalid_json" and stored.truncated and stored.num_tokens == 12


def test_metrics_upsert_one_row_per_step(run):
    ingest.metrics_write(run_id=run.pk, rows=[(1, {"loss": 1.0})])
    ingest.metrics_write(run_id=run.pk, rows=[(1, {"loss": 2.0}), (2, {"loss": float("inf")})])
    assert list(
        MetricRow.objects.filter(run=run).order_by("step").values_list("step", "values")
    ) == [(1, {"loss": 2.0}), (2, {"loss": None})]


def test_broker_down_leaves_the_run_queued_and_housekeeping_sends_it_later(
    project, owner, monkeypatch, django_capture_on_commit_callbacks
):
    from workers import tasks

    monkeypatch.undo()  # the real run_enqueue, with a broker that refuses
    calls = []

    def refuse(*args, **kwargs):
        calls.append(kwargs)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.run_train, "apply_async", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_create(project=project, user=owner, config=tiny_run_config())
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.message_sent_at is None and len(calls) == 1

    monkeypatch.setattr(tasks.run_train, "apply_async", lambda *a, **k: calls.append(k))
    Run.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(seconds=30))
    assert services.runs_send_pending() == [run.pk]
    assert services.runs_send_pending() == []  # sent once
    run.refresh_from_db()
    assert run.message_sent_at is not None
