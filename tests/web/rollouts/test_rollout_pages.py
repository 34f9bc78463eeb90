"""The rollout pages: access, the browser's filters and keyset pages, the GRPO group, the
prompt history, the failure chart's data, and escaping of rollout text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import tiny_run_config
from tests.web.rollouts.factories import (
    ANSWER,
    BROKEN,
    GOOD,
    PROMPT,
    WRONG_VALUE,
    record,
    store_step,
)
from toolrl_web.rollouts import selectors
from toolrl_web.runs import ingest, services
from toolrl_web.runs.models import Rollout, RolloutPrompt

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_enqueue(monkeypatch):
    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: None)


@pytest.fixture
def run(project, owner):
    run = services.run_create(project=project, user=owner, config=tiny_run_config())
    # step 1: prompt p1 learns something (mixed rewards), p2's group is all equal
    store_step(run.pk, 1, [("p1", [GOOD, WRONG_VALUE, ANSWER, BROKEN]), ("p2", [ANSWER] * 4)])
    # step 2: p1 gets better
    store_step(run.pk, 2, [("p1", [GOOD, GOOD, WRONG_VALUE, GOOD]), ("p2", [GOOD, ANSWER] * 2)])
    return run


def urls(run) -> list[str]:
    r = run.pk
    return [
        reverse("rollout-browser", args=[r]),
        reverse("rollout-browser", args=[r]) + "?step=1&failure=wrong_value",
        reverse("rollout-group", args=[r, 1, 0]),
        reverse("prompt-history", args=[r]) + "?id=p1",
        reverse("prompt-history-data", args=[r]) + "?id=p1",
        reverse("failure-chart", args=[r]),
        reverse("failure-data", args=[r]),
    ]


def test_owner_and_member_see_every_page_outsider_gets_404(
    client_for, run, owner, member, outsider
):
    for user, expected in ((owner, 200), (member, 200), (outsider, 404)):
        client = client_for(user)
        for url in urls(run):
            assert client.get(url).status_code == expected, (user.username, url)
            htmx = client.get(url, headers={"HX-Request": "true"})
            assert htmx.status_code == expected, (user.username, url, "htmx")


def test_anonymous_is_sent_to_login(client, run):
    for url in urls(run):
        assert client.get(url).status_code in (302, 404)


def test_ingest_stores_the_label_and_each_prompt_once(run):
    assert Rollout.objects.filter(run=run).count() == 16
    assert set(Rollout.objects.filter(run=run, step=1).values_list("failure", flat=True)) == {
        "correct",
        "wrong_value",
        "answered_instead_of_calling",
        "format:invalid_json",
    }
    # two prompts, each written at both steps: stored once each
    assert sorted(RolloutPrompt.objects.filter(run=run).values_list("prompt_id", flat=True)) == [
        "p1",
        "p2",
    ]
    assert RolloutPrompt.objects.get(run=run, prompt_id="p1").messages == PROMPT


def _ids(response) -> list[int]:
    return [card["rollout"].pk for card in response.context["cards"]]


def _browse(client, run, query: str):
    response = client.get(reverse("rollout-browser", args=[run.pk]) + query)
    assert response.status_code == 200
    return response


def test_bare_browser_opens_the_last_step(client_for, run, owner, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 100)
    response = _browse(client_for(owner), run, "")
    assert {c["rollout"].step for c in response.context["cards"]} == {2}
    assert len(response.context["cards"]) == 8


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a step
        ("?step=1", lambda r: r.step == 1),
        # every step
        ("?step=", lambda r: True),
        # the total within a range (a wrong value's partial credit: 2.5 of 4)
        ("?component=total&min=2&max=3", lambda r: 2 <= r.total <= 3),
        # a component within a range
        (
            "?component=correctness&min=3",
            lambda r: r.correctness is not None and r.correctness >= 3,
        ),
        # a hint's link: max alone bounds the total
        ("?max=0", lambda r: r.total <= 0),
        # a failure label (the chart's click)
        ("?step=1&failure=wrong_value", lambda r: r.step == 1 and r.failure == "wrong_value"),
        # the error category
        ("?error=invalid_json", lambda r: r.error_category == "invalid_json"),
        # a prompt id
        ("?prompt=p2", lambda r: r.prompt_id == "p2"),
        # text in the completion (case matters, as in grep)
        ("?q=Lyon", lambda r: "Lyon" in r.completion),
        # groups whose rewards are all equal: p2 at step 1
        ("?equal_groups=1", lambda r: r.step == 1 and r.prompt_id == "p2"),
        # ... at a step that has one
        ("?step=1&equal_groups=1", lambda r: r.step == 1 and r.prompt_id == "p2"),
    ],
)
def test_each_filter_narrows_to_exactly_its_rollouts(
    client_for, run, owner, query, expected, monkeypatch
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 100)  # one page holds every match
    response = _browse(client_for(owner), run, query)
    want = sorted(r.pk for r in Rollout.objects.filter(run=run) if expected(r))
    assert want, "the case must select something"
    assert sorted(_ids(response)) == want
    assert len(want) < 16 or query == "?step="


def test_equal_groups_at_a_step_without_one_is_empty(client_for, run, owner):
    assert _ids(_browse(client_for(owner), run, "?step=2&equal_groups=1")) == []


def test_truncated_filter(client_for, run, owner):
    Rollout.objects.filter(run=run, step=2, group=1).update(truncated=True)
    response = _browse(client_for(owner), run, "?truncated=1")
    assert sorted(_ids(response)) == sorted(
        Rollout.objects.filter(run=run, truncated=True).values_list("pk", flat=True)
    )


def test_keyset_pages_cover_every_rollout_once(client_for, run, owner, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    client = client_for(owner)
    seen, query = [], "?step="
    for _ in range(10):
        response = _browse(client, run, query)
        seen += _ids(response)
        if response.context["next_query"] is None:
            break
        query = "?" + response.context["next_query"]
        assert "after=" in query
    assert seen == list(
        Rollout.objects.filter(run=run).order_by("step", "id").values_list("pk", flat=True)
    )
    # "more" is an htmx partial: the cards and the next link, no page around them
    partial = client.get(
        reverse("rollout-browser", args=[run.pk]) + "?step=&after=1.0",
        headers={"HX-Request": "true"},
    )
    assert b"<html" not in partial.content and b'data-rollout="' in partial.content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?step=abc", "step"),
        ("?failure=nonsense", "failure"),
        ("?after=x", "after"),
        ("?min=big", "min"),
    ],
)
def test_bad_filter_values_are_named_not_500(client_for, run, owner, query, message):
    response = _browse(client_for(owner), run, query)
    assert (
        "filter left out" in response.content.decode()
        and message in response.context["form"].errors
    )


def test_card_shows_parts_calls_and_scores(client_for, run, owner):
    response = _browse(client_for(owner), run, "?step=1&failure=wrong_value")
    html = response.content.decode()
    assert 'class="part part-think"' in html and 'class="part part-tool_call"' in html
    assert '<tr class="param wrong_value">' in html and '<tr class="param match">' in html
    assert "&quot;Lyon&quot;" in html and "&quot;Paris&quot;" in html
    card = response.context["cards"][0]
    assert card["x"]["subscores"] == {"name": 1.0, "keys": 1.0, "values": 0.5}
    assert "Prompt as the model saw it" in html and "Weather in Paris?" in html


def test_group_view_shows_the_whole_group_best_first(client_for, run, owner):
    response = client_for(owner).get(reverse("rollout-group", args=[run.pk, 1, 0]))
    totals = [c["rollout"].total for c in response.context["cards"]]
    assert len(totals) == 4 and totals == sorted(totals, reverse=True)
    advantages = [c["rollout"].advantage for c in response.context["cards"]]
    assert advantages[0] > 0 > advantages[-1]
    assert client_for(owner).get(reverse("rollout-group", args=[run.pk, 1, 9])).status_code == 404


def test_prompt_history_is_the_group_mean_per_step(client_for, run, owner):
    data = client_for(owner).get(reverse("prompt-history-data", args=[run.pk]) + "?id=p1").json()
    means = {
        s: sum(r.total for r in Rollout.objects.filter(run=run, prompt_id="p1", step=s)) / 4
        for s in (1, 2)
    }
    assert data["steps"] == [1, 2]
    assert data["mean"] == pytest.approx([means[1], means[2]]) and means[2] > means[1]
    since = client_for(owner).get(reverse("prompt-history-data", args=[run.pk]) + "?id=p1&since=1")
    assert since.json()["steps"] == [2]


def test_failure_data_counts_per_step_and_since(client_for, run, owner):
    data = client_for(owner).get(reverse("failure-data", args=[run.pk])).json()
    assert data["steps"] == [1, 2]
    assert data["labels"]["correct"] == [1, 5]
    assert data["labels"]["wrong_value"] == [1, 1]
    assert data["labels"]["answered_instead_of_calling"] == [5, 2]
    assert data["labels"]["format:invalid_json"] == [1, 0]
    assert data["format_labels"] == ["format:invalid_json"]
    assert sum(sum(v) for v in data["labels"].values()) == 16
    # stacking order is the taxonomy's
    assert list(data["labels"])[0] == "correct"
    newer = client_for(owner).get(reverse("failure-data", args=[run.pk]) + "?since=1").json()
    assert newer["steps"] == [2] and newer["labels"]["correct"] == [5]
    assert (
        client_for(owner).get(reverse("failure-data", args=[run.pk]) + "?since=x").status_code
        == 200
    )


def test_rollout_text_is_escaped_everywhere(client_for, run, owner):
    evil = "<script>alert(1)</script>"
    rec = record(GOOD + evil, prompt_id=f"p{evil}", group=0)
    rec["prompt"] = [{"role": "user", "content": evil}]
    rec["calls"] = None
    rec["ground_truth"] = rec["ground_truth"] + evil
    ingest.rollouts_write(run_id=run.pk, step=3, records=[rec])
    client = client_for(owner)
    pages = [
        reverse("rollout-browser", args=[run.pk]) + "?step=3",
        reverse("rollout-browser", args=[run.pk]) + f"?q={evil}",
        reverse("rollout-group", args=[run.pk, 3, 0]),
        reverse("prompt-history", args=[run.pk]) + f"?id=p{evil}",
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_failure_chart_partial_renders_inside_another_page(run):
    """The run page includes `rollouts/_failure_chart.html` with only `run` in its context."""
    from django.template.loader import render_to_string

    html = render_to_string("rollouts/_failure_chart.html", {"run": run})
    assert f'data-src="{reverse("failure-data", args=[run.pk])}"' in html
    assert f'data-browser="{reverse("rollout-browser", args=[run.pk])}"' in html
    assert "data-failure-chart" in html
