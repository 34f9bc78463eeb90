"""Fixtures for the reward configuration pages: a saved configuration of the project."""

from __future__ import annotations

import pytest


@pytest.fixture
def configuration(project, owner):
    from toolrl_web.rewards.services import reward_configuration_create_from_preset

    return reward_configuration_create_from_preset(
        project=project, user=owner, name="Two stage", preset="two-stage"
    )


GT = '<think> t </think>\n<tool_call>\n{"name": "get_weather", "parameters": {"city": "Paris", "days": 2}}\n</tool_call>'


def editor_post(config: dict, name: str = "Two stage", description: str = "") -> dict:
    """The editor's POST fields for a config mapping (the inverse of the page's form)."""
    from toolrl_web.rewards import editor

    data = {"name": name, "description": description}
    for comp in editor.editor_components(config):
        if comp["enabled"]:
            data[f"{comp['name']}.enabled"] = "on"
        for v in comp["values"]:
            data[f"{v['path']}.kind"] = v["kind"]
            data[f"{v['path']}.by"] = v["by"]
            for p in v["params"]:
                data[f"{v['path']}.{p['name']}"] = p["value"]
    data["correctness.granularity"] = config["correctness"]["granularity"]
    data["correctness.matching"] = config["correctness"]["matching"]
    for key, on in config["correctness"]["normalize"].items():
        if on:
            data[f"correctness.normalize.{key}"] = "on"
    return data


@pytest.fixture
def synthetic_dataset(project, owner, settings, tmp_path, monkeypatch):
    """A valid synthetic dataset of the project, validated in this process (as the worker
    would) so its prepared rows exist for the playground."""
    from toolrl_web.datasets.models import Dataset
    from toolrl_web.datasets.services import dataset_create_synthetic
    from toolrl_web.datasets.validation import dataset_validation_run

    settings.UPLOADS_DIR = tmp_path / "uploads"
    settings.DATASET_TOKENIZER = ""
    monkeypatch.setattr("toolrl_web.datasets.services.send_task", lambda *a, **k: True)
    dataset = dataset_create_synthetic(project=project, user=owner, size=12, seed=1, tokenizer="")
    dataset_validation_run(dataset_id=dataset.pk, version=dataset.version)
    dataset = Dataset.objects.get(pk=dataset.pk)
    assert dataset.is_valid, dataset.status
    return dataset
