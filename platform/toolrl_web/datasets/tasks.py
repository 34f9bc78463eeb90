"""Sending the dataset task by its name (the web never imports `workers`)."""

from __future__ import annotations

import logging

from toolrl_web import tasks

log = logging.getLogger(__name__)

VALIDATE_TASK = "workers.tasks.dataset_validate"


def send_task(name: str, *, args: list, queue: str) -> bool:
    """Send task `name`; False (and a log line) when the broker cannot be reached."""
    try:
        tasks.send_task(name, args=args, queue=queue)
    except Exception as exc:  # noqa: BLE001 - the row is the truth; the message can be resent
        log.warning("%s%s not sent (%s)", name, args, exc)
        return False
    return True
