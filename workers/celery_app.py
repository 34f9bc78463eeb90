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

from toolrl_web.errors import run_with_clear_errors  # noqa: E402

run_with_clear_errors(django.setup)

from django.conf import settings  # noqa: E402

from toolrl_web.tasks import broker_settings  # noqa: E402

# The worker imports the task module once this one is fully loaded (a string, not an import,
# so the two modules never import each other).
app = Celery("toolrl", include=["workers.tasks"])

# Broker, queues and serializer come from the web side's client, so what it sends by name is
# what the workers consume.
app.conf.update(
    **broker_settings(),
    broker_connection_retry_on_startup=True,
    task_routes={"workers.tasks.run_train": {"queue": "gpu"}},
    worker_prefetch_multiplier=1,
    # Redis only (Celery >= 5.6)
    worker_disable_prefetch=settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")),
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

import workers.heartbeat  # noqa: E402,F401  (connects the worker signals)
