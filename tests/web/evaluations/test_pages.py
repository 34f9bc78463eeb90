"""Evaluation pages: launch from the run, refusals in the form, results, chart data, CSV, compare."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.web.evaluations.conftest import finished_evaluation, make_run
from toolrl_web.evaluations.models import Evaluation, EvaluationStatus

pytestmark = pytest.mark.django_db


def launch(client, run, **data):
    payload = {"model": "base:tiny:fast", "suites": ["held-out"], "limit": 2}
    payload["max_new_tokens"] = 16
    payload.update(data)
    return client.post(reverse("run-evaluations", args=[run.pk]), payload)


def test_member_launches_an_evaluation_of_a_checkpoint(client_for, run, member):
    artifact = run.artifacts.get(step=2)
    response = launch(client_for(member), run, model=f"artifact:{artifact.pk}")
    assert response.status_code == 302
    evaluation = Evaluation.objects.get()
    assert (evaluation.created_by, evaluation.artifact, evaluation.limit) == (member, artifact, 2)
    page = client_for(member).get(response.url).content.decode()
    assert f"Evaluation #{evaluation.pk} queued." in page
    assert 'data-status="queued"' in page and 'hx-trigger="every 3s"' in page


def test_form_offers_checkpoints_and_base_models_only(client_for, run, owner):
    html = client_for(owner).get(reverse("run-evaluations", args=[run.pk])).content.decode()
    for artifact in run.artifacts.all():
        assert f'value="artifact:{artifact.pk}"' in html
    assert 'value="base:tiny:fast"' in html
    assert "/nonexistent/" not in html  # paths never reach the page


def test_form_says_a_suite_has_no_data_and_refuses_it(client_for, run, owner, no_eval_data):
    client = client_for(owner)
    html = client.get(reverse("run-evaluations", args=[run.pk])).content.decode()
    assert 'value="bfcl" disabled' in html
    assert "Not available here: BFCL single-turn needs the benchmark data" in html
    # a POST naming it anyway (an old tab, a script) is refused with the suite named
    response = launch(client, run, suites=["held-out", "bfcl"])
    assert response.status_code == 200
    assert "BFCL single-turn needs the benchmark data" in response.content.decode()
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"model": "base:/etc/passwd"}, "Select a valid choice"),
        ({"suites": []}, "This field is required"),
        ({"limit": -1}, "greater than or equal to 0"),
        ({"max_new_tokens": "many"}, "Enter a whole number"),
    ],
)
def test_bad_launch_input_is_a_message(client_for, run, owner, data, message):
    response = launch(client_for(owner), run, **data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Evaluation.objects.exists()


def test_results_over_checkpoints_table_chart_data_and_csv(client_for, run, owner):
    finished_evaluation(run, step=0, results={"held-out": {"accuracy": 0.25, "format_rate": 0.5}})
    finished_evaluation(run, step=4, results={"held-out": {"accuracy": 0.75, "format_rate": 1.0}})
    finished_evaluation(run, step=2, results={"api-bank": {"overall": 0.1}})
    client = client_for(owner)
    html = client.get(reverse("run-evaluations", args=[run.pk])).content.decode()
    assert 'data-suite="held-out" data-step="4" data-score="accuracy"' in html
    assert "75.00 %" in html and 'id="evaluation-charts"' in html

    url = reverse("run-evaluations-data", args=[run.pk])
    data = client.get(url).json()
    by_suite = {c["suite"]: c for c in data["suites"]}
    assert [p["step"] for p in by_suite["held-out"]["points"]] == [0, 4]
    assert by_suite["api-bank"]["references"]["values"]["Qwen2.5-3B"] == 67.00
    assert by_suite["held-out"]["references"] is None and data["active"] is False
    assert client.get(url + "?since=x").status_code == 400

    response = client.get(reverse("run-evaluations-csv", args=[run.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["run", "suite", "step", "model", "score", "value", "items", "evaluation"]
    assert [
        str(run.pk),
        "held-out",
        "4",
        f"run #{run.pk} step 4",
        "accuracy",
        "0.75",
        "10",
    ] == rows[3][:7]
    assert len(rows) == 1 + 4 + 1


def ended(evaluation, seconds_ago: float) -> None:
    Evaluation.objects.filter(pk=evaluation.pk).update(
        finished_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


def test_chart_data_after_a_cursor_brings_an_earlier_checkpoint_evaluated_again(
    client_for, run, owner
):
    ended(finished_evaluation(run, step=2, results={"held-out": {"accuracy": 0.25}}), 60)
    ended(finished_evaluation(run, step=4, results={"held-out": {"accuracy": 0.75}}), 50)
    ended(finished_evaluation(run, step=2, results={"api-bank": {"overall": 0.1}}), 40)
    client = client_for(owner)
    url = reverse("run-evaluations-data", args=[run.pk])
    first = client.get(url).json()
    assert [p["step"] for p in first["suites"][0]["points"]] == [2, 4]
    cursor = first["cursor"]
    nothing = client.get(url + f"?since={cursor}").json()
    assert [c["points"] for c in nothing["suites"]] == [[], []] and nothing["cursor"] == cursor
    # Step 2 evaluated again after step 4 was drawn: it arrives, and replaces the old point.
    ended(finished_evaluation(run, step=2, results={"held-out": {"accuracy": 0.5}}), 30)
    later = client.get(url + f"?since={cursor}").json()
    assert [
        (c["suite"], [(p["step"], p["score"]) for p in c["points"]]) for c in later["suites"]
    ] == [
        ("held-out", [(2, 0.5)]),
        ("api-bank", []),
    ]
    assert later["cursor"] > cursor
    # A result that ended a moment ago is sent again on the next ask (its commit may have come
    # after an answer whose cursor passed it); the page merges it by step.
    finished_evaluation(run, step=6, results={"held-out": {"accuracy": 0.9}})
    recent = client.get(url + f"?since={later['cursor']}").json()
    again = client.get(url + f"?since={recent['cursor']}").json()
    assert [p["step"] for p in again["suites"][0]["points"]] == [6]


def test_a_later_evaluation_of_the_same_step_replaces_it_and_failures_are_left_out(
    client_for, run, owner
):
    finished_evaluation(run, step=4, results={"held-out": {"accuracy": 0.5}})
    finished_evaluation(run, step=4, results={"held-out": {"accuracy": 0.6}})
    failed = finished_evaluation(run, step=6, results={"held-out": {"accuracy": 0.9}})
    Evaluation.objects.filter(pk=failed.pk).update(status=EvaluationStatus.FAILED)
    data = client_for(owner).get(reverse("run-evaluations-data", args=[run.pk])).json()
    assert [(p["step"], p["score"]) for p in data["suites"][0]["points"]] == [(4, 0.6)]


def test_user_text_is_escaped(client_for, project, owner):
    run = make_run(project, owner, name="<script>alert(1)</script>")
    finished_evaluation(run, step=2, results={"held-out": {"accuracy": 0.5}})
    for url in (
        reverse("run-evaluations", args=[run.pk]),
        reverse("evaluation-compare") + f"?runs={run.pk}",
    ):
        html = client_for(owner).get(url).content.decode()
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_jobs_partial_polls_until_none_is_active(client_for, run, owner):
    evaluation = finished_evaluation(run, step=2, results={"held-out": {"accuracy": 0.5}})
    Evaluation.objects.filter(pk=evaluation.pk).update(status=EvaluationStatus.RUNNING)
    client = client_for(owner)
    url = reverse("run-evaluation-jobs", args=[run.pk])
    assert client.get(url).status_code == 200
    Evaluation.objects.filter(pk=evaluation.pk).update(
        status=EvaluationStatus.FAILED, error="the <b>model</b> broke"
    )
    response = client.get(url)
    assert response.status_code == 286
    assert "the &lt;b&gt;model&lt;/b&gt; broke" in response.content.decode()


def test_cancel_button_cancels_a_queued_evaluation(client_for, run, member):
    client = client_for(member)
    launch(client, run)
    evaluation = Evaluation.objects.get()
    response = client.post(reverse("evaluation-cancel", args=[evaluation.pk]), follow=True)
    assert "Canceled." in response.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.CANCELED
    again = client.post(reverse("evaluation-cancel", args=[evaluation.pk]), follow=True)
    assert "A canceled evaluation cannot be canceled." in again.content.decode()


def test_run_page_slot_loads_the_panel(client_for, run, owner):
    from django.template.loader import render_to_string

    slot = render_to_string("evaluations/_run_results.html", {"run": run})
    panel_url = reverse("run-evaluations-panel", args=[run.pk])
    assert f'hx-get="{panel_url}"' in slot
    assert f'href="{reverse("run-evaluations", args=[run.pk])}"' in slot  # works without JS
    finished_evaluation(run, step=4, results={"bfcl": {"single_turn_mean": 0.125}})
    panel = client_for(owner).get(panel_url).content.decode()
    assert "12.50 %" in panel and 'name="csrfmiddlewaretoken"' in panel
    assert 'action="{}"'.format(reverse("run-evaluations", args=[run.pk])) in panel


def test_compare_marks_the_best_value_per_row_and_exports_csv(client_for, project, owner):
    a = make_run(project, owner, name="run a")
    b = make_run(project, owner, name="run b")
    finished_evaluation(a, step=2, results={"bfcl": {"single_turn_mean": 0.9}})
    # b: its latest checkpoint counts (step 4), not its best one
    finished_evaluation(b, step=2, results={"bfcl": {"single_turn_mean": 0.95}})
    finished_evaluation(b, step=4, results={"bfcl": {"single_turn_mean": 0.3}})
    finished_evaluation(b, step=4, results={"held-out": {"accuracy": 0.4}})
    client = client_for(owner)
    html = client.get(reverse("evaluation-compare") + f"?runs={a.pk},{b.pk}").content.decode()
    assert f'data-run="{a.pk}" data-best="1"' in html
    assert f'data-run="{b.pk}" data-best' not in html
    assert "30.00 %" in html and "95.00 %" not in html
    # the paper's BFCL numbers for reference, labelled (no API-Bank: no run has it here)
    assert "<td>BFCL v3 overall</td>" in html and "58.38 %" in html and "67.00 %" not in html

    response = client.get(reverse("evaluation-compare-csv") + f"?runs={a.pk},{b.pk}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["suite", "score", f"run {a.pk}: run a", f"run {b.pk}: run b", "best"]
    assert rows[1] == ["held-out", "accuracy", "", "0.4", ""]  # one value: nothing to beat
    assert rows[2] == ["bfcl", "single_turn_mean", "0.9", "0.3", f"run {a.pk}"]


@pytest.mark.parametrize("runs", ["", "1,x", ","])
def test_compare_with_a_malformed_list_says_so(client_for, owner, runs):
    response = client_for(owner).get(reverse("evaluation-compare") + f"?runs={runs}")
    assert response.status_code == 400 and "runs: " in response.content.decode()


def test_jobs_page_by_keyset(client_for, run, owner):
    created = [
        Evaluation.objects.create(
            project=run.project, run=run, model="tiny:fast", model_label=f"job {i}", suites=["x"]
        )
        for i in range(25)
    ]
    client = client_for(owner)
    first = client.get(reverse("run-evaluations", args=[run.pk])).content.decode()
    shown = [e.pk for e in created if f'data-evaluation="{e.pk}"' in first]
    assert shown == [e.pk for e in created[5:]]  # the newest 20
    link = f"?before={created[5].pk}"
    assert link in first
    older = client.get(reverse("run-evaluation-jobs", args=[run.pk]) + link).content.decode()
    assert [e.pk for e in created if f'data-evaluation="{e.pk}"' in older] == [
        e.pk for e in created[:5]
    ]
    assert "Older evaluations" not in older


def test_the_jobs_poll_asks_for_the_page_shown(client_for, run, owner):
    created = [
        Evaluation.objects.create(
            project=run.project, run=run, model="tiny:fast", model_label=f"job {i}", suites=["x"]
        )
        for i in range(25)
    ]  # all queued: the box polls
    client = client_for(owner)
    jobs = reverse("run-evaluation-jobs", args=[run.pk])
    page = reverse("run-evaluations", args=[run.pk])
    first = client.get(page).content.decode()
    assert f'hx-get="{jobs}" hx-trigger="every 3s" hx-swap="outerHTML"' in first
    # The older page, fetched by its link or by its own poll, polls itself again.
    before = f"?before={created[5].pk}"
    older = client.get(jobs + before)
    assert older.status_code == 200
    poll = f'hx-get="{jobs}{before}" hx-trigger="every 3s" hx-swap="outerHTML"'
    assert poll in older.content.decode() and 'id="newest-jobs"' in older.content.decode()
    assert [e.pk for e in created if f'data-evaluation="{e.pk}"' in older.content.decode()] == [
        e.pk for e in created[:5]
    ]
    # Without JavaScript, the page at ?before= polls that page too.
    assert poll in client.get(page + before).content.decode()
    # Once none is active the poll stops (286) with the same page.
    Evaluation.objects.update(status=EvaluationStatus.FINISHED)
    done = client.get(jobs + before)
    assert done.status_code == 286 and "every 3s" not in done.content.decode()
    assert f'data-evaluation="{created[0].pk}"' in done.content.decode()


def test_run_page_panel_shows_each_suites_latest_headline(client_for, run, owner):
    finished_evaluation(run, step=2, results={"held-out": {"accuracy": 0.25, "format_rate": 0.5}})
    finished_evaluation(run, step=4, results={"held-out": {"accuracy": 0.75, "format_rate": 1.0}})
    panel = client_for(owner).get(reverse("run-evaluations-panel", args=[run.pk])).content.decode()
    assert 'data-suite="held-out" data-step="4" data-score="accuracy"' in panel
    assert 'data-step="2"' not in panel and 'data-score="format_rate"' not in panel
