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
