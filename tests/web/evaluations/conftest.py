"""Runs with checkpoints, and evaluations with results, made the way the services make them."""

from __future__ import annotations

import pytest

from tests.conftest import tiny_run_config
from toolrl_web.evaluations import catalog, services
from toolrl_web.evaluations.models import Evaluation, EvaluationStatus
from toolrl_web.runs import services as run_services


@pytest.fixture(autouse=True)
def no_messages(monkeypatch):
    """Nothing is sent to a broker: these tests look at rows."""
    monkeypatch.setattr(run_services, "run_enqueue", lambda *, run_id: None)
    monkeypatch.setattr(services, "evaluation_enqueue", lambda *, evaluation_id: None)


@pytest.fixture(autouse=True)
def fresh_availability():
    catalog.clear_cache()
    yield
    catalog.clear_cache()


@pytest.fixture
def no_eval_data(settings, tmp_path, monkeypatch):
    """A user's clone: no ../shared beside the checkout, no TOOLRL_EVAL_DATA."""
    settings.EVAL_DATA_DIR = None
    settings.BASE_DIR = tmp_path / "checkout"
    monkeypatch.delenv("TOOLRL_EVAL_DATA", raising=False)
    catalog.clear_cache()


def make_run(project, user, name: str = "test run", steps=(2, 4)):
    run = run_services.run_create(project=project, user=user, config=tiny_run_config(), name=name)
    for step in steps:
        run_services.run_record_checkpoint(
            run_id=run.pk, step=step, path=f"/nonexistent/run{run.pk}/checkpoint-{step}"
        )
    return run


@pytest.fixture
def run(project, owner):
    return make_run(project, owner)


def finished_evaluation(run, *, step: int, results: dict[str, dict[str, float]], user=None):
    """A finished evaluation of `run` at `step` with {suite: {score: value}} results."""
    evaluation = Evaluation.objects.create(
        project=run.project,
        run=run,
        checkpoint_step=step,
        model=f"model-{step}",
        model_label=f"run #{run.pk} step {step}",
        suites=list(results),
        status=EvaluationStatus.FINISHED,
        created_by=user,
    )
    for suite, scores in results.items():
        headline = next(iter(scores))
        services.evaluation_record_result(
            evaluation_id=evaluation.pk,
            suite=suite,
            summary={
                "count": 10,
                "accuracy": scores[headline],
                "scores": scores,
                "headline": headline,
            },
        )
    return evaluation
