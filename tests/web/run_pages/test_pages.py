"""The runs list and the run page: what they show, filters, paging, log tail, health hints."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import tiny_run_config
from toolrl_web.runs import ingest, services
from toolrl_web.runs.models import Run, RunStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_enqueue")]


def make_run(project, user, name, **fields):
    run = services.run_create(project=project, user=user, config=tiny_run_config(), name=name)
    if fields:
        Run.objects.filter(pk=run.pk).update(**fields)
    return run


def test_runs_list_shows_progress_latest_numbers_and_eval(client_for, owner, member, project):
    running = make_run(
        project,
        member,
        "running one",
        status=RunStatus.RUNNING,
        last_step=5,
        max_steps=10,
        started_at=timezone.now() - timedelta(seconds=50),
    )
    make_run(project, owner, "queued one")
    ingest.metrics_write(
        run_id=running.pk,
        rows=[
            (4, {"reward": 0.1}),
            (5, {"reward": 1.25, "rewards/format/mean": 0.75, "rewards/correctness/mean": 0.5}),
        ],
    )
    ingest.eval_write(run_id=running.pk, step=5, values={"eval/exact_call_accuracy": 0.375})
    html = client_for(owner).get(reverse("run-list", args=[project.slug])).content.decode()
    row = html[html.index(f'data-run="{running.pk}"') :].split("</tr>")[0]
    assert "1.250" in row and "format 0.750" in row and "correctness 0.500" in row
    assert "38%" in row  # held-out exact-call accuracy
    assert '<progress max="10" value="5">' in row
    assert re.search(r"about 5\d s left", row)  # 10 s per step, 5 steps left
    assert "mateo" in row
    assert "queued one" in html
    assert f'class="compare-pick" value="{running.pk}"' in html


def test_runs_list_filters_by_status_and_pages_by_keyset(client_for, owner, project):
    from toolrl_web.runs import page_data

    runs = [make_run(project, owner, f"run {i}") for i in range(5)]
    Run.objects.filter(pk=runs[0].pk).update(status=RunStatus.FAILED)
    client = client_for(owner)
    url = reverse("run-list", args=[project.slug])
    failed = client.get(url, {"status": "failed"}).content.decode()
    assert "run 0" in failed and "run 1" not in failed
    # keyset paging: each page starts below the last id of the one before
    rows, next_before = page_data.run_list_page(project=project, limit=2)
    assert [r["run"].name for r in rows] == ["run 4", "run 3"] and next_before == runs[3].pk
    rows, next_before = page_data.run_list_page(project=project, limit=2, before=next_before)
    assert [r["run"].name for r in rows] == ["run 2", "run 1"]
    rows, next_before = page_data.run_list_page(project=project, limit=2, before=next_before)
    assert [r["run"].name for r in rows] == ["run 0"] and next_before is None
    bogus = client.get(url, {"status": "nonsense", "before": "x"})
    assert bogus.status_code == 200 and "run 4" in bogus.content.decode()


def test_run_page_has_charts_log_and_evaluations_slot(client_for, owner, run):
    html = client_for(owner).get(reverse("run-detail", args=[run.pk])).content.decode()
    assert 'id="chart-reward"' in html and 'id="run-charts-config"' in html
    assert reverse("run-chart-data", args=[run.pk]) in html
    assert f'hx-get="{reverse("run-log", args=[run.pk])}"' in html
    assert "vendor/plotly.min.js" in html and "toolrl/charts.js" in html
    # The status poll also refreshes the artifacts table further down, out of band.
    partial = client_for(owner).get(
        reverse("run-detail", args=[run.pk]), headers={"HX-Request": "true"}
    )
    assert 'id="run-artifacts" hx-swap-oob="true"' in partial.content.decode()
    assert 'id="run-artifacts">' in html


def test_log_tail_shows_the_last_lines(client_for, owner, run, settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path
    client = client_for(owner)
    url = reverse("run-log", args=[run.pk])
    assert "No log yet" in client.get(url).content.decode()
    out = tmp_path / "runs" / str(run.pk)
    out.mkdir(parents=True)
    lines = [f"line {i}" for i in range(500)]
    bar = "\rtrain:  25%|##  | 1/4\rtrain:  50%|#### | 2/4"
    (out / "train.log").write_text("\n".join(lines) + "\n" + bar + "\n")
    Run.objects.filter(pk=run.pk).update(output_dir=str(out), status=RunStatus.RUNNING)
    html = client.get(url).content.decode()
    assert "line 499" in html and "line 300" not in html  # the last 200 lines
    assert "2/4" in html and "1/4" not in html  # the progress bar as last drawn
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FINISHED)
    assert client.get(url).status_code == 286  # htmx stops polling a final run's log


def test_log_outside_the_artifacts_folder_is_not_read(client_for, owner, run, settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "train.log").write_text("secret\n")
    Run.objects.filter(pk=run.pk).update(output_dir=str(elsewhere))
    html = client_for(owner).get(reverse("run-log", args=[run.pk])).content.decode()
    assert "secret" not in html and "No log yet" in html


def test_clone_link_only_when_the_page_exists(client_for, owner, run):
    from django.urls import NoReverseMatch

    html = client_for(owner).get(reverse("run-detail", args=[run.pk])).content.decode()
    try:
        clone = reverse("run-clone", args=[run.pk])
    except NoReverseMatch:
        assert "/clone/" not in html
    else:
        assert clone in html
