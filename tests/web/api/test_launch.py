"""Launching through the API: the launch form's checks and messages, as JSON naming the field;
paths on the server refused in data, model and reward; nothing written on a refusal."""

from __future__ import annotations

import pytest

from toolrl_web.runs.models import Run, RunStatus

pytestmark = pytest.mark.django_db

TINY = {"model": {"name_or_path": "tiny:fast"}}


@pytest.fixture
def launch(api_client, token_for, member, project, no_enqueue):
    client = api_client(token_for(member))
    return lambda body: client.post(f"/api/projects/{project.slug}/runs", body)


def test_launch_queues_a_run_like_the_form(launch, member):
    response = launch({"name": "first", "reward": "dynamic", "max_steps": 7, "overrides": TINY})
    assert response.status_code == 201, response.content
    body = response.json()
    run = Run.objects.get()
    assert body["id"] == run.pk and body["status"] == RunStatus.QUEUED == run.status
    assert run.created_by == member and body["created_by"] == member.username
    assert run.config["reward"] == "dynamic" and run.config["grpo"]["max_steps"] == 7
    assert body["config"]["model"]["name_or_path"] == "tiny:fast"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        # the form's own field checks, with its messages
        ({"preset": "huge"}, "preset", "Select a valid choice"),
        ({"reward": "nope"}, "reward", "Select a valid choice"),
        ({"max_steps": 0}, "max_steps", "greater than or equal to 1"),
        ({"name": ""}, "name", "This field is required"),
        # the run configuration's checks name the configuration field
        ({"overrides": {"grpo": {"learning_rate": -1}}}, "grpo.learning_rate", "greater than 0"),
        # a check across fields names the field it refuses
        (
            {"overrides": {"grpo": {"generation_batch_size": 30}}},
            "grpo.generation_batch_size",
            "not divisible by grpo.num_generations",
        ),
        ({"overrides": {"no_such_field": 1}}, "no_such_field", "Extra inputs"),
        # the body's types, checked before anything runs
        ({"max_steps": "many"}, "max_steps", "valid integer"),
        ({"overrides": [1, 2]}, "overrides", "valid dictionary"),
    ],
)
def test_bad_launch_input_names_the_field(launch, body, field, message):
    response = launch(body)
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert any(message in d["message"] and (not field or d["field"] == field) for d in detail), (
        detail
    )
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"data": {"train_file": "/etc/passwd"}}, "data.train_file"),
        ({"data": {"train_file": "../../uploads/other/x.jsonl"}}, "data.train_file"),
        ({"model": {"name_or_path": "/home/someone/model"}}, "model.name_or_path"),
        ({"model": {"name_or_path": "~/model"}}, "model.name_or_path"),
        ({"reward": "/srv/reward.json"}, "reward"),
        ({"reward": {"preset": "toolrl", "extra": ["ok", "C:\\x"]}}, "reward.extra[1]"),
    ],
)
def test_paths_on_the_server_are_refused_naming_the_field(launch, overrides, field):
    response = launch({"overrides": overrides})
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert [d["field"] for d in detail] == [field]
    assert "path on the server is not allowed" in detail[0]["message"]
    assert not Run.objects.exists()


def test_a_hub_model_name_is_not_a_path(launch):
    # "org/model" names a model on the Hub, not a file: no path refusal (it fails later, on the
    # worker, if the model is not there).
    response = launch({"overrides": {"model": {"name_or_path": "Qwen/Qwen2.5-0.5B-Instruct"}}})
    assert response.status_code == 201, response.content


def test_cancel_then_resume_answers_with_the_reason(api_client, token_for, owner, run):
    client = api_client(token_for(owner))
    first = client.post(f"/api/runs/{run.pk}/cancel")
    assert first.status_code == 200 and first.json()["outcome"] == "canceled"
    assert first.json()["run"]["status"] == "canceled"
    again = client.post(f"/api/runs/{run.pk}/cancel")
    assert again.status_code == 409
    assert again.json()["detail"] == [
        {"field": "status", "message": "A canceled run cannot be canceled."}
    ]
    resume = client.post(f"/api/runs/{run.pk}/resume")
    assert resume.status_code == 422
    assert resume.json()["detail"][0]["field"] == "run"
    assert "checkpoint" in resume.json()["detail"][0]["message"]


def test_resume_makes_a_continuation(api_client, token_for, member, run):
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, last_checkpoint="/tmp/ckpt-2", last_checkpoint_step=2
    )
    response = api_client(token_for(member)).post(f"/api/runs/{run.pk}/resume")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["resumed_from"] == run.pk and body["start_step"] == 2
    assert body["created_by"] == member.username


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "Cannot parse request body"),
        ("[1]", "Send a JSON object"),
        ('"x"', "Send a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_as_json(
    client, token_for, owner, project, no_enqueue, body, message
):
    response = client.post(
        f"/api/projects/{project.slug}/runs",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_for(owner)}"},
    )
    assert response.status_code in (400, 422), response.content
    detail = response.json()["detail"]
    assert detail[0]["field"] == "body" and message in detail[0]["message"], detail
    assert not Run.objects.exists()
