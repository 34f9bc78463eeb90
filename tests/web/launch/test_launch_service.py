"""`run_launch`: records of the project become the run configuration, checked by `RunConfig`,
with every problem on the launch field that causes it."""

from __future__ import annotations

import pytest
import yaml
from django.core.exceptions import ValidationError

from toolrl.commands.train import load_config
from toolrl_web.runs import launch, launch_display
from toolrl_web.runs.models import Run, RunStatus

from .conftest import tiny_form

pytestmark = pytest.mark.django_db


def test_launch_from_records_freezes_their_files_and_config(
    project, owner, dataset, reward, no_enqueue
):
    form = tiny_form(dataset=dataset.pk, reward_configuration=reward.pk, learning_rate="1e-4")
    run = launch.run_launch(project=project, user=owner, form_data=form)
    assert run.status == RunStatus.QUEUED and run.queue == "cpu"
    assert (run.dataset, run.toolset, run.reward_configuration) == (
        dataset,
        dataset.toolset,
        reward,
    )
    data = run.config["data"]
    assert data["train"].endswith(f"/prepared/{dataset.pk}/v1/train.jsonl")
    assert data["validation"].endswith(f"/prepared/{dataset.pk}/v1/validation.jsonl")
    assert run.config["reward"] == reward.config  # a copy: editing the record later changes nothing
    grpo = run.config["grpo"]
    assert (grpo["learning_rate"], grpo["max_steps"], grpo["generation_batch_size"]) == (1e-4, 2, 8)
    assert run.config["model"]["name_or_path"] == "tiny:fast" and run.max_steps == 2
    assert run.config["eval_at_start"] is False  # evaluate every 0 = never


def test_empty_fields_keep_the_preset_values(project, owner, no_enqueue):
    run = launch.run_launch(project=project, user=owner, form_data={})
    assert (run.name, run.queue, run.config["preset"]) == ("toolrl run", "cpu", "cpu-tiny")
    assert run.config["model"]["name_or_path"] == "tiny"
    assert run.config["grpo"]["learning_rate"] == 3e-4  # cpu-tiny's
    assert run.config["data"]["train"] is None and run.dataset is None  # the synthetic task
    assert run.config["reward"] == "toolrl"


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"learning_rate": "-1"}, "learning_rate", "grpo.learning_rate"),
        ({"top_p": "2"}, "top_p", "grpo.top_p"),
        (
            {"num_generations": "3", "prompts_per_step": ""},
            "prompts_per_step",
            "grpo.generation_batch_size",
        ),
        ({"max_completion_length": "5000"}, "max_completion_length", "context length"),
        ({"lora": "on", "lora_r": "0"}, "lora_r", "model.lora.r"),
        ({"generation_backend": "vllm-colocate", "preset": "cpu-tiny"}, None, None),
        ({"learning_rate": "fast"}, "learning_rate", "Enter a number"),
        ({"queue": "tpu"}, "queue", "Select a valid choice"),
    ],
)
def test_each_problem_is_on_its_field(project, owner, no_enqueue, change, field, text):
    if field is None:  # vLLM on a CPU-only device setting is fine; the worker decides
        launch.launch_resolve(project=project, form_data=tiny_form(**change))
        return
    with pytest.raises(ValidationError) as caught:
        launch.run_launch(project=project, user=owner, form_data=tiny_form(**change))
    errors = caught.value.message_dict
    assert list(errors) == [field], errors
    assert text in " ".join(errors[field])
    assert not Run.objects.exists() and not no_enqueue


def test_resolved_yaml_loads_in_toolrl_train(project, dataset, reward, tmp_path):
    form = tiny_form(dataset=dataset.pk, reward_configuration=reward.pk, temperature="0.7")
    resolved = launch.launch_resolve(project=project, form_data=form)
    path = tmp_path / launch_display.config_file_name(resolved.config)
    path.write_text(launch_display.config_yaml(resolved.config))
    assert load_config(str(path)).model_dump(mode="json") == resolved.config
    assert yaml.safe_load(path.read_text())["grpo"]["temperature"] == 0.7
    command = launch_display.equivalent_command(resolved.config)
    assert command == "toolrl train tiny-launch.yaml --out runs/tiny-launch"
