"""Create from presets or scratch, edit per component with messages on their fields, the live
chart's endpoint, export that `toolrl` reads back, and the run's frozen copy."""

from __future__ import annotations

import copy

import pytest
import yaml
from django.urls import reverse

from toolrl.rewards import PRESETS, RewardConfig, schedule_points
from toolrl_web.rewards import selectors, services
from toolrl_web.rewards.models import RewardConfiguration

from .conftest import editor_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("preset", ["", *PRESETS])
def test_create_from_every_preset_and_scratch(client_for, project, owner, preset):
    client = client_for(owner)
    name = f"R {preset or 'scratch'}"
    response = client.post(
        reverse("reward-create", args=[project.slug]), {"name": name, "preset": preset}
    )
    assert response.status_code == 302
    saved = RewardConfiguration.objects.get(name=name)
    expected = RewardConfig.preset(preset) if preset else RewardConfig()
    assert RewardConfig.model_validate(saved.config) == expected.model_copy(update={"name": name})
    assert saved.preset == preset
    # The editor shows it, and saving the unchanged form keeps the same config.
    page = client.get(response["Location"])
    assert page.status_code == 200
    before = copy.deepcopy(saved.config)
    assert (
        client.post(response["Location"], editor_post(saved.config, name=saved.name)).status_code
        == 302
    )
    saved.refresh_from_db()
    assert saved.config == before


def test_create_refuses_a_duplicate_or_empty_name_and_an_unknown_preset(
    client_for, project, owner, configuration
):
    client = client_for(owner)
    url = reverse("reward-create", args=[project.slug])
    for data, field, fragment in [
        ({"name": "Two stage", "preset": "toolrl"}, "name", "already has"),
        ({"name": "  ", "preset": "toolrl"}, "name", "Give the configuration a name"),
        ({"name": "x", "preset": "nope"}, "preset", "Choose one of the presets"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400
        html = response.content.decode()
        assert f'data-error-for="{field}"' in html and fragment in html, data
    assert RewardConfiguration.objects.count() == 1


def test_edit_a_schedule_per_component(client_for, configuration):
    client = client_for(configuration.project.owner)
    data = editor_post(configuration.config)
    data.update({
        "format.weight.kind": "cosine", "format.weight.by": "progress",
        "format.weight.start": "1", "format.weight.end": "0.25",
        "correctness.max.kind": "piecewise", "correctness.max.points": "0, 1\n0.5, 3\n1, 2",
        "length.enabled": "on", "length.target_words.kind": "linear",
        "length.target_words.start": "256", "length.target_words.end": "512",
        "correctness.matching": "optimal", "correctness.granularity": "finegrained",
        "correctness.normalize.case": "on",
    })  # fmt: skip
    response = client.post(reverse("reward-edit", args=[configuration.pk]), data)
    assert response.status_code == 302
    cfg = RewardConfig.model_validate(RewardConfiguration.objects.get().config)
    assert cfg.format.weight.kind == "cosine" and cfg.format.weight.end == 0.25
    assert cfg.correctness.max.points == [(0, 1), (0.5, 3), (1, 2)]
    assert cfg.correctness.matching == "optimal" and cfg.correctness.granularity == "finegrained"
    assert cfg.correctness.normalize.case and not cfg.correctness.normalize.whitespace
    assert cfg.length.enabled and cfg.length.target_words.start == 256


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        # a word in a number field: on that input
        ({"format.weight.kind": "number", "format.weight.value": "heavy"}, "format.weight.value", "enter a number"),
        # a schedule missing its parameters: on the value's group
        ({"format.weight.kind": "linear", "format.weight.start": "1", "format.weight.end": ""}, "format.weight", "needs end"),
        # min above max: on max
        ({"correctness.min.kind": "number", "correctness.min.value": "5", "correctness.max.kind": "number", "correctness.max.value": "1"}, "correctness.max", "must not exceed"),
        # piecewise points out of order, and a line that is not two numbers
        ({"format.max.kind": "piecewise", "format.max.points": "1, 0\n0, 1"}, "format.max", "sorted"),
        ({"format.max.kind": "piecewise", "format.max.points": "0, 1, 2"}, "format.max.points", "line 1"),
        # an unknown kind and an unknown choice
        ({"format.min.kind": "sawtooth"}, "format.min", "constant"),
        ({"correctness.granularity": "medium"}, "correctness.granularity", "original"),
        ({"correctness.matching": "best"}, "correctness.matching", "greedy"),
        # finish before begin
        ({"format.weight.kind": "linear", "format.weight.start": "1", "format.weight.end": "0", "format.weight.begin": "0.5", "format.weight.finish": "0.2"}, "format.weight", "finish must be greater"),
        # an empty name
        ({"name": ""}, "name", "Give the configuration a name"),
        ({"format.weight.kind": "number", "format.weight.value": "nan"}, "format.weight.value", "finite"),
    ],
)  # fmt: skip
def test_each_message_sits_on_its_field(client_for, configuration, changes, field, fragment):
    client = client_for(configuration.project.owner)
    before = copy.deepcopy(configuration.config)
    data = {**editor_post(configuration.config), **changes}
    response = client.post(reverse("reward-edit", args=[configuration.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    start = html.find(f'data-error-for="{field}"')
    assert start >= 0, (field, [ln for ln in html.splitlines() if "error" in ln])
    assert fragment in html[start : start + 300]
    if (
        changes.get("format.weight.value") == "heavy"
    ):  # what was typed is shown again, to be corrected
        assert 'name="format.weight.value" id="id_format.weight.value" value="heavy"' in html
    if field == "format.max.points":
        assert ">0, 1, 2</textarea>" in html
    configuration.refresh_from_db()
    assert configuration.config == before  # nothing half-written
    # The chart endpoint reports the same problem and draws nothing.
    url = reverse("reward-schedule", args=[configuration.pk])
    got = client.post(url, {**data, "steps": "10"}).json()
    if field != "name":
        assert got["points"] == [] and any(k.startswith(field) for k in got["errors"])


def test_the_chart_endpoint_follows_the_unsaved_form(client_for, configuration):
    client = client_for(configuration.project.owner)
    url = reverse("reward-schedule", args=[configuration.pk])
    saved = client.get(url + "?steps=105").json()
    cfg = RewardConfig.model_validate(configuration.config)
    assert saved["points"] == schedule_points(cfg, max_steps=105, n=106)
    data = {**editor_post(configuration.config), "steps": "105"}
    assert client.post(url, data).json()["points"] == saved["points"]
    data.update(
        {"format.weight.kind": "linear", "format.weight.start": "2", "format.weight.end": "0"}
    )
    edited = client.post(url, data).json()["points"]
    assert edited[0]["format.weight"] == 2 and edited[-1]["format.weight"] == 0
    # Long runs are downsampled; silly step counts are clamped, never a 500.
    assert len(client.get(url + "?steps=100000").json()["points"]) <= 203
    for steps in ("-5", "abc", "1e9", ""):
        assert client.get(url + f"?steps={steps}").status_code == 200


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_is_the_file_toolrl_reads(client_for, configuration, tmp_path, fmt):
    response = client_for(configuration.project.owner).get(
        reverse("reward-export", args=[configuration.pk]) + f"?format={fmt}"
    )
    assert response.status_code == 200
    assert f'filename="Two-stage.{fmt}"' in response["Content-Disposition"]
    path = tmp_path / f"reward.{fmt}"
    path.write_bytes(response.content)
    assert RewardConfig.resolve(path) == RewardConfig.model_validate(configuration.config)
    if fmt == "yaml":
        assert yaml.safe_load(response.content)["correctness"]["max"]["kind"] == "step"


def test_import_what_was_exported(client_for, configuration, project):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(project.owner)
    text = client.get(reverse("reward-export", args=[configuration.pk])).content
    response = client.post(
        reverse("reward-import", args=[project.slug]),
        {"file": SimpleUploadedFile("mine.yaml", text)},
    )
    assert response.status_code == 302
    copy_ = RewardConfiguration.objects.exclude(pk=configuration.pk).get()
    assert copy_.name == "Two stage 2"  # the file's name, made unique
    assert RewardConfig.model_validate(copy_.config) == RewardConfig.model_validate(
        {**configuration.config, "name": "Two stage 2"}
    )


def test_a_frozen_copy_never_follows_later_edits(configuration):
    frozen = selectors.reward_configuration_frozen(configuration=configuration)
    run_config = {"reward": frozen}
    data = copy.deepcopy(configuration.config)
    data["correctness"]["max"] = 9.0
    services.reward_configuration_update(
        configuration=configuration, name="Two stage", description="", config=data
    )
    assert run_config["reward"]["correctness"]["max"]["kind"] == "step"
    assert RewardConfig.from_dict(run_config["reward"]) == RewardConfig.preset(
        "two-stage"
    ).model_copy(update={"name": "Two stage"})


def test_selectors_for_the_launch_form(configuration, project, owner, outsider):
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from toolrl_web.projects.services import project_create

    assert list(selectors.reward_configuration_list_for_project(project=project)) == [configuration]
    assert (
        selectors.reward_configuration_get_for_user(user=owner, pk=configuration.pk)
        == configuration
    )
    with pytest.raises(Http404):
        selectors.reward_configuration_get_for_user(user=outsider, pk=configuration.pk)
    other = project_create(owner=owner, name="Other")
    for pk in (configuration.pk, "x", None, 10**9):
        with pytest.raises(ValidationError):
            selectors.reward_configuration_get_for_project(project=other, pk=pk)
    with pytest.raises(ValidationError) as err:
        services.reward_configuration_create(
            project=project, user=owner, name="bad", config={"format": {"weight": "x"}}
        )
    assert "format.weight" in err.value.message_dict


def test_a_launched_run_keeps_what_it_used(client_for, configuration, project, owner):
    """Through the runs service: the run's config holds the frozen reward; editing and even
    deleting the configuration afterwards leaves the run's record unchanged."""
    from tests.conftest import tiny_run_config
    from toolrl_web.runs.models import Run
    from toolrl_web.runs.services import run_create

    frozen = selectors.reward_configuration_frozen(configuration=configuration)
    run = run_create(project=project, user=owner, config=tiny_run_config(reward=frozen))
    Run.objects.filter(pk=run.pk).update(reward_configuration=configuration)
    used = copy.deepcopy(Run.objects.get(pk=run.pk).config["reward"])
    assert RewardConfig.from_dict(used) == RewardConfig.model_validate(configuration.config)

    client = client_for(owner)
    page = client.get(reverse("reward-edit", args=[configuration.pk])).content.decode()
    assert f"#{run.pk} {run.name}" in page  # the editor says which runs used it
    data = {**editor_post(configuration.config), "correctness.max.kind": "number",
            "correctness.max.value": "9"}  # fmt: skip
    assert client.post(reverse("reward-edit", args=[configuration.pk]), data).status_code == 302
    assert Run.objects.get(pk=run.pk).config["reward"] == used
    client.post(reverse("reward-delete", args=[configuration.pk]))
    run = Run.objects.get(pk=run.pk)
    assert run.reward_configuration is None and run.config["reward"] == used
