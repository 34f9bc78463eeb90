"""Reads for reward configurations. Lookups are scoped to the asking user (404 for an
outsider) or to a project (a ValidationError naming the field, for a launch form's choice)."""

from __future__ import annotations

import copy
import json

import yaml
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from toolrl.formats import rowfile
from toolrl.rewards import RewardConfig
from toolrl.schema import Row
from toolrl_web.datasets import storage
from toolrl_web.datasets.selectors import datasets_valid_for_project
from toolrl_web.rewards.models import RewardConfiguration


def reward_configuration_list_for_project(*, project) -> QuerySet[RewardConfiguration]:
    return RewardConfiguration.objects.filter(project=project).select_related("created_by")


def reward_configuration_get_for_user(*, user, pk: int) -> RewardConfiguration:
    """The configuration if `user` belongs to its project; 404 otherwise."""
    found = (
        RewardConfiguration.objects.filter(pk=pk, project__memberships__user=user)
        .select_related("project")
        .first()
    )
    if found is None:
        raise Http404("No such reward configuration.")
    return found


def reward_configuration_get_for_project(
    *, project, pk, field: str = "reward_configuration"
) -> RewardConfiguration:
    """The configuration `pk` of `project` (a launch form submits ids); a ValidationError on
    `field` for any other id, without telling "elsewhere" from "missing"."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise ValidationError(
            {field: "Choose one of the project's reward configurations."}
        ) from None
    found = reward_configuration_list_for_project(project=project).filter(pk=number).first()
    if found is None:
        raise ValidationError({field: "Choose one of the project's reward configurations."})
    return found


def reward_configuration_frozen(*, configuration: RewardConfiguration) -> dict:
    """The configuration as a run's `reward` section: a checked, independent copy, so editing
    the row after launch never changes what the run says it used."""
    cfg = RewardConfig.model_validate(copy.deepcopy(configuration.config))
    return cfg.model_dump(mode="json")


def reward_configuration_runs(*, configuration: RewardConfiguration, limit: int = 20) -> list:
    """The latest runs launched with this configuration (each holds its own frozen copy)."""
    return list(configuration.runs.order_by("-pk")[:limit])


def reward_configuration_config(*, configuration: RewardConfiguration) -> RewardConfig:
    return RewardConfig.model_validate(configuration.config)


def reward_configuration_export(*, configuration: RewardConfiguration, fmt: str) -> tuple[str, str]:
    """(file name, text) of the file `toolrl train --reward FILE` reads, as YAML or JSON."""
    data = reward_configuration_frozen(configuration=configuration)
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in configuration.name) or "reward"
    if fmt == "json":
        return f"{stem}.json", json.dumps(data, indent=2) + "\n"
    return f"{stem}.yaml", yaml.safe_dump(data, sort_keys=False)


def playground_datasets(*, project):
    return datasets_valid_for_project(project=project).order_by("name")


def playground_row(*, project, dataset_id, index) -> tuple[Row | None, str]:
    """Row `index` of one of the project's valid datasets, or None and why not."""
    try:
        pk, number = int(dataset_id), int(index)
    except (TypeError, ValueError):
        return None, "Choose a dataset and a row number."
    dataset = playground_datasets(project=project).filter(pk=pk).first()
    if dataset is None:
        return None, "Choose one of the project's valid datasets."
    path = storage.prepared_dir(dataset.pk, dataset.version) / "rows.jsonl"
    if not path.is_file():
        return None, f"Dataset “{dataset.name}” has no prepared rows yet."
    found = rowfile.read_rows(path, number, 1) if number >= 0 else []
    if not found:
        return None, f"Dataset “{dataset.name}” has no row {number}."
    return found[0][1], ""
