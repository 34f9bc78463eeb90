"""Fixtures of the run pages' tests: a run whose Celery message is never sent."""

from __future__ import annotations

import pytest

from tests.conftest import tiny_run_config
from toolrl_web.runs import services


@pytest.fixture
def no_enqueue(monkeypatch):
    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: None)


@pytest.fixture
def run(project, owner, no_enqueue):
    return services.run_create(project=project, user=owner, config=tiny_run_config())


@pytest.fixture(autouse=True)
def empty_chart_cache():
    """Downsampled chart blocks are cached by run id; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
