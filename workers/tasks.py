"""Thin tasks: load an id, call a service. Task arguments are ids only."""

from __future__ import annotations

import os
import socket

from workers.celery_app import app


@app.task(name="workers.tasks.ping", queue="cpu")
def ping() -> dict:
    """Round-trip probe used by the status checks and the worker test."""
    return {"pong": True, "host": socket.gethostname(), "pid": os.getpid()}
