"""Reads for the status page: database, broker and live workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from toolrl_web.errors import redact
from toolrl_web.status.models import WorkerHeartbeat


@dataclass
class ServiceCheck:
    name: str
    ok: bool
    detail: str


def database_check() -> ServiceCheck:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        vendor = connection.vendor
        return ServiceCheck("Database", True, f"{vendor} at {redact(settings.DATABASE_URL)}")
    except Exception as exc:  # noqa: BLE001 - the page reports any failure
        return ServiceCheck("Database", False, str(exc).splitlines()[0] if str(exc) else repr(exc))


def broker_check(timeout: float = 2.0) -> ServiceCheck:
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    try:
        with Connection(url, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        return ServiceCheck("Broker", True, redact(url))
    except Exception as exc:  # noqa: BLE001
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ServiceCheck("Broker", False, f"{redact(url)}: {reason}")


def worker_list(*, now=None) -> list[dict]:
    """Every known worker with `live` True while its heartbeat is fresh."""
    now = now or timezone.now()
    stale = timedelta(seconds=settings.WORKER_STALE_SECONDS)
    workers = []
    for beat in WorkerHeartbeat.objects.all():
        live = beat.stopped_at is None and now - beat.last_seen <= stale
        workers.append({"beat": beat, "live": live, "age": (now - beat.last_seen).total_seconds()})
    return workers


def worker_live_list() -> list[WorkerHeartbeat]:
    return [w["beat"] for w in worker_list() if w["live"]]
