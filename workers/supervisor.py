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

from toolrl_web.runs import selectors, services
from toolrl_web.runs.models import FINAL_STATUSES, Run, RunStatus, StopReason

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


# The training entry point writes, on any failure, the one line a user should see here (its
# traceback, if any, goes to the log); see docs/training.md.
ERROR_FILE = "error.txt"
MAX_ERROR_CHARS = 2000


def _lines(path: Path, *, tail_bytes: int = 64 * 1024) -> list[str]:
    """The non-blank lines of the file's last `tail_bytes` (a training log can be large)."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - tail_bytes))
            text = fh.read().decode(errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _how_it_ended(exit_code: int) -> str:
    if exit_code < 0:
        try:
            return f"training was killed by {signal.Signals(-exit_code).name}"
        except ValueError:
            pass
    return f"training exited with status {exit_code}"


def failure_message(out_dir: Path, exit_code: int) -> str:
    """What the run page shows for a failed training: the engine's own one-line message, or
    how the process ended and the last line of its log when it could not write one."""
    written = _lines(out_dir / ERROR_FILE, tail_bytes=MAX_ERROR_CHARS * 4)
    if written:
        message = written[0]
    else:
        log_lines = _lines(out_dir / "train.log")
        message = _how_it_ended(exit_code)
        if log_lines:
            message += f"; last log line: {log_lines[-1]}"
    return message[:MAX_ERROR_CHARS]


def supervise(run_id: int, *, worker_host: str = "") -> str:
    """Run one training to its end; returns the final status (or why nothing was done)."""
    worker_host = worker_host or socket.gethostname()
    if not services.run_claim(run_id=run_id, worker_host=worker_host):
        status = selectors.run_status(run_id=run_id)
        log.info("run %s not claimed (status %s): nothing to do", run_id, status)
        return f"not claimed ({status})"

    run = selectors.run_get(run_id=run_id)
    out_dir = Path(settings.ARTIFACTS_DIR) / "runs" / str(run.pk)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / ERROR_FILE).unlink(missing_ok=True)  # only this launch's failure counts
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
    error = "" if exit_code == 0 else failure_message(out_dir, exit_code)
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
                    if services.run_request_stop(run_id=run.pk, reason=StopReason.WALL_TIME):
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
        return selectors.run_stop_state(run_id=run_id)
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
