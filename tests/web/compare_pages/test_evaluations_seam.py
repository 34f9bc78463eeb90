"""The evaluations app's cross-run table on the compare page: included when that app provides
`evaluation_table_for_runs` and `evaluations/_compare_table.html`, skipped (page still works)
when it does not."""

from __future__ import annotations

import sys
import types

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_page_works_without_the_evaluations_table(client_for, two_runs, owner, monkeypatch):
    monkeypatch.setitem(sys.modules, "toolrl_web.evaluations.selectors", None)  # ImportError
    a, b = two_runs
    response = client_for(owner).get(f"{reverse('compare')}?runs={a.pk},{b.pk}")
    assert response.status_code == 200 and 'id="evaluations"' not in response.content.decode()


def test_evaluations_table_is_included_with_the_compared_runs(
    client_for, two_runs, owner, monkeypatch, settings, tmp_path
):
    calls = []

    def evaluation_table_for_runs(*, runs):
        calls.append([r.pk for r in runs])
        return {"rows": [{"suite": "bfcl", "best": runs[1].pk}]}

    fake = types.ModuleType("toolrl_web.evaluations.selectors")
    fake.evaluation_table_for_runs = evaluation_table_for_runs
    monkeypatch.setitem(sys.modules, "toolrl_web.evaluations.selectors", fake)
    folder = tmp_path / "evaluations"
    folder.mkdir()
    (folder / "_compare_table.html").write_text(
        '{% for row in table.rows %}<p class="fake-eval">{{ row.suite }} best #{{ row.best }}</p>'
        "{% endfor %}"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    a, b = two_runs
    body = client_for(owner).get(f"{reverse('compare')}?runs={a.pk},{b.pk}").content.decode()
    assert calls == [[a.pk, b.pk]]
    assert 'id="evaluations"' in body and f'<p class="fake-eval">bfcl best #{b.pk}</p>' in body
