"""Launching through the API: the launch service the form uses, its checks and messages as JSON
naming the field; any key that is not a launch field refused by name (no path reaches a
configuration); nothing written on a refusal."""

from __future__ import annotations

import pytest

from toolrl_web.runs.launch import run_launch
from toolrl_web.runs.models import Run, RunStatus

pytestmark = pytest.mark.django_db

TINY = {"model": "tiny:fast"}


@pytest.fixture
def launch(api_client, token_for, member, project, no_enqueue):
    client = api_client(token_for(member))
    return lambda body, path="runs": client.post(f"/api/projects/{project.slug}/{path}", body)


def test_launch_queues_a_run_like_the_form(launch, member):
    body = {"name": "first", "reward_preset": "dynamic", "max_steps": 7, "learning_rate": 2e-5}
    response = launch({**body, **TINY})
    assert response.status_code == 201, response.content
    body = response.json()
    run = Run.objects.get()
    assert body["id"] == run.pk and body["status"] == RunStatus.QUEUED == run.status
    assert run.created_by == member and body["created_by"] == member.username
    assert run.name == "first" and run.max_steps == 7 and run.queue == "cpu"
    assert run.config["grpo"]["max_steps"] == 7 and run.config["grpo"]["learning_rate"] == 2e-5
    assert body["config"]["model"]["name_or_path"] == "tiny:fast"
    assert run.config["reward"] == "dynamic"


def test_the_api_and_the_form_make_the_same_run(launch, project, owner):
    """One launch service: the same fields give the same configuration either way."""
    fields = {"max_steps": 3, "num_generations": 4, "prompts_per_step": 2, "lora": True, **TINY}
    api_run = Run.objects.get(pk=launch(fields).json()["id"])
    form_run = run_launch(
        project=project, user=owner, form_data={k: str(v) for k, v in fields.items()}
    )
    assert api_run.config == form_run.config


def test_a_reward_configuration_and_dataset_are_chosen_by_id(launch, reward, valid_dataset):
    response = launch({"reward_configuration": reward.pk, "dataset": valid_dataset.pk, **TINY})
    assert response.status_code == 201, response.content
    run = Run.objects.get()
    assert run.reward_configuration == reward and run.dataset == valid_dataset
    assert run.config["reward"] == reward.config
    assert run.config["data"]["train"]  # the dataset's prepared rows, resolved on the server


def test_records_of_another_project_are_refused(launch, other_project, owner):
    from toolrl_web.rewards.models import RewardConfiguration

    theirs = RewardConfiguration.objects.create(
        project=other_project, name="theirs", config={"preset": "toolrl"}, created_by=owner
    )
    response = launch({"reward_configuration": theirs.pk, **TINY})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "field": "reward_configuration",
            "message": "reward_configuration: choose one of the project's reward configurations.",
        }
    ]
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        # the form's own field checks, with its messages
        ({"preset": "huge"}, "preset", "Select a valid choice"),
        ({"reward_preset": "nope"}, "reward_preset", "Select a valid choice"),
        ({"queue": "tpu"}, "queue", "Select a valid choice"),
        ({"dataset": 99999}, "dataset", "dataset"),
        ({"reward_configuration": 99999}, "reward_configuration", "choose one of the project"),
        # the run configuration's checks, keyed by the launch field that sets the value
        ({"max_steps": 0}, "max_steps", "greater than or equal to 1"),
        ({"learning_rate": -1}, "learning_rate", "greater than 0"),
        ({"model": "tiny:nope"}, "model", "unknown tiny model recipe"),
        # keys that are not launch fields are refused by name
        ({"overrides": {"grpo": {"beta": 1}}}, "overrides", "not a launch setting"),
        ({"sweep_field": "seed"}, "sweep_field", "/sweeps"),
        # the body's types, checked before anything runs
        ({"max_steps": "many"}, "max_steps", "valid integer"),
        ({"dataset": [1]}, "dataset", "valid integer"),
    ],
)
def test_bad_launch_input_names_the_field(launch, body, field, message):
    response = launch({**TINY, **body})
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert any(message in d["message"] and d["field"] == field for d in detail), detail
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": {"train_file": "/etc/passwd"}}, "data"),
        ({"train_file": "../../uploads/other/x.jsonl"}, "train_file"),
        ({"reward": "/srv/reward.json"}, "reward"),
        ({"config": {"model": {"name_or_path": "/home/someone/model"}}}, "config"),
        ({"data": None}, "data"),  # null is no excuse
    ],
)
def test_paths_under_any_other_key_are_refused_naming_the_key(launch, body, field):
    response = launch({**TINY, **body})
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert [d["field"] for d in detail] == [field]
    assert "not a launch setting" in detail[0]["message"]
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    "model", ["/home/someone/model", "~/model", "../models/x", "C:\\models\\x", "no-such-folder"]
)
def test_a_model_path_on_the_server_is_refused_naming_the_field(launch, model):
    response = launch({"model": model})
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert [d["field"] for d in detail] == ["model"]
    assert "paths are not accepted" in detail[0]["message"]
    assert not Run.objects.exists()


def test_a_hub_model_name_is_not_a_path(launch):
    # "org/model" names a model on the Hub, not a file (it fails later, on the worker, if the
    # model is not there).
    response = launch({"model": "Qwen/Qwen2.5-0.5B-Instruct"})
    assert response.status_code == 201, response.content


def test_a_sweep_launches_one_run_per_value(launch):
    body = {"sweep_field": "learning_rate", "sweep_values": [1e-5, 3e-5], **TINY}
    response = launch(body, path="sweeps")
    assert response.status_code == 201, response.content
    runs = response.json()
    assert [r["config"]["grpo"]["learning_rate"] for r in runs] == [1e-5, 3e-5]
    assert runs[0]["sweep"] and runs[0]["sweep"] == runs[1]["sweep"]
    assert Run.objects.count() == 2


def test_a_bad_sweep_value_launches_nothing(launch):
    body = {"sweep_field": "learning_rate", "sweep_values": "1e-5, -1", **TINY}
    response = launch(body, path="sweeps")
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail[0]["field"] == "sweep_values" and "learning_rate=-1" in detail[0]["message"]
    assert not Run.objects.exists()


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
