"""Every API endpoint for the owner, a member, an outsider (404, nothing changed), a revoked
token and no token (401)."""

from __future__ import annotations

import pytest

from toolrl_web.api import services as api_services
from toolrl_web.api.models import ApiToken
from toolrl_web.runs.models import Run, RunStatus

pytestmark = pytest.mark.django_db

# (method, path template, status for the owner and a member)
ENDPOINTS = [
    ("get", "/api/projects/{slug}", 200),
    ("get", "/api/projects/{slug}/runs", 200),
    ("post", "/api/projects/{slug}/runs", 201),
    ("post", "/api/projects/{slug}/sweeps", 201),
    ("get", "/api/runs/{run}", 200),
    ("post", "/api/runs/{run}/cancel", 200),
    ("post", "/api/runs/{run}/resume", 422),  # a queued run has no checkpoint to resume from
    ("get", "/api/runs/{run}/metrics", 200),
    ("get", "/api/runs/{run}/evaluations", 200),
    ("get", "/api/runs/{run}/rollouts", 200),
    ("get", "/api/projects/{slug}/datasets", 200),
    ("get", "/api/datasets/{dataset}", 200),
    ("get", "/api/projects/{slug}/reward-configurations", 200),
    ("get", "/api/reward-configurations/{reward}", 200),
]


@pytest.fixture
def url(project, run, dataset, reward_configuration):
    def fill(template: str) -> str:
        return template.format(
            slug=project.slug, run=run.pk, dataset=dataset.pk, reward=reward_configuration.pk
        )

    return fill


def call(client, method: str, path: str):
    if method == "post":
        body = {"name": "api", "model": "tiny:fast"}
        if path.endswith("/sweeps"):
            body |= {"sweep_field": "seed", "sweep_values": "1, 2"}
        return client.post(path, body)
    return client.get(path)


@pytest.mark.parametrize(("method", "template", "expected"), ENDPOINTS)
@pytest.mark.parametrize("who", ["owner", "member"])
def test_owner_and_member_reach_every_endpoint(
    request, api_client, token_for, url, method, template, expected, who
):
    user = request.getfixturevalue(who)
    response = call(api_client(token_for(user)), method, url(template))
    assert response.status_code == expected, response.content
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(("method", "template", "expected"), ENDPOINTS)
def test_an_outsider_gets_404_and_changes_nothing(
    api_client, token_for, url, outsider, run, method, template, expected
):
    response = call(api_client(token_for(outsider)), method, url(template))
    assert response.status_code == 404, response.content
    assert "detail" in response.json()
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and Run.objects.count() == 1


@pytest.mark.parametrize(("method", "template", "expected"), ENDPOINTS)
@pytest.mark.parametrize("token", ["revoked", "none", "garbage"])
def test_a_revoked_missing_or_wrong_token_gets_401(
    api_client, token_for, url, owner, run, method, template, expected, token
):
    text = {"none": None, "garbage": "trl_nope_nothing"}.get(token)
    if token == "revoked":
        text = token_for(owner)
        assert api_services.token_revoke(user=owner, token_id=ApiToken.objects.get().pk)
    response = call(api_client(text), method, url(template))
    assert response.status_code == 401, response.content
    assert "Bearer" in response.json()["detail"]
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and Run.objects.count() == 1


def test_a_session_login_is_not_an_api_token(client_for, owner, url):
    # The API is for programs: a browser session alone does not open it (and needs no CSRF).
    assert client_for(owner).get(url("/api/projects/{slug}")).status_code == 401


def test_project_list_shows_only_the_users_projects(
    api_client, token_for, owner, outsider, project
):
    assert [p["slug"] for p in api_client(token_for(owner)).get("/api/projects").json()] == [
        project.slug
    ]
    assert api_client(token_for(outsider)).get("/api/projects").json() == []
