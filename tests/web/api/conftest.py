"""The API's cast: a token per user, a run with metrics, evaluations and rollouts, a dataset and a
reward configuration in the project."""

from __future__ import annotations

import json

import pytest

from tests.conftest import tiny_run_config
from toolrl_web.api import services as api_services
from toolrl_web.runs import services as run_services
from toolrl_web.runs.models import EvalRow, MetricRow, Rollout


@pytest.fixture
def no_enqueue(monkeypatch):
    monkeypatch.setattr(run_services, "run_enqueue", lambda *, run_id: None)


@pytest.fixture
def token_for(db):
    """`token_for(user)` is the text of a new token of that user."""

    def make(user, name: str = "tests") -> str:
        return api_services.token_create(user=user, name=name)[1]

    return make


@pytest.fixture
def api_client(client):
    """`api_client(token)`: get/post JSON with `Authorization: Bearer <token>`."""

    class ApiClient:
        def __init__(self, token: str | None):
            self.headers = {"Authorization": f"Bearer {token}"} if token else {}

        def get(self, path: str, **params):
            return client.get(path, params, headers=self.headers)

        def post(self, path: str, body: dict | None = None):
            return client.post(
                path,
                json.dumps(body or {}),
                content_type="application/json",
                headers=self.headers,
            )

    return ApiClient


@pytest.fixture
def run(project, owner, no_enqueue):
    run = run_services.run_create(project=project, user=owner, config=tiny_run_config())
    for step in (1, 2, 3):
        MetricRow.objects.create(run=run, step=step, values={"reward": step / 10})
    EvalRow.objects.create(run=run, step=2, values={"eval/accuracy": 0.5})
    rows = []
    for step in (1, 2):
        for group in (0, 1):
            for i in range(4):
                # group 0 of every step scores all the same (no learning signal); group 1 varies
                total = 1.0 if group == 0 else float(i)
                rows.append(
                    Rollout(
                        run=run,
                        step=step,
                        prompt_id=f"p{group}",
                        group=group,
                        completion=f"<tool_call>step {step} group {group} #{i}</tool_call>",
                        rewards={"total": total, "format": 1.0, "custom": i / 4},
                        total=total,
                        format=1.0,
                        correctness=total - 1.0,
                        error_category="bad_json" if i == 3 else "",
                        failure="correct" if total >= 2 else "wrong_tool",
                        truncated=i == 2,
                    )
                )
    Rollout.objects.bulk_create(rows)
    return run


@pytest.fixture
def dataset(project, owner):
    from toolrl_web.datasets.models import Dataset

    return Dataset.objects.create(
        project=project, name="weather", kind="synthetic", status="valid", created_by=owner
    )


@pytest.fixture
def reward_configuration(project, owner):
    from toolrl_web.rewards.models import RewardConfiguration

    return RewardConfiguration.objects.create(
        project=project, name="strict", config={"preset": "toolrl"}, created_by=owner
    )


@pytest.fixture
def other_project(outsider):
    from toolrl_web.projects.services import project_create

    return project_create(owner=outsider, name="Someone else's", description="")


@pytest.fixture
def reward(project):
    """A reward configuration of the project holding a whole RewardConfig."""
    from toolrl.rewards import RewardConfig
    from toolrl_web.rewards.models import RewardConfiguration

    return RewardConfiguration.objects.create(
        project=project,
        name="two-stage",
        config=RewardConfig.preset("two-stage").model_dump(mode="json"),
        preset="two-stage",
    )


@pytest.fixture
def valid_dataset(project, owner, settings, tmp_path, monkeypatch):
    """A synthetic dataset of the project, validated and prepared in this process."""
    from toolrl_web.datasets import services as dataset_services
    from toolrl_web.datasets.validation import dataset_validation_run

    settings.UPLOADS_DIR = tmp_path / "uploads"
    settings.DATASET_TOKENIZER = ""
    monkeypatch.setattr(dataset_services, "send_task", lambda *a, **k: True)
    dataset = dataset_services.dataset_create_synthetic(
        project=project, user=owner, size=40, seed=0, name="", tokenizer=""
    )
    assert dataset_validation_run(dataset_id=dataset.pk, version=dataset.version) == "valid"
    dataset.refresh_from_db()
    return dataset
