"""Training jobs end to end: real PostgreSQL, real Redis, real Celery workers, the tiny model.

Each test drives runs through the services a page would call and watches the database rows.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from tests.conftest import child_env, start_worker, tiny_run_config
from tests.services import free_port
from toolrl_web.runs import selectors, services
from toolrl_web.runs.models import Artifact, EvalRow, MetricRow, Rollout, Run, RunStatus

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FAST_SUPERVISION = {
    "RUN_HEARTBEAT_SECONDS": "1",
    "RUN_STALE_SECONDS": "8",
    "RUN_STOP_GRACE_SECONDS": "60",
    "WORKER_HEARTBEAT_SECONDS": "1",
}


def wait_for(predicate, timeout: float, what: str, worker=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    log = worker.text()[-4000:] if worker else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{log}")


def status(run: Run) -> str:
    return Run.objects.values_list("status", flat=True).get(pk=run.pk)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def train_log(run: Run) -> str:
    run.refresh_from_db()
    path = os.path.join(run.output_dir or "", "train.log")
    return open(path).read()[-4000:] if os.path.exists(path) else "(no train.log)"


@pytest.fixture
def workers(tmp_path, tiny_model_cache):
    started = []

    def start(queues: str = "cpu,gpu", **env):
        worker = start_worker(tmp_path, queues=queues, env=child_env(**FAST_SUPERVISION, **env))
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop(signal.SIGKILL)


def launch(project, owner, **overrides) -> Run:
    return services.run_create(project=project, user=owner, config=tiny_run_config(**overrides))


def cancel_and_wait(run: Run, worker) -> Run:
    """Cancel a running run, wait until it has left running/stopping, and reload it."""
    assert services.run_cancel(run=Run.objects.get(pk=run.pk)) == "stopping"
    wait_for(
        lambda: status(run) not in (RunStatus.STOPPING, RunStatus.RUNNING),
        120,
        "the run to stop",
        worker,
    )
    run.refresh_from_db()
    return run


def test_run_finishes_with_everything_in_the_database_and_one_process_for_two_messages(
    workers, project, owner
):
    first, second = workers(), workers()
    run = launch(project, owner, eval_every=2, eval_at_start=True)
    services.run_enqueue(run_id=run.pk)  # the same message again: must not start a second training
    wait_for(
        lambda: status(run) in (RunStatus.FINISHED, RunStatus.FAILED), 400, "the run to end", first
    )
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED, run.error + train_log(run)
    assert run.launches == 1 and run.exit_code == 0
    assert run.last_step == 4 and run.started_at and run.finished_at
    assert run.worker_host in (first.hostname, second.hostname)
    assert "not claimed" in first.text() + second.text()

    steps = list(MetricRow.objects.filter(run=run).order_by("step").values_list("step", flat=True))
    assert steps[:4] == [1, 2, 3, 4]
    values = MetricRow.objects.get(run=run, step=1).values
    assert {"loss", "reward", "rewards/format/mean", "rewards/correctness/mean"} <= set(values)
    assert Rollout.objects.filter(run=run).count() == 4 * 8
    rollout = Rollout.objects.filter(run=run).first()
    assert set(rollout.rewards) == {"format", "correctness"} and rollout.ground_truth
    assert EvalRow.objects.filter(run=run).count() >= 2
    checkpoints = Artifact.objects.filter(run=run).order_by("step")
    assert [a.step for a in checkpoints][:2] == [2, 4] and all(
        a.size_bytes > 0 for a in checkpoints
    )
    assert os.path.isdir(run.last_checkpoint)


def test_cancel_while_running_ends_canceled_with_a_checkpoint(workers, project, owner):
    worker = workers()
    run = launch(project, owner, grpo={"max_steps": 200}, checkpoint_every=0)
    wait_for(lambda: Run.objects.get(pk=run.pk).last_step >= 1, 300, "the first step", worker)
    run = cancel_and_wait(run, worker)
    assert run.status == RunStatus.CANCELED, run.error + train_log(run)
    assert run.last_step < 200 and run.last_checkpoint and os.path.isdir(run.last_checkpoint)
    assert run.last_checkpoint_step == run.last_step
    assert not alive(run.pid)


def processes_of(out_dir: str) -> list[int]:
    """Live processes whose command line names the run directory (launcher and every rank)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if out_dir in cmdline and alive(int(entry)):
            pids.append(int(entry))
    return pids


def test_two_process_run_writes_every_rank_and_cancels_every_rank(workers, project, owner):
    """`grpo.num_processes: 2` through the worker: `accelerate launch --multi_gpu` (two CPU ranks,
    DDP on gloo); the database holds both ranks' completions once, and a cancel checkpoints and
    ends the launcher and both ranks."""
    worker = workers()
    run = launch(
        project,
        owner,
        grpo={"max_steps": 200, "num_processes": 2, "per_device_train_batch_size": 4},
        checkpoint_every=0,
    )
    wait_for(lambda: Run.objects.get(pk=run.pk).last_step >= 2, 300, "two steps", worker)
    run.refresh_from_db()
    assert len(processes_of(run.output_dir)) >= 3, "launcher and two ranks"
    for step in (1, 2):
        rollouts = Rollout.objects.filter(run=run, step=step)
        assert rollouts.count() == 8  # 4 per rank, written once by the main rank
        assert len(set(rollouts.values_list("prompt_id", flat=True))) == 2
    run = cancel_and_wait(run, worker)
    assert run.status == RunStatus.CANCELED, run.error + train_log(run)
    assert run.last_checkpoint and os.path.isdir(run.last_checkpoint)
    assert run.last_checkpoint_step == run.last_step < 200
    wait_for(lambda: not processes_of(run.output_dir), 30, "every rank to exit")


def test_cancel_while_queued_never_starts_training(workers, project, owner):
    run = launch(project, owner)  # the message waits on the broker: no worker yet
    assert services.run_cancel(run=run) == "canceled"
    worker = workers()
    wait_for(
        lambda: "not claimed (canceled)" in worker.text(), 60, "the message to be consumed", worker
    )
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELED and run.launches == 0 and run.pid is None
    assert not run.output_dir


def test_worker_killed_mid_run_is_reaped_and_resumed_from_its_checkpoint(workers, project, owner):
    doomed = workers(queues="gpu")
    run = launch(project, owner, grpo={"max_steps": 10}, checkpoint_every=2)
    wait_for(
        lambda: (Run.objects.get(pk=run.pk).last_checkpoint_step or 0) >= 2,
        300,
        "the first checkpoint",
        doomed,
    )
    run.refresh_from_db()
    training_pid = run.pid
    doomed.stop(signal.SIGKILL)  # the worker and its pool child die at once
    killed_at = time.time()

    rescuer = workers()  # any live worker reaps
    wait_for(lambda: status(run) == RunStatus.FAILED, 60, "the reaper", rescuer)
    assert time.time() - killed_at < 60
    run.refresh_from_db()
    assert "stopped reporting" in run.error and run.can_resume
    wait_for(lambda: not alive(training_pid), 30, "the orphaned training to exit")

    checkpoint_step = run.last_checkpoint_step
    continuation = services.run_resume(run=run, user=owner)
    assert continuation.start_step == checkpoint_step
    wait_for(
        lambda: status(continuation) in (RunStatus.FINISHED, RunStatus.FAILED),
        400,
        "the continuation to end",
        rescuer,
    )
    continuation.refresh_from_db()
    assert continuation.status == RunStatus.FINISHED, continuation.error + train_log(continuation)
    first_step = MetricRow.objects.filter(run=continuation).order_by("step").first().step
    assert first_step == checkpoint_step + 1  # it continued, it did not start over
    joined = [p["step"] for p in selectors.run_metric_rows(run=continuation)]
    assert joined[:10] == list(range(1, 11))


def _redis(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            shutil.which("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 10, "redis")
    return proc


def test_broker_restart_mid_run_does_not_disturb_training(workers, project, owner):
    from workers.celery_app import app

    port = free_port()
    broker = _redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        worker = workers(CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url)
        run = Run.objects.create(
            project=project,
            created_by=owner,
            name="broker",
            config=services.run_config_validate(tiny_run_config(grpo={"max_steps": 6})),
        )
        with app.connection_for_write(url) as conn:
            app.send_task("workers.tasks.run_train", args=[run.pk], queue="gpu", connection=conn)
        wait_for(lambda: Run.objects.get(pk=run.pk).last_step >= 1, 300, "the first step", worker)
        broker.kill()
        broker.wait()
        time.sleep(2)
        broker = _redis(port)
        wait_for(
            lambda: status(run) in (RunStatus.FINISHED, RunStatus.FAILED),
            300,
            "the run to end",
            worker,
        )
        run.refresh_from_db()
        assert run.status == RunStatus.FINISHED, run.error + train_log(run)
        assert worker.proc.poll() is None  # the worker reconnected instead of dying
    finally:
        broker.kill()
        broker.wait()


def test_database_sink_keeps_writes_while_the_database_is_unreachable(project, owner):
    from django.db import connection

    from workers.sink import DatabaseSink

    run = Run.objects.create(project=project, name="db", config={}, status=RunStatus.RUNNING)
    sink = DatabaseSink(run_id=str(run.pk), stop_check_seconds="0")
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: the database is "down"
    try:
        sink.write_metrics(1, {"reward": 0.5})
        sink.write_rollouts(
            1,
            [
                {
                    "prompt_id": "p",
                    "group": 0,
                    "completion": "c",
                    "rewards": {"format": 1.0},
                    "total": 1.0,
                }
            ],
        )
        assert sink.stop_requested() is False  # an unreachable database never stops training
        assert sink.failures >= 2 and sink.pending_metrics and sink.pending_rollouts
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port
    sink.write_metrics(2, {"reward": 0.75})  # back up: everything kept is written now
    assert list(
        MetricRow.objects.filter(run=run).order_by("step").values_list("step", flat=True)
    ) == [1, 2]
    assert Rollout.objects.filter(run=run).count() == 1
    Run.objects.filter(pk=run.pk).update(status=RunStatus.STOPPING)
    assert sink.stop_requested() is True
