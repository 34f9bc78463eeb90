from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """A Celery worker's last sign of life, written by the worker itself.

    Celery's remote control (ping/inspect) does not work on the SQLAlchemy transport, so the
    status page reads liveness from these rows on every broker.
    """

    hostname = models.CharField(max_length=255, unique=True)
    queues = models.CharField(max_length=255, blank=True)
    pid = models.IntegerField(null=True)
    concurrency = models.IntegerField(null=True)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname

    @property
    def queue_list(self) -> list[str]:
        return [q for q in self.queues.split(",") if q]
