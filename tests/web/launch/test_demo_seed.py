"""`make demo`'s seeding (`manage.py demo_setup --launch-run`): the synthetic task as a dataset
with its tool set, the `toolrl` and `two-stage` reward configurations, and the demo run
launched from them; a second call adds nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from toolrl.rewards import RewardConfig
from toolrl_web.datasets.models import Dataset
from toolrl_web.rewards.models import RewardConfiguration
from toolrl_web.runs.models import Run, RunStatus

pytestmark = pytest.mark.django_db


def test_demo_setup_seeds_records_and_launches_the_run_from_them(
    no_enqueue, capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_setup", "--launch-run")
    dataset = Dataset.objects.get()
    assert dataset.is_valid and dataset.kind == "synthetic" and dataset.train_rows == 900
    assert dataset.toolset.tools and dataset.toolset.source == "synthetic"
    rewards = {r.name: r for r in RewardConfiguration.objects.filter(project=dataset.project)}
    assert set(rewards) == {"toolrl", "two-stage"}
    assert rewards["two-stage"].config == RewardConfig.preset("two-stage").model_dump(mode="json")
    run = Run.objects.get()
    assert run.status == RunStatus.QUEUED and no_enqueue == [run.pk]
    assert (run.dataset, run.toolset, run.reward_configuration) == (
        dataset,
        dataset.toolset,
        rewards["toolrl"],
    )
    assert run.config["data"]["train"].endswith("train.jsonl")
    assert run.config["model"]["name_or_path"] == "tiny" and run.config["preset"] == "cpu-tiny"
    assert "demo login" in capsys.readouterr().out

    call_command("demo_setup", "--launch-run")
    assert (Run.objects.count(), Dataset.objects.count(), RewardConfiguration.objects.count()) == (
        1,
        1,
        2,
    )
