"""No path a user typed is ever used: datasets, tool sets and reward configurations are chosen
by their record in the user's own project, a model by Hub id, `tiny` or a folder name under the
models folder. Each attempt is refused with an error keyed by the field it came in."""

from __future__ import annotations

import os
import shutil

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from toolrl_web.datasets import storage
from toolrl_web.projects.services import project_create
from toolrl_web.runs import launch
from toolrl_web.runs.models import Run

from .conftest import make_dataset, make_reward, tiny_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(outsider, no_enqueue):
    """Another project (the outsider's) with its own dataset, tool set and reward configuration."""
    other = project_create(owner=outsider, name="elsewhere")
    dataset = make_dataset(other, outsider, name="theirs")
    return {"project": other, "dataset": dataset, "reward": make_reward(other)}


@pytest.fixture(autouse=True)
def nothing_opened_by_name(monkeypatch):
    """The configuration readers that take a path must never run in a launch."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a file was opened by name: {args}")

    monkeypatch.setattr("toolrl.configfile.read_mapping", refuse)
    monkeypatch.setattr("toolrl.rewards.RewardConfig.from_file", refuse)


def refused(project, form_data) -> dict:
    with pytest.raises(ValidationError) as caught:
        launch.launch_resolve(project=project, form_data=form_data)
    assert not Run.objects.exists()
    return caught.value.message_dict


PATHS = ["/etc/passwd", "../../etc/passwd", "1/../2", "~/x", "C:\\x"]


@pytest.mark.parametrize("value", PATHS)
@pytest.mark.parametrize(
    "field", ["dataset", "validation_dataset", "toolset", "reward_configuration", "model"]
)
def test_a_typed_path_is_refused_on_its_field(project, dataset, field, value):
    form = tiny_form(**{"dataset": dataset.pk, field: value})
    assert field in refused(project, form)


@pytest.mark.parametrize("key", ["data", "reward", "tools", "config", "train", "model_path"])
def test_a_setting_given_under_another_name_is_refused_by_name(project, key):
    errors = refused(project, {**tiny_form(), key: "/etc/passwd"})
    assert list(errors) == [key] and "not a launch setting" in errors[key][0]


@pytest.mark.parametrize("value", ["/etc/passwd", "two-stage/../../x"])
def test_reward_preset_must_be_a_preset_name(project, value):
    assert "reward_preset" in refused(project, tiny_form(reward_preset=value))


def test_another_projects_records_are_refused(project, dataset, elsewhere):
    theirs = elsewhere["dataset"]
    assert "dataset" in refused(project, tiny_form(dataset=theirs.pk))
    assert "validation_dataset" in refused(
        project, tiny_form(dataset=dataset.pk, validation_dataset=theirs.pk)
    )
    assert "toolset" in refused(project, tiny_form(dataset=dataset.pk, toolset=theirs.toolset_id))
    assert "reward_configuration" in refused(
        project, tiny_form(reward_configuration=elsewhere["reward"].pk)
    )


def test_another_projects_upload_as_a_model_path_is_refused(project, elsewhere):
    folder = storage.prepared_dir(elsewhere["dataset"].pk, elsewhere["dataset"].version)
    for value in (str(folder), str(folder.relative_to(folder.anchor))):
        assert "model" in refused(project, tiny_form(model=value))


def test_a_dataset_whose_files_were_swapped_for_a_symlink_is_refused(project, dataset, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "train.jsonl").write_text("secret\n")
    (outside / "validation.jsonl").write_text("secret\n")
    folder = storage.root() / "prepared" / str(dataset.pk) / f"v{dataset.version}"
    shutil.rmtree(folder)
    os.symlink(outside, folder)
    assert "dataset" in refused(project, tiny_form(dataset=dataset.pk))
    other = make_dataset(project, dataset.created_by, name="second", seed=2)
    assert "validation_dataset" in refused(
        project, tiny_form(dataset=other.pk, validation_dataset=dataset.pk)
    )


def test_models_come_from_the_models_folder_by_name_only(project, settings, tmp_path):
    models = settings.MODELS_DIR
    (models / "my-model").mkdir()
    outside = tmp_path / "secret-model"
    outside.mkdir()
    os.symlink(outside, models / "escape")
    resolved = launch.launch_resolve(project=project, form_data=tiny_form(model="my-model"))
    assert resolved.config["model"]["name_or_path"] == str((models / "my-model").resolve())
    for value in ("escape", "escape/..", "no-such-model", "/root", str(models / "my-model")):
        assert "model" in refused(project, tiny_form(model=value)), value
    # A Hub id is passed on; one whose owner names a folder next to the worker is not.
    hub = launch.launch_resolve(project=project, form_data=tiny_form(model="Qwen/Qwen2.5-0.5B"))
    assert hub.config["model"]["name_or_path"] == "Qwen/Qwen2.5-0.5B"
    for value in ("var/uploads", "platform/toolrl_web", "tests/web"):
        assert "model" in refused(project, tiny_form(model=value)), value


def test_the_page_shows_the_refusal_on_the_field(client_for, project, owner):
    response = client_for(owner).post(
        reverse("run-launch", args=[project.slug]), tiny_form(model="/root")
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Run.objects.exists()
    field = html.split('id="field-model"')[1].split("</div>")[0]
    assert "paths are not accepted" in field


def test_even_the_server_side_run_create_never_opens_a_reward_path(project, owner):
    from toolrl_web.runs.services import run_create

    with pytest.raises(ValidationError, match="not a reward preset"):
        run_create(
            project=project, user=owner, config={"preset": "cpu-tiny", "reward": "/etc/passwd"}
        )
    assert not Run.objects.exists()
