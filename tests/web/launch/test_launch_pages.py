"""The launch pages: access for each URL, live preview (YAML + command), YAML download, clone
with its diff, sweep launching several runs under one label."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse

from toolrl_web.runs import launch
from toolrl_web.runs.models import Run

from .conftest import tiny_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(project, owner, dataset, reward, no_enqueue):
    form = tiny_form(dataset=dataset.pk, reward_configuration=reward.pk, learning_rate="1e-4")
    return launch.run_launch(project=project, user=owner, form_data=form)


@pytest.fixture
def sweep(project, owner, no_enqueue):
    form = tiny_form(sweep_field="learning_rate", sweep_values="1e-4, 3e-4")
    return launch.run_sweep(project=project, user=owner, form_data=form)


def urls(project, run, sweep) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("run-launch", args=[project.slug]), {}),
        ("post", reverse("run-launch-preview", args=[project.slug]), tiny_form()),
        ("get", reverse("run-launch-yaml", args=[project.slug]), tiny_form()),
        ("get", reverse("run-clone", args=[run.pk]), {}),
        ("get", reverse("run-sweep", args=[project.slug, sweep[0].sweep]), {}),
    ]


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("member", 200), ("outsider", 404)])
def test_every_launch_url_is_for_members_only(
    request, client_for, project, run, sweep, who, status
):
    client = client_for(request.getfixturevalue(who))
    for method, url, data in urls(project, run, sweep):
        assert getattr(client, method)(url, data).status_code == status, url
    before = Run.objects.count()
    client.post(reverse("run-launch", args=[project.slug]), tiny_form())
    assert Run.objects.count() == before + (status == 200)


def test_form_offers_records_and_field_help(client_for, project, owner, dataset, reward):
    html = client_for(owner).get(reverse("run-launch", args=[project.slug])).content.decode()
    assert f'<option value="{dataset.pk}">{dataset.name}</option>' in html
    assert f'<option value="{reward.pk}">two-stage</option>' in html
    assert "Rollouts per prompt (the GRPO group size)." in html  # RunConfig's description
    assert 'placeholder="0.0003"' in html  # cpu-tiny's learning rate, what empty means
    assert 'id="preview-yaml"' in html and "toolrl train" in html


def test_preview_shows_the_resolved_yaml_and_command(client_for, project, owner, dataset):
    form = tiny_form(dataset=dataset.pk, temperature="0.6")
    html = client_for(owner).post(reverse("run-launch-preview", args=[project.slug]), form)
    text = html.content.decode()
    assert "<html" not in text and "toolrl train tiny-launch.yaml --out runs/tiny-launch" in text
    assert "temperature: 0.6" in text and f"/prepared/{dataset.pk}/v1/train.jsonl" in text
    bad = client_for(owner).post(
        reverse("run-launch-preview", args=[project.slug]), tiny_form(top_p="3")
    )
    assert 'id="preview-problems"' in bad.content.decode() and "grpo.top_p" in bad.content.decode()


def test_preview_announces_a_sweep(client_for, project, owner):
    url = reverse("run-launch-preview", args=[project.slug])
    form = tiny_form(sweep_field="temperature", sweep_values="0.7 1.0 1.2")
    html = client_for(owner).post(url, form).content.decode()
    assert "3 runs, one per value of <code>temperature</code>: 0.7, 1.0, 1.2" in html
    bad = client_for(owner).post(url, tiny_form(sweep_field="temperature", sweep_values="0.7"))
    assert "sweep_values: give 2 to 8 different values" in bad.content.decode()
    bad = client_for(owner).post(url, tiny_form(sweep_field="name", sweep_values="a b"))
    assert "sweep_field: Select a valid choice" in bad.content.decode()


def test_yaml_download_is_the_configuration(client_for, project, owner, dataset):
    response = client_for(owner).get(
        reverse("run-launch-yaml", args=[project.slug]), tiny_form(dataset=dataset.pk)
    )
    assert response["Content-Disposition"] == 'attachment; filename="tiny-launch.yaml"'
    config = yaml.safe_load(response.content)
    assert config["grpo"]["generation_batch_size"] == 8 and config["data"]["format"] == "rows"
    refused = client_for(owner).get(
        reverse("run-launch-yaml", args=[project.slug]), tiny_form(model="/root")
    )
    assert refused.status_code == 400 and b"paths are not accepted" in refused.content


def test_clone_prefills_the_form_and_shows_what_changed(client_for, project, owner, run):
    client = client_for(owner)
    html = client.get(reverse("run-clone", args=[run.pk])).content.decode()
    assert 'name="learning_rate" value="0.0001"' in html
    assert f'<option value="{run.dataset_id}" selected>' in html
    diff = html.split('id="clone-diff"')[1].split("</table>")[0]
    assert diff.count("<tr>") == 2 and "(clone)" in diff  # only the name differs
    detail = client.get(reverse("run-detail", args=[run.pk])).content.decode()
    assert reverse("run-clone", args=[run.pk]) in detail
    form = launch_display_form(run, learning_rate="5e-5", name=run.name)
    preview = client.post(reverse("run-launch-preview", args=[project.slug]), form)
    text = preview.content.decode()
    assert 'id="clone-diff"' in text and "grpo.learning_rate" in text and "0.00005" in text
    assert text.count("<tr>") == 2  # the header and the one change
    response = client.post(reverse("run-launch", args=[project.slug]), form)
    clone = Run.objects.latest("pk")
    assert response.url == reverse("run-detail", args=[clone.pk])
    assert clone.config["grpo"]["learning_rate"] == 5e-5
    assert clone.dataset_id == run.dataset_id and clone.config["data"] == run.config["data"]


def launch_display_form(run, **changes) -> dict:
    from toolrl_web.runs.launch_display import clone_initial

    data = {
        k: ("on" if v is True else v)
        for k, v in clone_initial(run).items()
        if v not in (None, False, "")
    }
    data.update(changes)
    return {k: str(v) for k, v in data.items()}


def test_sweep_launches_one_run_per_value_under_one_label(client_for, project, member, dataset):
    form = tiny_form(dataset=dataset.pk, sweep_field="learning_rate", sweep_values="1e-4 3e-4")
    response = client_for(member).post(reverse("run-launch", args=[project.slug]), form)
    runs = list(Run.objects.order_by("pk"))
    assert len(runs) == 2 and runs[0].sweep == runs[1].sweep != ""
    assert [r.config["grpo"]["learning_rate"] for r in runs] == [1e-4, 3e-4]
    assert response.url == reverse("run-sweep", args=[project.slug, runs[0].sweep])
    page = client_for(member).get(response.url).content.decode()
    assert f'href="/compare/?runs={runs[0].pk},{runs[1].pk}"' in page


@pytest.mark.parametrize(
    ("values", "text"),
    [("1e-4", "2 to 8"), ("1e-4, -1", "learning_rate=-1"), ("a b", "Enter a number")],
)
def test_a_bad_sweep_queues_nothing(client_for, project, owner, values, text):
    form = tiny_form(sweep_field="learning_rate", sweep_values=values)
    response = client_for(owner).post(reverse("run-launch", args=[project.slug]), form)
    assert response.status_code == 200 and not Run.objects.exists()
    assert text in response.content.decode()
