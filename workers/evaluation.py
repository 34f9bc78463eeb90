"""The evaluation supervisor: runs inside a Celery task, never imports torch.

Like the training supervisor: it claims the evaluation (queued -> running, once), starts
`workers.evaluation_child` in its own process group, beats the heartbeat with the child's
progress, stores each suite's results as soon as the child writes them, and on a cancel sends
SIGTERM (then SIGKILL) to the group. The row is the truth; the child never touches the database.
"""

from __future__ import annotations

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

from toolrl_web.evaluations import catalog, selectors, services
from toolrl_web.evaluations.models import Evaluation, EvaluationStatus
from workers.evaluation_child import ERROR_FILE, PROGRESS_FILE
from workers.supervisor import ROOT, _die_with_parent, _lines, _signal_group

log = logging.getLogger(__name__)
LOG_FILE = "evaluate.log"
KILL_AFTER_SECONDS = 10


def output_dir(evaluation: Evaluation) -> Path:
    """Under the run's output folder (beside its checkpoints), else the artifacts folder."""
    if evaluation.run_id is None:
        return Path(settings.ARTIFACTS_DIR) / "evaluations" / str(evaluation.pk)
    run_dir = evaluation.run.output_dir or Path(settings.ARTIFACTS_DIR) / "runs" / str(
        evaluation.run_id
    )
    return Path(run_dir) / "evaluations" / str(evaluation.pk)


def _spec(evaluation: Evaluation, out: Path) -> dict:
    data = catalog.eval_data_dir()
    return {
        "model": evaluation.model,
        "suites": evaluation.suites,
        "limit": evaluation.limit,
        "data_dir": str(data) if data else None,
        "held_out_rows": catalog.HELD_OUT_ROWS,
        "max_new_tokens": (evaluation.options or {}).get("max_new_tokens", 512),
        "out_dir": str(out),
        # The run's frozen configuration: its validation data (files resolved from the dataset
        # record at launch, never a path a user typed) and its reward. None for a base model
        # evaluated outside a run, which keeps the synthetic held-out rows.
        "run_config": evaluation.run.config if evaluation.run_id else None,
    }


def supervise_evaluation(evaluation_id: int, *, worker_host: str = "") -> str:
    """Run one evaluation to its end; returns the final status (or why nothing was done)."""
    worker_host = worker_host or socket.gethostname()
    evaluation = Evaluation.objects.select_related("run").filter(pk=evaluation_id).first()
    if evaluation is None:
        return "no such evaluation"
    out = output_dir(evaluation)
    if not services.evaluation_claim(
        evaluation_id=evaluation_id, worker_host=worker_host, output_dir=str(out)
    ):
        return f"not claimed ({evaluation.status})"
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / ERROR_FILE).unlink(missing_ok=True)
        spec_path = out / "spec.json"
        spec_path.write_text(json.dumps(_spec(evaluation, out), indent=2))
    except OSError as exc:
        message = f"{out}: cannot write the evaluation's folder ({exc.strerror or exc})"
        return _finish(evaluation_id, 1, message)
    argv = [sys.executable, "-m", "workers.evaluation_child", str(spec_path)]
    try:
        with open(out / LOG_FILE, "ab") as log_file:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
    except OSError as exc:
        return _finish(evaluation_id, 1, f"cannot start the evaluation process ({exc})")
    exit_code = _watch(evaluation, proc, out)
    missing = _record_results(evaluation, out)
    error = ""
    if exit_code != 0:
        error = _failure_message(out, exit_code)
    elif missing:
        exit_code, error = 1, f"no results written for {', '.join(missing)}"
    return _finish(evaluation_id, exit_code, error)


def _watch(evaluation: Evaluation, proc: subprocess.Popen, out: Path) -> int:
    last_beat = 0.0
    term_sent_at = None
    while True:
        code = proc.poll()
        if code is not None:
            return code
        now = time.monotonic()
        if now - last_beat >= settings.RUN_HEARTBEAT_SECONDS:
            last_beat = now
            if not _beat(evaluation.pk, proc.pid, out):
                if term_sent_at is None:
                    log.info("evaluation %s: stop asked for: SIGTERM", evaluation.pk)
                    _signal_group(proc.pid, signal.SIGTERM)
                    term_sent_at = now
                elif now - term_sent_at > KILL_AFTER_SECONDS:
                    _signal_group(proc.pid, signal.SIGKILL)
            _record_results(evaluation, out)
        time.sleep(0.5)


def _beat(evaluation_id: int, pid: int, out: Path) -> bool:
    """Heartbeat with progress; False when the child should stop (cancel asked, or reaped)."""
    try:
        progress = json.loads((out / PROGRESS_FILE).read_text())
    except (OSError, ValueError):
        progress = None
    try:
        close_old_connections()
        alive = services.evaluation_heartbeat(
            evaluation_id=evaluation_id, pid=pid, progress=progress
        )
        state = selectors.evaluation_get(evaluation_id=evaluation_id)
        return alive and state.cancel_requested_at is None
    except Exception as exc:  # noqa: BLE001 - a database blip must not stop the evaluation
        log.warning("evaluation %s: heartbeat not written (%s)", evaluation_id, exc)
        from django.db import connection

        connection.close()
        return True


def _record_results(evaluation: Evaluation, out: Path) -> list[str]:
    """Store every suite whose results.json exists; returns the suites still without one."""
    missing = []
    recorded = set(evaluation.results.values_list("suite", flat=True))
    for suite in evaluation.suites:
        path = out / suite / "results.json"
        if suite in recorded:
            continue
        if not path.exists():
            missing.append(suite)
            continue
        try:
            summary = json.loads(path.read_text())["summary"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("evaluation %s: %s unreadable (%s)", evaluation.pk, path, exc)
            missing.append(suite)
            continue
        services.evaluation_record_result(evaluation_id=evaluation.pk, suite=suite, summary=summary)
    return missing


def _failure_message(out: Path, exit_code: int) -> str:
    written = _lines(out / ERROR_FILE)
    if written:
        return " ".join(written)[:2000]
    message = f"the evaluation process exited with status {exit_code}"
    if exit_code < 0:
        try:
            message = f"the evaluation process was killed by {signal.Signals(-exit_code).name}"
        except ValueError:
            pass
    tail = _lines(out / LOG_FILE)
    return (message + (f"; last log line: {tail[-1]}" if tail else ""))[:2000]


def _finish(evaluation_id: int, exit_code: int, error: str) -> str:
    for delay in (0, 1, 2, 5, 10):
        time.sleep(delay)
        try:
            close_old_connections()
            return services.evaluation_finish(
                evaluation_id=evaluation_id, exit_code=exit_code, error=error
            )
        except Exception as exc:  # noqa: BLE001
            log.warning("evaluation %s: final status not written (%s)", evaluation_id, exc)
            from django.db import connection

            connection.close()
    return EvaluationStatus.RUNNING
