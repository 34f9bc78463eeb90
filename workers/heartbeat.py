"""Worker liveness: every worker writes a heartbeat row the status page reads.

Celery's remote control (ping/inspect) does not work on the SQLAlchemy broker, so liveness comes
from the database on every transport. The thread lives in the worker's main process.
"""

from __future__ import annotations

import logging
import os
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)
_stop = threading.Event()


def _queues(consumer) -> list[str]:
    try:
        return [q.name for q in consumer.task_consumer.queues]
    except Exception:  # noqa: BLE001 - best effort; the heartbeat matters more than the list
        return []


def _beat_forever(hostname: str, queues: list[str], concurrency: int | None) -> None:
    from toolrl_web.evaluations.services import evaluations_reap_stale, evaluations_send_pending
    from toolrl_web.runs.services import runs_reap_stale, runs_send_pending
    from toolrl_web.status.services import worker_heartbeat_beat

    pid = os.getpid()
    while not _stop.is_set():
        try:
            close_old_connections()
            worker_heartbeat_beat(
                hostname=hostname, queues=queues, pid=pid, concurrency=concurrency
            )
            # Every worker reaps: a run whose own worker was killed is failed by any other.
            runs_reap_stale()
            runs_send_pending()
            evaluations_reap_stale()
            evaluations_send_pending()
        except Exception as exc:  # noqa: BLE001 - a database blip must not kill the worker
            log.warning("heartbeat not written: %s", exc)
        _stop.wait(settings.WORKER_HEARTBEAT_SECONDS)


@worker_ready.connect
def start_heartbeat(sender=None, **kwargs) -> None:
    consumer = sender
    hostname = consumer.hostname
    concurrency = getattr(consumer.controller, "concurrency", None)
    thread = threading.Thread(
        target=_beat_forever,
        args=(hostname, _queues(consumer), concurrency),
        name="toolrl-heartbeat",
        daemon=True,
    )
    thread.start()


@worker_shutdown.connect
def stop_heartbeat(sender=None, **kwargs) -> None:
    _stop.set()
    try:
        from toolrl_web.status.services import worker_heartbeat_stop

        worker_heartbeat_stop(hostname=sender.hostname)
    except Exception as exc:  # noqa: BLE001
        log.warning("could not record worker shutdown: %s", exc)
