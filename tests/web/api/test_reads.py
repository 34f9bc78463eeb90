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


def test_evaluations(get, run):
    body = get(f"/api/runs/{run.pk}/evaluations").json()
    assert body["points"] == [{"step": 2, "values": {"eval/accuracy": 0.5}}]
    assert get(f"/api/runs/{run.pk}/evaluations", since=2).json()["points"] == []


def _ids(get, run, **params) -> list[int]:
    body = get(f"/api/runs/{run.pk}/rollouts", **params).json()
    return [(r["step"], r["group"], r["total"]) for r in body["rollouts"]]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({}, 16),
        ({"step": 2}, 8),
        ({"min_total": 2}, 4),  # totals 2 and 3 of group 1, both steps
        ({"max_total": 0.5}, 2),  # total 0 of group 1
        ({"component": "correctness", "min": 1.5}, 2),  # a column: correctness = total - 1
        ({"component": "custom", "min": 0.7}, 4),  # a component only in the rewards JSON
        ({"min": 1, "max": 1}, 10),  # no component: the total
        ({"error_category": "bad_json"}, 4),
        ({"truncated": "true"}, 4),
        ({"equal_groups": "true"}, 8),  # group 0 of each step scored all 1.0
        ({"equal_groups": "false"}, 8),
        ({"prompt_id": "p1", "step": 1}, 4),
        ({"q": "group 1 #3"}, 2),
    ],
)
def test_rollout_filters(get, run, params, count):
    assert len(_ids(get, run, **params)) == count


def test_rollouts_page_by_keyset(get, run):
    first = get(f"/api/runs/{run.pk}/rollouts", limit=6, step=1).json()
    assert len(first["rollouts"]) == 6 and first["next_after"] == first["rollouts"][-1]["id"]
    rest = get(f"/api/runs/{run.pk}/rollouts", limit=6, step=1, after=first["next_after"]).json()
    assert len(rest["rollouts"]) == 2 and rest["next_after"] is None
    ids = [r["id"] for r in first["rollouts"] + rest["rollouts"]]
    assert ids == sorted(ids) and len(set(ids)) == 8
    assert all(r["step"] == 1 for r in rest["rollouts"])


def test_a_bad_component_name_is_refused(get, run):
    response = get(f"/api/runs/{run.pk}/rollouts", component="x;drop", min=1)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "component"


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
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()


@pytest.mark.parametrize(("equal", "groups"), [("true", {0}), ("false", {1})])
def test_equal_groups_picks_the_groups_without_or_with_a_signal(get, run, equal, groups):
    assert {g for _, g, _ in _ids(get, run, equal_groups=equal)} == groups
