"""Writes for worker liveness (called from the Celery worker process)."""

from __future__ import annotations

from django.utils import timezone

from toolrl_web.status.models import WorkerHeartbeat


def worker_heartbeat_beat(
    *, hostname: str, queues: list[str], pid: int, concurrency: int | None, started_at=None
) -> WorkerHeartbeat:
    now = timezone.now()
    fields = {
        "queues": ",".join(sorted(queues)),
        "pid": pid,
        "concurrency": concurrency,
        "last_seen": now,
    }
    beat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        defaults={**fields, "stopped_at": None},
        create_defaults={**fields, "started_at": started_at or now},
    )
    return beat


def worker_heartbeat_stop(*, hostname: str) -> None:
    WorkerHeartbeat.objects.filter(hostname=hostname).update(stopped_at=timezone.now())
