"""The status page reads worker liveness from heartbeat rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from toolrl_web.status.models import WorkerHeartbeat
from toolrl_web.status.services import worker_heartbeat_beat, worker_heartbeat_stop

pytestmark = pytest.mark.django_db


def worker_state(html: str, hostname: str) -> str:
    """The state badge in the worker's row of the page (live, silent or stopped)."""
    row = re.search(rf'<tr data-worker="{re.escape(hostname)}">(.*?)</tr>', html, re.S)
    assert row, f"no row for {hostname}"
    return re.search(r'<span class="badge [a-z]+">([a-z]+)</span>', row.group(1)).group(1)


def test_status_page_shows_services_and_workers(client_for, owner):
    worker_heartbeat_beat(hostname="gpu@node1", queues=["gpu"], pid=42, concurrency=1)
    WorkerHeartbeat.objects.create(
        hostname="cpu@old",
        queues="cpu",
        pid=7,
        started_at=timezone.now() - timedelta(hours=1),
        last_seen=timezone.now() - timedelta(minutes=5),
    )
    html = client_for(owner).get(reverse("status")).content.decode()
    assert 'data-service="database"' in html and 'data-service="broker"' in html
    assert html.count('badge ok">up') == 2
    assert worker_state(html, "gpu@node1") == "live"
    assert worker_state(html, "cpu@old") == "silent"


def test_stopped_worker_is_not_live(client_for, owner):
    worker_heartbeat_beat(hostname="w@h", queues=["cpu"], pid=1, concurrency=1)
    worker_heartbeat_stop(hostname="w@h")
    html = client_for(owner).get(reverse("status")).content.decode()
    assert worker_state(html, "w@h") == "stopped"


def test_htmx_request_gets_only_the_partial(client_for, owner):
    response = client_for(owner).get(reverse("status"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'data-service="database"' in html


def test_page_polls_with_htmx_served_by_us(client_for, owner):
    client = client_for(owner)
    html = client.get(reverse("status")).content.decode()
    assert f'hx-get="{reverse("status")}" hx-trigger="every 5s"' in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    htmx = [src for src in scripts if re.search(r"/htmx[-.0-9a-z]*\.js$", src)]
    assert htmx and all(src.startswith("/static/") for src in htmx), scripts
    response = client.get(htmx[0])
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"htmx" in body[:5000]


def test_status_lists_queued_and_running_runs_of_my_projects_only(
    client_for, project, owner, outsider, monkeypatch
):
    from tests.conftest import tiny_run_config
    from toolrl_web.runs import services

    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: None)
    queued = services.run_create(
        project=project, user=owner, config=tiny_run_config(name="waiting")
    )
    running = services.run_create(project=project, user=owner, config=tiny_run_config(name="busy"))
    services.run_claim(run_id=running.pk, worker_host="gpu@n1")
    services.run_mark_running(run_id=running.pk, pid=9, output_dir="")
    html = client_for(owner).get(reverse("status")).content.decode()
    assert f"#{queued.pk} waiting" in html and f"#{running.pk} busy" in html and "gpu@n1" in html
    other = client_for(outsider).get(reverse("status")).content.decode()
    assert "waiting" not in other and "No run is queued or running." in other
    # the partial htmx polls shows the outsider nothing more
    partial = client_for(outsider).get(reverse("status"), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert "waiting" not in partial.content.decode() and "gpu@n1" not in partial.content.decode()
