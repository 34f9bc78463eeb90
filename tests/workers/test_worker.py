"""A real Celery worker subprocess on the test broker (Redis) and database (PostgreSQL)."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.slow


def test_worker_runs_a_task_and_reports_live(celery_worker):
    from toolrl_web.status.models import WorkerHeartbeat
    from toolrl_web.status.selectors import worker_live_list
    from workers.tasks import ping

    result = ping.delay()
    assert result.get(timeout=60)["pong"] is True

    deadline = time.time() + 20
    while (
        time.time() < deadline
        and not WorkerHeartbeat.objects.filter(hostname=celery_worker.hostname).exists()
    ):
        time.sleep(0.3)
    beat = WorkerHeartbeat.objects.get(hostname=celery_worker.hostname)
    assert beat.queue_list == ["cpu", "gpu"]
    assert beat.hostname in [w.hostname for w in worker_live_list()]

    celery_worker.stop()
    beat.refresh_from_db()
    assert beat.stopped_at is not None


def test_settings_fit_long_jobs():
    from workers.celery_app import app

    conf = app.conf
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_max_tasks_per_child == 1
    assert conf.task_acks_late is False and conf.task_reject_on_worker_lost is False
    assert conf.task_time_limit is None and conf.task_soft_time_limit is None
    assert conf.worker_disable_prefetch is True  # the tests run on Redis
    assert {q.name for q in conf.task_queues} == {"cpu", "gpu"}


def test_the_web_side_sends_tasks_the_workers_know_on_queues_they_consume():
    from toolrl_web.runs.services import RUN_TRAIN_TASK
    from toolrl_web.tasks import QUEUES
    from workers.celery_app import app

    app.loader.import_default_modules()  # what a starting worker does
    assert RUN_TRAIN_TASK in app.tasks
    assert {q.name for q in app.conf.task_queues} == set(QUEUES)
