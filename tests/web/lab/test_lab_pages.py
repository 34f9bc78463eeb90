"""Reward lab pages and service: access, choosing a reward, a re-score end to end in-process."""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse

from toolrl.lab import grpo_advantages
from toolrl_web.lab import selectors
from toolrl_web.lab.models import RescoredGroup, RescoredRollout, RescoreJob, RescoreStatus
from toolrl_web.rewards.models import RewardConfiguration
from toolrl_web.runs.models import Rollout

pytestmark = pytest.mark.django_db

ROLLOUT_FIELDS = (
    "id",
    "step",
    "group",
    "completion",
    "total",
    "format",
    "correctness",
    "advantage",
)


def _post(client, run, **data):
    form = {"source": "preset", "preset": "equal-max", "edited": "", "saved": ""}
    return client.post(reverse("lab-home", args=[run.pk]), {**form, **data})


@pytest.fixture
def job(client_for, owner, finished_run, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_for(owner), finished_run)
    return RescoreJob.objects.get()


def test_every_lab_page_is_for_members_only(client_for, owner, member, outsider, job):
    urls = [
        reverse("lab-home", args=[job.run_id]),
        reverse("lab-job", args=[job.pk]),
        reverse("lab-group", args=[job.pk, 1, 0]),
        reverse("lab-distributions", args=[job.pk]),
        reverse("lab-groups", args=[job.pk]),
    ]
    for user, expected in ((owner, 200), (member, 200), (outsider, 404)):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == expected, (user, url)
        partial = client.get(urls[1], headers={"HX-Request": "true"})
        assert partial.status_code == expected
    # an outsider cannot start a re-score either
    assert _post(client_for(outsider), job.run, preset="coarse").status_code == 404
    assert RescoreJob.objects.count() == 1


def test_a_rescore_runs_stores_scores_and_leaves_the_run_alone(
    client_for, member, finished_run, sent_tasks, django_capture_on_commit_callbacks
):
    before = list(Rollout.objects.filter(run=finished_run).order_by("id").values(*ROLLOUT_FIELDS))
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client_for(member), finished_run)
    job = RescoreJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("lab-job", args=[job.pk])
    assert sent_tasks == [("workers.tasks.lab_rescore", [job.pk], "cpu")]
    assert job.status == RescoreStatus.FINISHED, job.error
    assert job.rollouts_done == job.rollouts_total == 24
    s = job.summary
    assert s["rollouts"] == 24 and s["groups"] == 6
    # equal-max shrinks correctness to [-1, 1]: totals move, and some groups re-rank
    assert 0 < s["ranking_changed"] <= 6 and s["spearman"] is not None
    assert set(s["distributions"]) >= {"total", "format", "correctness"}
    after = list(Rollout.objects.filter(run=finished_run).order_by("id").values(*ROLLOUT_FIELDS))
    assert after == before
    rescored = {r.rollout_id: r for r in RescoredRollout.objects.filter(job=job)}
    assert set(rescored) == {r["id"] for r in before}
    exact = next(r for r in before if r["total"] == 4.0)  # format 1 + correctness 3 under toolrl
    assert rescored[exact["id"]].total == 2.0 and rescored[exact["id"]].correctness == 1.0
    assert rescored[exact["id"]].length is None  # equal-max has no length component

    page = client_for(member).get(reverse("lab-job", args=[job.pk])).content.decode()
    assert "Groups whose ranking changes" in page and 'id="top-groups"' in page
    charts = client_for(member).get(reverse("lab-distributions", args=[job.pk])).json()
    assert (
        charts["distributions"]["total"]["old"]["counts"]
        == s["distributions"]["total"]["old"]["counts"]
    )
    first = s["top_groups"][0]
    group = client_for(member).get(
        reverse("lab-group", args=[job.pk, first["step"], first["group"]])
    )
    assert group.status_code == 200 and "New advantage" in group.content.decode()
    rows = selectors.rescore_group_rows(job=job, step=first["step"], group=first["group"])
    new_totals = [r["new"]["total"] for r in rows]
    expected = grpo_advantages(new_totals, np.zeros(len(rows), np.int64)).tolist()
    assert [r["new"]["advantage"] for r in rows] == expected
    assert new_totals == sorted(new_totals, reverse=True)

    # asking again for the same reward (here: the same numbers written in place) reuses the job
    with django_capture_on_commit_callbacks(execute=True):
        again = _post(client_for(member), finished_run, source="edited", edited="preset: equal-max")
    assert again.url == reverse("lab-job", args=[job.pk]) and len(sent_tasks) == 1


def test_a_step_range_and_a_saved_configuration(
    client_for, owner, project, finished_run, sent_tasks, django_capture_on_commit_callbacks
):
    saved = RewardConfiguration.objects.create(
        project=project, name="short thoughts", config={"preset": "coarse"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_for(owner), finished_run, source="saved", saved=saved.pk, step_from=2)
    job = RescoreJob.objects.get()
    assert job.label == "short thoughts" and job.step_from == 2 and job.step_to is None
    assert job.status == RescoreStatus.FINISHED and job.summary["rollouts"] == 16
    assert {g["step"] for g in job.summary["top_groups"]} == {2, 3}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"source": "edited", "edited": "correctness:\n  max: lots\n"}, "correctness.max"),
        ({"source": "edited", "edited": "format: [1,\n"}, "not valid YAML or JSON"),
        ({"source": "edited", "edited": "lenght: {enabled: true}"}, "lenght"),
        ({"source": "edited", "edited": "preset: nope"}, "unknown reward preset"),
        ({"source": "edited", "edited": "- 1"}, "Give a mapping"),
        ({"source": "saved", "saved": ""}, "Pick a saved configuration"),
        ({"step_from": "3", "step_to": "1"}, "must not come before"),
    ],
)
def test_bad_input_names_the_field_and_starts_nothing(
    client_for, owner, finished_run, sent_tasks, data, message
):
    response = _post(client_for(owner), finished_run, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RescoreJob.objects.exists() and not sent_tasks


def test_user_text_is_escaped(client_for, owner, finished_run, job):
    Rollout.objects.filter(run=finished_run, step=1, group=0).update(
        completion="<script>alert(1)</script>"
    )
    page = client_for(owner).get(reverse("lab-group", args=[job.pk, 1, 0])).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_a_failed_rescore_says_why_and_keeps_nothing(
    client_for, owner, finished_run, sent_tasks, monkeypatch, django_capture_on_commit_callbacks
):
    from toolrl_web.lab import rescoring

    def broken(*args, **kwargs):
        raise RuntimeError("scorer exploded")

    monkeypatch.setattr(rescoring, "_summary", broken)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_for(owner), finished_run)
    job = RescoreJob.objects.get()
    assert job.status == RescoreStatus.FAILED and "scorer exploded" in job.error
    assert not RescoredRollout.objects.filter(job=job).exists()
    assert not RescoredGroup.objects.filter(job=job).exists()
    page = client_for(owner).get(reverse("lab-job", args=[job.pk])).content.decode()
    assert "scorer exploded" in page


@pytest.mark.parametrize("preset", ["dynamic", "two-stage", "toolrl"])
def test_each_step_is_scored_with_its_own_schedule(preset):
    from tests.web.lab.conftest import COMPLETIONS, GT
    from toolrl.rewards import RewardConfig, score
    from toolrl_web.lab.rescoring import score_page

    cfg = RewardConfig.preset(preset)
    steps = np.array([0, 10, 29, 30, 31, 100] * 4)
    completions = [c for c in COMPLETIONS[GT] for _ in range(6)]
    got = score_page(completions, [GT] * len(completions), steps, cfg, 100, workers=2)
    expected = [score(c, GT, cfg, s, 100).total for c, s in zip(completions, steps, strict=True)]
    assert got["total"].tolist() == expected


def test_a_duplicate_message_does_nothing(client_for, owner, job):
    from toolrl_web.lab.services import rescore_job_run

    assert rescore_job_run(job_id=job.pk) == "skipped"
    assert RescoredRollout.objects.filter(job=job).count() == job.rollouts_total


def test_every_group_is_listed_by_key_and_filtered(client_for, member, job):
    assert RescoredGroup.objects.filter(job=job).count() == job.summary["groups"] == 6
    keys, after = [], None
    while True:  # pages of 2 by (step, group)
        rows, after = selectors.rescore_groups_page(job=job, after=after, limit=2)
        keys += [(g.step, g.group) for g in rows]
        if after is None:
            break
    assert keys == [(s, g) for s in (1, 2, 3) for g in (0, 1)]
    changed = selectors.rescore_groups_page(job=job, changed="ranking")[0]
    assert len(changed) == job.summary["ranking_changed"] == 3
    assert {g.group for g in changed} == {0}  # the group where the missing thought re-ranks

    client = client_for(member)
    page = client.get(reverse("lab-groups", args=[job.pk]), {"changed": "ranking"})
    assert page.content.decode().count("data-group=") == 3
    more = client.get(
        reverse("lab-groups", args=[job.pk]),
        {"after": "2.0", "changed": "all"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in more and more.count("data-group=") == 3  # 2.1, 3.0, 3.1
    # a key that is not one is the first page, not an error
    assert client.get(reverse("lab-groups", args=[job.pk]), {"after": "x"}).status_code == 200


def test_a_run_still_training_gets_a_new_rescore_after_new_steps(
    client_for, owner, finished_run, sent_tasks, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, finished_run)
        _post(client, finished_run)
    assert RescoreJob.objects.count() == 1
    finished_run.last_step = 4  # a continuation or a still-running run wrote more
    finished_run.save(update_fields=["last_step"])
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, finished_run)
    assert RescoreJob.objects.count() == 2 and len(sent_tasks) == 2


def test_an_empty_range_finishes_with_nothing_to_show(
    client_for, owner, finished_run, sent_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_for(owner), finished_run, step_from=50)
    job = RescoreJob.objects.get()
    assert job.status == RescoreStatus.FINISHED and job.summary["groups"] == 0
    page = client_for(owner).get(reverse("lab-job", args=[job.pk])).content.decode()
    assert "No groups in this range." in page


def test_an_unreachable_queue_fails_the_job_with_a_message(
    client_for, owner, finished_run, monkeypatch, django_capture_on_commit_callbacks
):
    def down(name, *, args, queue):
        raise ConnectionError("broker down")

    monkeypatch.setattr("toolrl_web.lab.services.send_task", down)
    with django_capture_on_commit_callbacks(execute=True):
        _post(client_for(owner), finished_run)
    job = RescoreJob.objects.get()
    assert job.status == RescoreStatus.FAILED and "could not be reached" in job.error


def test_the_editor_starts_from_the_runs_reward(client_for, member, finished_run):
    page = client_for(member).get(reverse("lab-home", args=[finished_run.pk])).content.decode()
    assert "The run trained under toolrl." in page and "preset: toolrl" in page
