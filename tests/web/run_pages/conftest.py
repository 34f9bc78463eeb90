"""Fixtures of the run pages' tests: a run with no Celery message sent, metric seeding."""

from __future__ import annotations

import pytest

from tests.conftest import tiny_run_config
from toolrl_web.runs import services


@pytest.fixture(autouse=True)
def no_enqueue(monkeypatch):
    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: None)


@pytest.fixture
def run(project, owner):
    return services.run_create(project=project, user=owner, config=tiny_run_config())
