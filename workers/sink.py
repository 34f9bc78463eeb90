"""The database sink: the training process streams metrics, rollouts and checkpoints into the
platform's database, and reads the stop request from it.

It runs inside the training child process (started by the supervisor with
`--sink workers.sink:DatabaseSink --sink-arg run_id=N`). A failed write is kept and retried on
the next call with a fresh connection; nothing here ever raises into training, and an
unreachable database never stops a run (it only delays what the pages show).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from toolrl.training.sinks import Sink
from workers.bootstrap import add_platform_to_path

log = logging.getLogger(__name__)

# Rollouts kept in memory while the database is unreachable; older batches are dropped first
# (metrics are small and always kept).
MAX_PENDING_ROLLOUTS = 200_000


class DatabaseSink(Sink):
    def __init__(self, run_id: str | int, stop_check_seconds: str | float = 1.0) -> None:
        add_platform_to_path()
        import django

        django.setup()
        self.run_id = int(run_id)
        self.pending_metrics: list[tuple[int, dict[str, Any]]] = []
        self.pending_rollouts: list[tuple[int, list[dict[str, Any]]]] = []
        self.pending_other: list[tuple[str, tuple]] = []
        self.stop_check_seconds = float(stop_check_seconds)
        self._last_stop_check = 0.0
        self._stop = False
        self.failures = 0

    # --- helpers ---------------------------------------------------------------------------

    def _attempt(self, what: str, func, *args, **kwargs) -> bool:
        from django.db import close_old_connections, connection

        try:
            close_old_connections()
            func(*args, **kwargs)
            return True
        except Exception as exc:  # noqa: BLE001 - keep the data, retry on the next call
            self.failures += 1
            log.warning("run %s: could not write %s (%s); will retry", self.run_id, what, exc)
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass
            return False

    def _flush(self) -> None:
        from toolrl_web.runs import ingest, services

        if self.pending_metrics:
            rows = self.pending_metrics
            if self._attempt("metrics", ingest.metrics_write, run_id=self.run_id, rows=rows):
                self.pending_metrics = []
                self._attempt(
                    "progress", services.run_record_progress, run_id=self.run_id, step=rows[-1][0]
                )
        while self.pending_rollouts:
            step, records = self.pending_rollouts[0]
            if not self._attempt(
                "rollouts", ingest.rollouts_write, run_id=self.run_id, step=step, records=records
            ):
                break
            self.pending_rollouts.pop(0)
        while self.pending_other:
            what, args = self.pending_other[0]
            func = {
                "eval": lambda step, values: ingest.eval_write(
                    run_id=self.run_id, step=step, values=values
                ),
                "checkpoint": lambda step, path: services.run_record_checkpoint(
                    run_id=self.run_id, step=step, path=path
                ),
            }[what]
            if not self._attempt(what, func, *args):
                break
            self.pending_other.pop(0)

    # --- the Sink interface ----------------------------------------------------------------

    def start(self, info: dict[str, Any]) -> None:
        from toolrl_web.runs.services import run_record_start

        self._attempt(
            "start", run_record_start, run_id=self.run_id, max_steps=info.get("max_steps")
        )

    def write_metrics(self, step: int, metrics: dict[str, Any]) -> None:
        self.pending_metrics.append((int(step), dict(metrics)))
        self._flush()

    def write_rollouts(self, step: int, rollouts: list[dict[str, Any]]) -> None:
        self.pending_rollouts.append((int(step), list(rollouts)))
        while sum(len(r) for _, r in self.pending_rollouts) > MAX_PENDING_ROLLOUTS:
            dropped_step, dropped = self.pending_rollouts.pop(0)
            log.error(
                "run %s: dropped %d rollouts of step %s (database unreachable too long)",
                self.run_id,
                len(dropped),
                dropped_step,
            )
        self._flush()

    def write_eval(self, step: int, metrics: dict[str, Any]) -> None:
        self.pending_other.append(("eval", (int(step), dict(metrics))))
        self._flush()

    def on_checkpoint(self, step: int, path: str) -> None:
        self.pending_other.append(("checkpoint", (int(step), str(path))))
        self._flush()

    def stop_requested(self) -> bool:
        """True once the run is stopping (cancel, wall time) or was ended by the reaper."""
        if self._stop:
            return True
        now = time.monotonic()
        if now - self._last_stop_check < self.stop_check_seconds:
            return False
        self._last_stop_check = now
        from django.db import close_old_connections

        from toolrl_web.runs.models import FINAL_STATUSES, RunStatus
        from toolrl_web.runs.selectors import run_status

        try:
            close_old_connections()
            status = run_status(run_id=self.run_id)
        except Exception as exc:  # noqa: BLE001 - an unreachable database never stops training
            log.warning("run %s: stop flag not readable (%s)", self.run_id, exc)
            return False
        self._stop = status == RunStatus.STOPPING or status in FINAL_STATUSES
        return self._stop

    def close(self, status: str = "completed") -> None:
        from toolrl_web.runs.services import run_record_wall_time_stop

        for delay in (0, 1, 2, 4, 8):
            time.sleep(delay)
            self._flush()
            if not (self.pending_metrics or self.pending_rollouts or self.pending_other):
                break
        if status == "time_limit":
            self._attempt("stop reason", run_record_wall_time_stop, run_id=self.run_id)
