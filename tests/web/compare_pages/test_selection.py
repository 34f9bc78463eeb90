"""Choosing runs: the `runs` parameter, its clear messages, the picker, the shareable URL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.compare_pages.helpers import seed_run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        ("1,abc", "&#x27;abc&#x27; is not a run number"),  # escaped quotes: user text is escaped
        (
            "{a}",
            "runs=",
        ),
        ("SINGLE", "pick at least 2 runs to compare (got 1)"),
        ("MANY", "compare at most 10 runs at once (got 11)"),
    ],
)
def test_bad_selection_is_explained_on_the_page(client_for, two_runs, owner, runs, message):
    runs = runs.replace("SINGLE", str(two_runs[0].pk))
    runs = runs.replace("MANY", ",".join(str(two_runs[0].pk + i) for i in range(11)))
    runs = runs.replace("{a}", f"{two_runs[0].pk}")
    response = client_for(owner).get(f"{reverse('compare')}?runs={runs}")
    body = response.content.decode()
    if message == "runs=":
        message = "pick at least 2 runs"
    assert response.status_code == 400
    assert 'id="selection-error"' in body and message in body
    assert 'id="run-picker"' in body  # the user can pick again from the same page


def test_runs_of_two_projects_are_refused_by_name(client_for, two_runs, owner):
    from toolrl_web.projects.services import project_create

    other = project_create(owner=owner, name="Other project", description="")
    elsewhere = seed_run(project=other, user=owner, name="elsewhere", steps=3)
    ids = f"{two_runs[0].pk},{two_runs[1].pk},{elsewhere.pk}"
    response = client_for(owner).get(f"{reverse('compare')}?runs={ids}")
    body = response.content.decode()
    assert response.status_code == 400
    assert f"#{elsewhere.pk} (Other project) is not in Weather agent" in body


def test_data_endpoint_says_what_is_wrong_as_json(client_for, two_runs, owner):
    client = client_for(owner)
    response = client.get(f"{reverse('compare-data')}?runs=x,y")
    assert response.status_code == 400 and "not a run number" in response.json()["error"]
    ids = ",".join(str(r.pk) for r in two_runs)
    response = client.get(f"{reverse('compare-data')}?runs={ids}&since=soon")
    assert response.status_code == 400 and "since" in response.json()["error"]


def test_check_boxes_redirect_to_the_short_shareable_url(client_for, two_runs, owner):
    a, b = two_runs
    response = client_for(owner).get(f"{reverse('compare')}?runs={a.pk}&runs={b.pk}&x=time")
    assert response.status_code == 302
    assert response.url == f"{reverse('compare')}?runs={a.pk},{b.pk}&x=time"
    response = client_for(owner).get(
        f"{reverse('compare')}?runs={a.pk},{b.pk}&metrics=reward&metrics=rewards/format/mean"
    )
    assert response.url.endswith("&metrics=reward,rewards/format/mean")


def test_picker_lists_the_projects_runs_and_sweeps(client_for, project, owner, member):
    runs = [
        seed_run(project=project, user=owner, name=f"lr sweep {i}", steps=3, sweep="lr-sweep")
        for i in range(3)
    ]
    response = client_for(member).get(reverse("compare"))
    body = response.content.decode()
    assert response.status_code == 200
    for run in runs:
        assert f'name="runs" value="{run.pk}"' in body
    ids = ",".join(str(r.pk) for r in runs)
    assert f'?runs={ids}">lr-sweep</a>' in body


def test_page_shows_legend_by_difference_curves_and_table(client_for, two_runs, member):
    a, b = two_runs
    body = client_for(member).get(f"{reverse('compare')}?runs={a.pk},{b.pk}").content.decode()
    assert f"#{a.pk} reward=toolrl, lr=1e-4" in body
    assert f"#{b.pk} reward=two-stage, lr=3e-4" in body
    assert 'data-metric="reward"' in body and 'data-metric="kl"' in body
    assert 'id="compare-config"' in body  # the charts' settings for compare.js
    assert "vendor/plotly.min.js" in body


def test_metric_picker_lists_every_metric_logged_even_rare_ones(client_for, two_runs, owner):
    from toolrl_web.runs.models import MetricRow

    a, b = two_runs
    # An error category logged at one step only (categories appear when they happen).
    row = MetricRow.objects.get(run=a, step=7)
    MetricRow.objects.filter(pk=row.pk).update(values={**row.values, "errors/wrong_name": 0.25})
    client = client_for(owner)
    url = f"{reverse('compare-metrics')}?runs={a.pk},{b.pk}&metrics=reward"
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial
    assert 'value="errors/wrong_name"' in partial and "<legend>Rollouts</legend>" in partial
    assert 'value="reward" checked' in partial and 'value="kl">' in partial
    page = client.get(url).content.decode()  # without htmx: a page of its own
    assert "<html" in page and 'value="errors/wrong_name"' in page
    # The chosen rare metric gets its chart.
    body = client.get(
        f"{reverse('compare')}?runs={a.pk},{b.pk}&metrics=reward,errors/wrong_name"
    ).content.decode()
    assert 'data-metric="errors/wrong_name"' in body


def test_user_text_is_escaped(client_for, project, owner):
    a = seed_run(project=project, user=owner, name="<b>bold</b> run", steps=3)
    b = seed_run(project=project, user=owner, name="<b>bold</b> run", steps=3)
    url = f"{reverse('compare')}?runs={a.pk},{b.pk}&metrics=<script>alert(1)</script>"
    body = client_for(owner).get(url).content.decode()
    assert "<b>bold</b>" not in body and "&lt;b&gt;bold&lt;/b&gt; run" in body
    assert "<script>alert(1)</script>" not in body
