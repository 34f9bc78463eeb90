"""Celery as the web side sees it: tasks are sent by name, `workers` is never imported.

Importing `workers` would run the Celery app's set-up in the web process and make `workers` and
the services it calls import each other. A small client app configured from the settings sends
the message instead; `broker_settings()` is also what the worker app is configured from, so the
two always agree on the broker, the queues and the serializer.

    send_task("workers.tasks.run_train", args=[run.pk], queue="gpu")
"""

from __future__ import annotations

import functools
from typing import Any

from celery import Celery
from django.conf import settings
from kombu import Queue

# Training on `gpu` (one job per GPU worker), everything else on `cpu`.
QUEUES = ("cpu", "gpu")


def broker_settings() -> dict[str, Any]:
    """The Celery settings a sender and a worker must share."""
    broker_url = settings.CELERY_BROKER_URL
    conf: dict[str, Any] = {
        "broker_url": broker_url,
        "result_backend": settings.CELERY_RESULT_BACKEND,
        "task_queues": [Queue(name) for name in QUEUES],
        "task_default_queue": "cpu",
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "result_expires": 3600,
    }
    if broker_url.startswith(("redis://", "rediss://")):
        # Nothing waits unacknowledged (early ack, no prefetch), so the visibility timeout only
        # matters for messages lost in flight; keep it above any plausible gap (default 1 h).
        conf["broker_transport_options"] = {"visibility_timeout": 12 * 3600}
    return conf


@functools.cache
def _client(broker_url: str) -> Celery:
    # One client per broker URL: tests (and a settings reload) may point at another broker.
    app = Celery("toolrl-web", set_as_current=False)
    app.conf.update(broker_settings())
    return app


def send_task(name: str, *, args: list[Any], queue: str) -> None:
    """Send the task called `name` to `queue`, once.

    Raises when the broker cannot be reached (no retry loop: the caller keeps the job's row and
    its housekeeping sends the message again later).
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}: use one of {', '.join(QUEUES)}")
    url = settings.CELERY_BROKER_URL
    app = _client(url)
    # An explicit connection: Celery would otherwise prefer the CELERY_BROKER_URL environment
    # variable to the configured broker, and the settings are the truth here.
    # ignore_result: the database row is the truth about a job, so the sender never waits on the
    # result backend (Celery would otherwise subscribe to it, and retry for 20 s when it is down).
    with app.connection_for_write(url) as connection:
        app.send_task(
            name, args=args, queue=queue, retry=False, connection=connection, ignore_result=True
        )
