"""The Celery app: a dispatcher for long jobs, with the database as the truth about each job.

Settings are chosen for hours-long GPU training (see README, "Workers", for the reasons):
- prefetch multiplier 1 and, on Redis, `worker_disable_prefetch`: a busy worker reserves nothing,
  so a queued run waits on the broker until some GPU worker is free.
- early acknowledgement and no requeue on a lost worker: a training run is not idempotent; a
  crashed run is marked failed by the reaper and resumed from its checkpoint by the user.
- one task per child process: every training gets a fresh process, nothing leaks between runs.
- no blanket time limits: training may run for days; each run enforces its own maximum wall time.
- task arguments are ids only; everything else is read from the database.

Start a worker: `celery -A workers.celery_app worker -Q cpu` (or `-Q gpu -c 1` on a GPU node).
"""

from __future__ import annotations

from workers.bootstrap import add_platform_to_path

add_platform_to_path()

import django  # noqa: E402
from celery import Celery  # noqa: E402
from kombu import Queue  # noqa: E402

from toolrl_web.errors import run_with_clear_errors  # noqa: E402

run_with_clear_errors(django.setup)

from django.conf import settings  # noqa: E402

app = Celery("toolrl")

_on_redis = settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))

app.conf.update(
    broker_url=settings.CELERY_BROKER_URL,
    result_backend=settings.CELERY_RESULT_BACKEND,
    broker_connection_retry_on_startup=True,
    task_queues=[Queue("cpu"), Queue("gpu")],
    task_default_queue="cpu",
    task_routes={"workers.tasks.run_train": {"queue": "gpu"}},
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    result_expires=3600,
    worker_prefetch_multiplier=1,
    worker_disable_prefetch=_on_redis,  # Redis only (Celery >= 5.6)
    task_acks_late=False,
    task_reject_on_worker_lost=False,
    worker_max_tasks_per_child=1,
    task_time_limit=None,
    task_soft_time_limit=None,
    # On a warm shutdown (deploy), give running supervisors time to ask training to checkpoint.
    worker_soft_shutdown_timeout=float(settings.WORKER_SOFT_SHUTDOWN_SECONDS),
    worker_send_task_events=False,
    worker_hijack_root_logger=False,
)
if _on_redis:
    # Nothing waits unacknowledged (early ack, no prefetch), so the visibility timeout only matters
    # for messages lost in flight; keep it above any plausible gap rather than the 1 h default.
    app.conf.broker_transport_options = {"visibility_timeout": 12 * 3600}

app.autodiscover_tasks(["workers"], related_name="tasks", force=True)

import workers.heartbeat  # noqa: E402,F401  (connects the worker signals)
