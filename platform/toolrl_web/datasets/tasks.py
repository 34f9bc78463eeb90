"""Sending the dataset task by its name: the web never imports `workers` (and so never starts
the worker's Celery app). A small stand-in for the project's shared send-by-name helper; swap
`send_task` for it when it lands."""

from __future__ import annotations

import functools
import logging

from django.conf import settings

log = logging.getLogger(__name__)

VALIDATE_TASK = "workers.tasks.dataset_validate"


@functools.cache
def _producer():
    from celery import Celery

    return Celery("toolrl-web", broker=settings.CELERY_BROKER_URL, set_as_current=False)


def send_task(name: str, *, args: list, queue: str) -> bool:
    """Send task `name`; False (and a log line) when the broker cannot be reached."""
    try:
        _producer().send_task(name, args=args, queue=queue, retry=False)
    except Exception as exc:  # noqa: BLE001 - the row is the truth; the message can be resent
        log.warning("%s%s not sent (%s)", name, args, exc)
        return False
    return True
