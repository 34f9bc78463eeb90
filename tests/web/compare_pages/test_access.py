"""Every compare URL works for the project's owner and member and is 404 for an outsider."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URLS = ("compare", "compare-metrics", "compare-table", "compare-data", "compare-csv")


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("member", 200), ("outsider", 404)])
def test_access(client_for, two_runs, request, name, who, status):
    user = request.getfixturevalue(who)
    ids = ",".join(str(r.pk) for r in two_runs)
    response = client_for(user).get(f"{reverse(name)}?runs={ids}")
    assert response.status_code == status
    if status == 404:
        body = response.content.decode()
        assert "baseline" not in body and "two stage" not in body


def test_outsider_mixing_in_a_foreign_run_gets_404(client_for, two_runs, outsider):
    from tests.web.compare_pages.helpers import seed_run
    from toolrl_web.projects.services import project_create

    own = project_create(owner=outsider, name="Own project", description="")
    mine = seed_run(project=own, user=outsider, name="mine", steps=3)
    client = client_for(outsider)
    for name in URLS:
        response = client.get(f"{reverse(name)}?runs={mine.pk},{two_runs[0].pk}")
        assert response.status_code == 404, name


def test_anonymous_is_sent_to_log_in(client, two_runs):
    ids = ",".join(str(r.pk) for r in two_runs)
    response = client.get(f"{reverse('compare-data')}?runs={ids}")
    assert response.status_code == 302 and "/login/" in response.url
