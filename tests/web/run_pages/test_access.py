"""Every run-pages URL works for the owner and a member and is 404 for an outsider."""

from __future__ import annotations

import pytest
from django.urls import reverse

from toolrl_web.runs import ingest
from toolrl_web.runs.models import Run

pytestmark = pytest.mark.django_db


def urls(run):
    return [
        ("runs list", reverse("run-list", args=[run.project.slug]), {}),
        ("runs list filtered", reverse("run-list", args=[run.project.slug]) + "?status=queued", {}),
        ("run page", reverse("run-detail", args=[run.pk]), {}),
        ("status partial", reverse("run-detail", args=[run.pk]), {"HX-Request": "true"}),
        ("chart data", reverse("run-chart-data", args=[run.pk]) + "?since=-1", {}),
        ("log tail", reverse("run-log", args=[run.pk]), {}),
    ]


@pytest.mark.parametrize("who", ["owner", "member", "outsider"])
def test_access(who, request, client_for, run):
    ingest.metrics_write(run_id=run.pk, rows=[(1, {"reward": 0.5})])
    client = client_for(request.getfixturevalue(who))
    for name, url, headers in urls(run):
        response = client.get(url, headers=headers)
        expected = 404 if who == "outsider" else 200
        assert response.status_code == expected, (name, url, response.status_code)
        if who == "outsider":
            assert b"0.5" not in response.content and run.name.encode() not in response.content


def test_anonymous_is_sent_to_login(client, run):
    for _, url, _ in urls(run):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url


def test_run_name_is_escaped_everywhere(client_for, owner, project, run):
    evil = "<script>alert('x')</script>"
    Run.objects.filter(pk=run.pk).update(name=evil)
    client = client_for(owner)
    for url in (reverse("run-list", args=[project.slug]), reverse("run-detail", args=[run.pk])):
        html = client.get(url).content.decode()
        assert evil not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_logged_text_is_escaped_in_the_log_tail(client_for, owner, run, settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path
    out = tmp_path / "runs" / str(run.pk)
    out.mkdir(parents=True)
    (out / "train.log").write_text("step 1 <script>alert(1)</script>\n")
    Run.objects.filter(pk=run.pk).update(output_dir=str(out))
    html = client_for(owner).get(reverse("run-log", args=[run.pk])).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
