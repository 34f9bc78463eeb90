"""Fixtures for the launch tests: a fresh uploads and models folder, a valid synthetic dataset
of the project (validated in this process), and reward configurations made from presets."""

from __future__ import annotations

import pytest

from toolrl.rewards import RewardConfig
from toolrl_web.datasets import services as dataset_services
from toolrl_web.datasets.validation import dataset_validation_run
from toolrl_web.rewards.models import RewardConfiguration
from toolrl_web.runs import services


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.UPLOADS_DIR = tmp_path / "uploads"
    settings.MODELS_DIR = tmp_path / "models"
    settings.MODELS_DIR.mkdir()
    settings.DATASET_TOKENIZER = ""
    return settings


@pytest.fixture
def no_enqueue(monkeypatch):
    sent = []
    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: sent.append(run_id))
    monkeypatch.setattr(dataset_services, "send_task", lambda *a, **k: True)
    return sent


def make_dataset(project, user, *, size: int = 40, seed: int = 0, name: str = ""):
    """A synthetic dataset of `project`, validated and prepared here (no worker needed)."""
    dataset = dataset_services.dataset_create_synthetic(
        project=project, user=user, size=size, seed=seed, name=name, tokenizer=""
    )
    assert dataset_validation_run(dataset_id=dataset.pk, version=dataset.version) == "valid"
    dataset.refresh_from_db()
    return dataset


def make_reward(project, preset: str = "two-stage", name: str = ""):
    return RewardConfiguration.objects.create(
        project=project,
        name=name or preset,
        config=RewardConfig.preset(preset).model_dump(mode="json"),
        preset=preset,
    )


@pytest.fixture
def dataset(project, owner, no_enqueue):
    return make_dataset(project, owner)


@pytest.fixture
def reward(project):
    return make_reward(project)


def tiny_form(**changes) -> dict:
    """Launch form data for a run of the fast tiny model small enough for tests."""
    data = {
        "name": "tiny launch",
        "preset": "cpu-tiny",
        "model": "tiny:fast",
        "prompts_per_step": "2",
        "num_generations": "4",
        "max_completion_length": "24",
        "max_steps": "2",
        "eval_every": "0",
        "queue": "cpu",
    }
    data.update({k: str(v) for k, v in changes.items()})
    return data
