from __future__ import annotations

import pytest

from tests.web.compare_pages.helpers import seed_run
from toolrl_web.runs import services


@pytest.fixture(autouse=True)
def no_enqueue(monkeypatch):
    """Seeded runs are marked finished by hand; no message goes to a broker."""
    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: None)


@pytest.fixture
def two_runs(project, owner):
    """Two finished runs with different reward configurations and learning rates."""
    a = seed_run(
        project=project,
        user=owner,
        name="baseline",
        steps=30,
        reward="toolrl",
        lr=1e-4,
        lift=1.0,
        seed=1,
        eval_every=10,
    )
    b = seed_run(
        project=project,
        user=owner,
        name="two stage",
        steps=30,
        reward="two-stage",
        lr=3e-4,
        lift=2.0,
        seed=2,
        eval_every=10,
    )
    return a, b
