"""The training supervisor: runs inside a Celery task, never imports torch.

It claims the run (queued -> starting, once), starts the engine as a child process in its own
process group, keeps the run's heartbeat, enforces the maximum wall time, and on a stop request
gives the training `RUN_STOP_GRACE_SECONDS` to checkpoint at its next step (the engine reads the
request through the database sink) before SIGTERM and, `RUN_KILL_GRACE_SECONDS` later, SIGKILL
to the whole group. The child gets SIGTERM if the supervisor itself dies (PR_SET_PDEATHSIG), so a
killed worker never leaves a training running unsupervised.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

from toolrl_web.runs import services
from toolrl_web.runs.models import FINAL_STATUSES, Run, RunStatus

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def training_command(
    run: Run, config_path: Path, out_dir: Path, *, port: int | None = None
) -> list[str]:
    """The engine's entry point; `accelerate launch` when the run asks for several GPUs.

    Several processes rendezvous on a TCP port of this node. Each run gets a free one (or `port`),
    so two multi-GPU runs on one node do not both try torchrun's default 29500.
    """
    engine = [
        str(config_path),
        "--out",
        str(out_dir),
        "--sink",
        "workers.sink:DatabaseSink",
        "--sink-arg",
        f"run_id={run.pk}",
    ]
    if run.resume_checkpoint:
        engine += ["--resume", run.resume_checkpoint]
    processes = int((run.config.get("grpo") or {}).get("num_processes") or 1)
    if processes > 1:
        return [
            sys.executable,
            "-m",
            "accelerate.commands.launch",
            # Explicit: without it, accelerate falls back to a single process wherever it does
            # not see several GPUs (on CPU it then trains with the wrong global batch).
            "--multi_gpu",
            "--num_processes",
            str(processes),
            "--num_machines",
            "1",
            "--main_process_port",
            str(port or _free_port()),
            "-m",
            "toolrl.training",
            *engine,
        ]
    return [sys.executable, "-m", "toolrl.training", *engine]


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def supervise(run_id: int, *, worker_host: str = "") -> str:
    """Run one training to its end; returns the final status (or why nothing was done)."""
    worker_host = worker_host or socket.gethostname()
    if not services.run_claim(run_id=run_id, worker_host=worker_host):
        status = Run.objects.filter(pk=run_id).values_list("status", flat=True).first()
        log.info("run %s not claimed (status %s): nothing to do", run_id, status)
        return f"not claimed ({status})"

    run = Run.objects.get(pk=run_id)
    out_dir = Path(settings.ARTIFACTS_DIR) / "runs" / str(run.pk)
    out_dir.mkdir(parents=True, exist_ok=True)
    config_path = out_dir / "run_config.json"
    config_path.write_text(json.dumps(run.config, indent=2))
    log_path = out_dir / "train.log"
    argv = training_command(run, config_path, out_dir)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log_path, "ab") as log_file:
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    if not services.run_mark_running(run_id=run_id, pid=proc.pid, output_dir=str(out_dir)):
        # Canceled between the claim and the start: stop the child we just started.
        _signal_group(proc.pid, signal.SIGTERM)
    exit_code = _watch(run, proc)
    error = "" if exit_code == 0 else f"training exited with status {exit_code}\n{_tail(log_path)}"
    return _finish_with_retries(run_id, exit_code, error)


def _watch(run: Run, proc: subprocess.Popen) -> int:
    started = time.monotonic()
    max_wall = run.config.get("max_wall_time")
    last_beat = 0.0
    term_sent_at = None
    while True:
        code = proc.poll()
        if code is not None:
            return code
        now = time.monotonic()
        if now - last_beat >= settings.RUN_HEARTBEAT_SECONDS:
            last_beat = now
            state = _beat(run.pk)
            if state is not None:
                status, cancel_at = state
                if max_wall and now - started > max_wall + settings.RUN_STOP_GRACE_SECONDS:
                    # The engine stops itself at the wall time; this is the backstop.
                    if services.run_request_stop(run_id=run.pk, reason=services.WALL_TIME_REASON):
                        status, cancel_at = RunStatus.STOPPING, time.time()
                stop_since = _stop_since(status, cancel_at)
                if stop_since is not None:
                    if term_sent_at is None and stop_since > settings.RUN_STOP_GRACE_SECONDS:
                        log.warning("run %s did not stop in time: SIGTERM", run.pk)
                        _signal_group(proc.pid, signal.SIGTERM)
                        term_sent_at = now
                    elif term_sent_at and now - term_sent_at > settings.RUN_KILL_GRACE_SECONDS:
                        log.warning("run %s ignored SIGTERM: SIGKILL", run.pk)
                        _signal_group(proc.pid, signal.SIGKILL)
        time.sleep(0.5)


def _beat(run_id: int):
    """Write the heartbeat and read the stop state; None when the database is unreachable."""
    try:
        close_old_connections()
        services.run_heartbeat(run_id=run_id)
        row = Run.objects.values_list("status", "cancel_requested_at").get(pk=run_id)
        return row[0], (row[1].timestamp() if row[1] else None)
    except Exception as exc:  # noqa: BLE001 - a database blip must not stop the training
        log.warning("run %s: heartbeat not written (%s)", run_id, exc)
        from django.db import connection

        connection.close()
        return None


def _stop_since(status: str, cancel_at: float | None) -> float | None:
    if status in FINAL_STATUSES:  # reaped or finalized elsewhere: stop now
        return float("inf")
    if status == RunStatus.STOPPING and cancel_at:
        return time.time() - cancel_at
    return None


def _finish_with_retries(run_id: int, exit_code: int, error: str) -> str:
    for delay in (0, 1, 2, 5, 10, 20):
        time.sleep(delay)
        try:
            close_old_connections()
            return services.run_finish(run_id=run_id, exit_code=exit_code, error=error)
        except Exception as exc:  # noqa: BLE001
            log.warning("run %s: final status not written (%s); retrying", run_id, exc)
            from django.db import connection

            connection.close()
    return "unknown"
