"""What the read endpoints return: curves since a step, rollouts filtered and keyset-paged,
datasets and reward configurations, the OpenAPI description and docs page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def get(api_client, token_for, member):
    client = api_client(token_for(member))
    return lambda path, **params: client.get(path, **params)


def test_metrics_since_a_step_return_only_newer_points(get, run):
    body = get(f"/api/runs/{run.pk}/metrics", since=1).json()
    assert [p["step"] for p in body["points"]] == [2, 3]
    assert body["points"][0]["values"] == {"reward": 0.2}
    assert body["next_since"] == 3 and body["final"] is False and body["status"] == "queued"
    assert get(f"/api/runs/{run.pk}/metrics", since=3).json()["points"] == []
    assert get(f"/api/runs/{run.pk}/metrics", since=3).json()["next_since"] == 3


def test_a_bad_since_names_the_parameter(get, run):
    response = get(f"/api/runs/{run.pk}/metrics", since="two")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "since"


def _evaluation(run, step: int, status: str, results: dict[str, float]):
    from toolrl_web.evaluations.models import Evaluation, EvaluationResult

    evaluation = Evaluation.objects.create(
        project=run.project,
        run=run,
        checkpoint_step=step,
        model=f"/srv/checkpoints/{step}",
        model_label=f"step {step}",
        suites=list(results) or ["bfcl"],
        status=status,
    )
    for suite, score in results.items():
        EvaluationResult.objects.create(
            evaluation=evaluation,
            suite=suite,
            metrics={"accuracy": score, "scores": {"accuracy": score}, "headline": "accuracy"},
            item_count=10,
            score=score,
        )
    return evaluation


def test_evaluations_held_out_metrics_and_the_evaluation_apps_results(get, run):
    first = _evaluation(run, 2, "finished", {"bfcl": 0.25, "api-bank": 0.5})
    later = _evaluation(run, 4, "finished", {"bfcl": 0.75})
    queued = _evaluation(run, 4, "queued", {})
    body = get(f"/api/runs/{run.pk}/evaluations").json()
    assert body["points"] == [{"step": 2, "values": {"eval/accuracy": 0.5}}]
    assert [e["id"] for e in body["evaluations"]] == [queued.pk, later.pk, first.pk]
    assert body["evaluations"][2]["results"][0]["suite"] in ("bfcl", "api-bank")
    assert body["evaluations_before"] is None
    assert "/srv" not in str(body)  # the checkpoint's path on the server is not shown
    assert [(p["step"], p["score"]) for p in body["suites"]["bfcl"]] == [(2, 0.25), (4, 0.75)]
    assert [p["evaluation"] for p in body["suites"]["api-bank"]] == [first.pk]
    since = get(f"/api/runs/{run.pk}/evaluations", since=2).json()
    assert since["points"] == [] and since["next_since"] == 2
    assert len(since["suites"]["bfcl"]) == 2  # every result: an early one may finish late


def test_evaluation_jobs_page_by_keyset(get, run):
    jobs = [_evaluation(run, step, "queued", {}).pk for step in range(21)]
    body = get(f"/api/runs/{run.pk}/evaluations").json()
    assert len(body["evaluations"]) == 20 and body["evaluations_before"] == jobs[1]
    rest = get(f"/api/runs/{run.pk}/evaluations", before=body["evaluations_before"]).json()
    assert [e["id"] for e in rest["evaluations"]] == [jobs[0]]
    assert rest["evaluations_before"] is None


def _ids(get, run, **params) -> list[int]:
    body = get(f"/api/runs/{run.pk}/rollouts", **params).json()
    return [(r["step"], r["group"], r["total"]) for r in body["rollouts"]]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({}, 16),
        ({"step": 2}, 8),
        ({"component": "total", "min": 2}, 4),  # totals 2 and 3 of group 1, both steps
        ({"max": 0.5}, 2),  # no component: the total (a hint's link); total 0 of group 1
        ({"component": "correctness", "min": 1.5}, 2),  # correctness = total - 1
        ({"min": 1, "max": 1}, 10),
        ({"error": "bad_json"}, 4),
        ({"failure": "correct"}, 4),
        ({"truncated": "true"}, 4),
        ({"truncated": "on"}, 4),  # the browser's checkbox value
        ({"equal_groups": "true"}, 8),  # group 0 of each step scored all 1.0
        ({"prompt": "p1", "step": 1}, 4),
        ({"q": "group 1 #3"}, 2),
    ],
)
def test_rollout_filters(get, run, params, count):
    assert len(_ids(get, run, **params)) == count


@pytest.mark.parametrize(
    "params",
    [{}, {"step": 2}, {"component": "total", "min": 2}, {"failure": "correct", "truncated": "on"}],
)
def test_the_api_and_the_rollout_browser_agree(get, run, params):
    from toolrl_web.rollouts.forms import RolloutFilterForm
    from toolrl_web.rollouts.selectors import rollouts_filtered

    form = RolloutFilterForm({k: str(v) for k, v in params.items()})
    browser = list(rollouts_filtered(run=run, filters=form.filters()).values_list("id", flat=True))
    api = [
        r["id"] for r in get(f"/api/runs/{run.pk}/rollouts", limit=500, **params).json()["rollouts"]
    ]
    assert api == browser and api


def test_rollouts_page_by_keyset(get, run):
    first = get(f"/api/runs/{run.pk}/rollouts", limit=6, step=1).json()
    last = first["rollouts"][-1]
    assert len(first["rollouts"]) == 6 and first["next_after"] == f"{last['step']}.{last['id']}"
    rest = get(f"/api/runs/{run.pk}/rollouts", limit=6, step=1, after=first["next_after"]).json()
    assert len(rest["rollouts"]) == 2 and rest["next_after"] is None
    ids = [r["id"] for r in first["rollouts"] + rest["rollouts"]]
    assert ids == sorted(ids) and len(set(ids)) == 8
    assert all(r["step"] == 1 for r in rest["rollouts"])


def test_rollouts_page_across_steps_in_step_order(get, run):
    seen, after = [], None
    while True:
        params = {"limit": 5} | ({"after": after} if after else {})
        body = get(f"/api/runs/{run.pk}/rollouts", **params).json()
        seen += [(r["step"], r["id"]) for r in body["rollouts"]]
        if not (after := body["next_after"]):
            break
    assert seen == sorted(seen) and len(seen) == 16


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"component": "custom", "min": 1}, "component"),
        ({"component": "x;drop", "min": 1}, "component"),
        ({"failure": "nope"}, "failure"),
        ({"after": "12"}, "after"),
        ({"step": "two"}, "step"),
        ({"limit": 0}, "limit"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(get, run, params, field):
    response = get(f"/api/runs/{run.pk}/rollouts", **params)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["field"] == field


def test_datasets_and_reward_configurations(get, project, dataset, reward_configuration):
    datasets = get(f"/api/projects/{project.slug}/datasets").json()
    assert [(d["id"], d["name"], d["status"]) for d in datasets] == [
        (dataset.pk, "weather", "valid")
    ]
    assert get(f"/api/datasets/{dataset.pk}").json()["project"] == project.slug
    rewards = get(f"/api/projects/{project.slug}/reward-configurations").json()
    assert [r["name"] for r in rewards] == ["strict"]
    detail = get(f"/api/reward-configurations/{reward_configuration.pk}").json()
    assert detail["config"] == {"preset": "toolrl"}


def test_runs_list_pages_newest_first(get, project, run):
    body = get(f"/api/projects/{project.slug}/runs").json()
    assert [r["id"] for r in body] == [run.pk]
    assert get(f"/api/projects/{project.slug}/runs", before=run.pk).json() == []


def test_openapi_description_and_docs_are_served(client):
    spec = client.get("/api/openapi.json")
    assert spec.status_code == 200
    body = spec.json()
    assert body["info"]["title"] == "ToolRL Platform API"
    assert "/api/runs/{run_id}/rollouts" in body["paths"]
    assert body["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    launch = body["components"]["schemas"]["RunLaunchIn"]["properties"]
    assert "Reward configuration" in launch["reward_configuration"]["description"]
    assert "/api/projects/{slug}/sweeps" in body["paths"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()


def test_equal_groups_picks_the_groups_without_a_signal(get, run):
    assert {g for _, g, _ in _ids(get, run, equal_groups="true")} == {0}
    assert {g for _, g, _ in _ids(get, run, equal_groups="false")} == {0, 1}  # no filter


def test_the_launch_body_has_exactly_the_launch_forms_fields():
    from toolrl_web.api.schemas import RunLaunchIn, SweepLaunchIn
    from toolrl_web.runs.forms import RunLaunchForm

    form = set(RunLaunchForm.base_fields)
    assert set(RunLaunchIn.model_fields) == form - {"sweep_field", "sweep_values"}
    assert set(SweepLaunchIn.model_fields) == form
