"""Run records: legal transitions only, claim once, cancel, reaper, resume, joined curves."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from tests.conftest import ROOT, tiny_run_config
from tests.services import free_port
from toolrl_web.runs import ingest, selectors, services
from toolrl_web.runs.models import MetricRow, Rollout, Run, RunStatus, StopReason

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
        (RunStatus.CANCELED, RunStatus.STARTING, False),  # a canceled run is never claimed
        (RunStatus.FAILED, RunStatus.CANCELED, False),
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
    assert continuation.resumed_from_id == run.pk
    assert selectors.run_lineage(run=continuation) == [run, continuation]
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


def _stored(run_id: int) -> list[dict]:
    fields = [f for f in ingest.ROLLOUT_COLUMNS if f != "run_id"]
    return list(Rollout.objects.filter(run_id=run_id).order_by("group").values(*fields))


def test_copy_and_bulk_create_store_the_same_rows(run, project, owner, monkeypatch):
    """PostgreSQL's COPY text and SQLite's bulk_create come from one mapping: same rows."""
    records = [
        {
            "prompt_id": "p\x001",
            "group": 1,
            "sample": 2,
            "completion": "tab\there\\ and \\N\r\nnul\x00",
            "ground_truth": "",
            "calls": [{"name": "A", "parameters": {"x": float("inf"), "t": "a\tb"}}],
            "rewards": {"format": 1.0, "correctness": -2.5, "length": float("nan")},
            "weights": {"format": 1},
            "format_ok": True,
            "total": -1.5,
            "advantage": None,
            "error": "wrong_name" * 10,
            "length": 7.0,
            "truncated": False,
        },
        {"group": 0, "completion": "", "rewards": {}, "step": 5},  # the bare minimum
    ]
    ingest.rollouts_write(run_id=run.pk, step=5, records=records)
    other = services.run_create(project=project, user=owner, config=tiny_run_config())
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")  # the demo's path
    ingest.rollouts_write(run_id=other.pk, step=5, records=records)
    copied, created = _stored(run.pk), _stored(other.pk)
    assert copied == created
    assert created[1]["completion"] == "tab\there\\ and \\N\r\nnul"
    assert created[1]["calls"] == [{"name": "A", "parameters": {"x": None, "t": "a\tb"}}]
    assert created[1]["details"] == {"sample": 2, "weights": {"format": 1}, "format_ok": True}
    assert created[1]["length"] is None and created[1]["num_tokens"] == 7
    assert len(created[1]["error_category"]) == 64 and created[0]["details"] is None


def test_metrics_upsert_one_row_per_step(run):
    ingest.metrics_write(run_id=run.pk, rows=[(1, {"loss": 1.0})])
    ingest.metrics_write(run_id=run.pk, rows=[(1, {"loss": 2.0}), (2, {"loss": float("inf")})])
    assert list(
        MetricRow.objects.filter(run=run).order_by("step").values_list("step", "values")
    ) == [(1, {"loss": 2.0}), (2, {"loss": None})]


def test_broker_down_leaves_the_run_queued_and_housekeeping_sends_it_later(
    project, owner, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """The real send, by name: first to a broker that is down, then to a live Redis."""
    import redis

    monkeypatch.undo()  # the real run_enqueue
    live_broker = settings.CELERY_BROKER_URL
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_create(project=project, user=owner, config=tiny_run_config())
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.message_sent_at is None

    settings.CELERY_BROKER_URL = live_broker  # the broker is back
    Run.objects.filter(pk=run.pk).update(queued_at=timezone.now() - timedelta(seconds=30))
    assert services.runs_send_pending() == [run.pk]
    assert services.runs_send_pending() == []  # sent once
    run.refresh_from_db()
    assert run.message_sent_at is not None
    # The message waits in the broker's `gpu` queue (a Redis list); take it out again.
    broker = redis.Redis.from_url(live_broker)
    ours = [m for m in broker.lrange("gpu", 0, -1) if _task_of(m) == (RUN_TRAIN, [run.pk])]
    assert len(ours) == 1
    broker.lrem("gpu", 1, ours[0])


RUN_TRAIN = "workers.tasks.run_train"


def _task_of(message: bytes) -> tuple[str, list]:
    """The task name and positional arguments of a Celery message as Redis stores it."""
    envelope = json.loads(message)
    args = json.loads(base64.b64decode(envelope["body"]))[0]
    return envelope["headers"]["task"], args


@pytest.mark.parametrize(
    ("reason", "exit_code", "final"),
    [
        (StopReason.USER_CANCEL, 0, RunStatus.CANCELED),  # checkpointed and stopped as asked
        (StopReason.USER_CANCEL, -15, RunStatus.CANCELED),  # killed after the grace period
        (StopReason.WALL_TIME, 0, RunStatus.FINISHED),  # the wall time ends a run normally
        (StopReason.WALL_TIME, 1, RunStatus.FAILED),
    ],
)
def test_how_a_stopping_run_ends_depends_on_why_it_stopped(run, reason, exit_code, final):
    services.run_claim(run_id=run.pk, worker_host="w")
    services.run_mark_running(run_id=run.pk, pid=1, output_dir="")
    assert services.run_request_stop(run_id=run.pk, reason=reason)
    assert services.run_finish(run_id=run.pk, exit_code=exit_code) == final
    run.refresh_from_db()
    assert run.stop_reason == reason and run.status == final


def test_the_engine_reaching_its_wall_time_ends_finished(run):
    services.run_claim(run_id=run.pk, worker_host="w")
    services.run_mark_running(run_id=run.pk, pid=1, output_dir="")
    services.run_record_wall_time_stop(run_id=run.pk)  # what the sink records
    assert services.run_finish(run_id=run.pk, exit_code=0) == RunStatus.FINISHED
    assert Run.objects.get(pk=run.pk).get_stop_reason_display() == "maximum wall time reached"


@pytest.mark.slow  # starts a process
def test_the_web_side_never_loads_the_celery_worker_app():
    """Importing the services (what every page does) sends by name: `workers` stays unloaded."""
    code = (
        "import sys, django; django.setup()\n"
        "import toolrl_web.runs.services, toolrl_web.runs.views\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'workers'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
