"""Every evaluation page and data endpoint: owner and member see it, an outsider gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.evaluations.conftest import finished_evaluation
from toolrl_web.evaluations.models import Evaluation, EvaluationStatus

pytestmark = pytest.mark.django_db


def get_urls(run, evaluation):
    return [
        reverse("run-evaluations", args=[run.pk]),
        reverse("run-evaluation-jobs", args=[run.pk]),
        reverse("run-evaluations-panel", args=[run.pk]),
        reverse("run-evaluations-data", args=[run.pk]) + "?since=-1",
        reverse("run-evaluations-csv", args=[run.pk]),
        reverse("evaluation-compare") + f"?runs={run.pk}",
        reverse("evaluation-compare-csv") + f"?runs={run.pk}",
    ]


@pytest.fixture
def evaluation(run, owner):
    return finished_evaluation(run, step=4, results={"held-out": {"accuracy": 0.5}}, user=owner)


@pytest.mark.parametrize("who", ["owner", "member"])
def test_owner_and_member_see_every_page(request, client_for, run, evaluation, who):
    client = client_for(request.getfixturevalue(who))
    for url in get_urls(run, evaluation):
        response = client.get(url)
        assert response.status_code in (200, 286), url


def test_outsider_gets_404_everywhere(client_for, run, evaluation, outsider):
    client = client_for(outsider)
    for url in get_urls(run, evaluation):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"held-out" not in response.content, url
    # the writes too: launch and cancel
    launch = client.post(
        reverse("run-evaluations", args=[run.pk]),
        {"model": "base:tiny:fast", "suites": ["held-out"], "limit": 1, "max_new_tokens": 8},
    )
    assert launch.status_code == 404
    queued = Evaluation.objects.create(
        project=run.project, run=run, model="tiny:fast", model_label="x", suites=["held-out"]
    )
    assert client.post(reverse("evaluation-cancel", args=[queued.pk])).status_code == 404
    assert Evaluation.objects.filter(run=run).count() == 2
    queued.refresh_from_db()
    assert queued.status == EvaluationStatus.QUEUED


def test_compare_with_one_foreign_run_is_404(client_for, run, project, owner, outsider):
    from tests.web.evaluations.conftest import make_run
    from toolrl_web.projects.services import project_create

    theirs = project_create(owner=outsider, name="Private")
    foreign = make_run(theirs, outsider, name="secret run")
    client = client_for(owner)
    for name in ("evaluation-compare", "evaluation-compare-csv"):
        response = client.get(reverse(name) + f"?runs={run.pk},{foreign.pk}")
        assert response.status_code == 404
        assert b"secret run" not in response.content


def test_anonymous_is_sent_to_login(client, run):
    response = client.get(reverse("run-evaluations", args=[run.pk]))
    assert response.status_code == 302 and "/login/" in response.url
