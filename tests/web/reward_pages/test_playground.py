"""The playground: a dataset row's rendered target as ground truth, a completion, a step; the
partial shows the parse, the call-by-call comparison and each component's score."""

from __future__ import annotations

import pytest
from django.urls import reverse

from toolrl.prompt import render_target
from toolrl.rewards import RewardConfig, score

from .conftest import GT

pytestmark = pytest.mark.django_db


def test_a_dataset_row_prefills_both_texts(client_for, configuration, synthetic_dataset):
    from toolrl.formats import rowfile
    from toolrl_web.datasets import storage

    client = client_for(configuration.project.owner)
    url = reverse("reward-playground", args=[configuration.pk])
    response = client.get(url, {"dataset": synthetic_dataset.pk, "row": 3})
    assert response.status_code == 200
    path = storage.prepared_dir(synthetic_dataset.pk, synthetic_dataset.version) / "rows.jsonl"
    row = rowfile.read_rows(path, 3, 1)[0][1]
    target = render_target(row.target)
    assert response.context["ground_truth"] == target == response.context["completion"]
    html = response.content.decode()
    assert row.id in html and 'id="parse-error">well formed' in html
    # Its own target scores the maximum at step 0 of the two-stage preset.
    cfg = RewardConfig.model_validate(configuration.config)
    assert response.context["out"]["total"] == score(target, target, cfg, 0, 100).total


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"dataset": "999999", "row": "0"}, "valid datasets"),
        ({"dataset": "x", "row": "0"}, "Choose a dataset"),
        ({"dataset": "{ds}", "row": "5000"}, "has no row 5000"),
        ({"dataset": "{ds}", "row": "-1"}, "has no row -1"),
    ],
)
def test_a_row_that_is_not_there_says_so(
    client_for, configuration, synthetic_dataset, query, message
):
    client = client_for(configuration.project.owner)
    query = {k: v.replace("{ds}", str(synthetic_dataset.pk)) for k, v in query.items()}
    response = client.get(reverse("reward-playground", args=[configuration.pk]), query)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_dataset_of_another_project_is_not_offered(
    client_for, configuration, synthetic_dataset, owner
):
    from toolrl_web.projects.services import project_create
    from toolrl_web.rewards.services import reward_configuration_create_from_preset

    other = project_create(owner=owner, name="Other")
    mine = reward_configuration_create_from_preset(
        project=other, user=owner, name="x", preset="toolrl"
    )
    response = client_for(owner).get(
        reverse("reward-playground", args=[mine.pk]), {"dataset": synthetic_dataset.pk, "row": 0}
    )
    assert "valid datasets" in response.content.decode()
    assert response.context["ground_truth"] == ""


def post_score(client, configuration, completion, ground_truth=GT, step=0, max_steps=100):
    url = reverse("reward-playground-score", args=[configuration.pk])
    data = {
        "completion": completion,
        "ground_truth": ground_truth,
        "step": step,
        "max_steps": max_steps,
    }
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_the_partial_shows_matches_and_scores(client_for, configuration):
    client = client_for(configuration.project.owner)
    wrong_value = GT.replace('"days": 2', '"days": 3').replace('"city"', '"town"')
    response = post_score(client, configuration, wrong_value, step=50)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a partial, not a page
    cfg = RewardConfig.model_validate(configuration.config)
    expected = score(wrong_value, GT, cfg, 50, 100)
    assert response.context["out"]["total"] == expected.total
    pair = response.context["pairs"][0]
    assert pair["name_matched"] is True
    assert pair["key_matches"] == [("city", False), ("days", True), ("town", False)]
    assert pair["value_matches"] == [("city", False), ("days", False)]
    assert 'data-component="correctness"' in html and "score " in html
    # At step 50 of the two-stage preset the format max is 0.5.
    assert response.context["out"]["components"][0]["max"] == 0.5


@pytest.mark.parametrize(
    ("completion", "category"),
    [
        ("", "empty"),
        ("no tags", "missing_think"),
        ("<think> a </think>\n<tool_call>\n{bad json}\n</tool_call>", "invalid_json"),
        ('<think> a </think>\n<tool_call>\n{"name": "x"', "truncated"),
        ("<think> a </think><response> b </response>", "bad_separator"),
        ("<think> <script>alert(1)</script> </think>\n<response> b </response>", None),
    ],
)
def test_broken_completions_get_their_category_and_are_escaped(
    client_for, configuration, completion, category
):
    response = post_score(client_for(configuration.project.owner), configuration, completion)
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["parsed"]["error"] == category
    if category:
        assert f'id="parse-error">{category}' in html
    assert "<script>alert" not in html


def test_silly_inputs_never_500(client_for, configuration):
    client = client_for(configuration.project.owner)
    for step, max_steps in [("x", "y"), ("-3", "0"), ("10", "5"), ("", "")]:
        assert (
            post_score(client, configuration, GT, step=step, max_steps=max_steps).status_code == 200
        )
    for gt in ["", "garbage", "<think> t </think>\n<tool_call>\n[1]\n</tool_call>", "x" * 200_000]:
        assert post_score(client, configuration, GT, ground_truth=gt).status_code == 200
