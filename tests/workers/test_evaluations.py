"""Evaluation jobs end to end: a real Celery worker (gpu queue) evaluates the tiny model.

The evaluation is created through the service a page calls; the test watches the rows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests import shared_data
from tests.conftest import tiny_run_config
from tests.workers.test_runs import FAST_SUPERVISION, wait_for
from toolrl_web.evaluations import catalog, services
from toolrl_web.evaluations.models import Evaluation, EvaluationStatus
from toolrl_web.runs import services as run_services

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path, tiny_model_cache, settings):
    from tests.conftest import child_env, start_worker

    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    env = child_env(**FAST_SUPERVISION, TOOLRL_ARTIFACTS_DIR=str(settings.ARTIFACTS_DIR))
    if shared_data.DATA.is_dir():
        env["TOOLRL_EVAL_DATA"] = str(shared_data.DATA)
    worker = start_worker(tmp_path, queues="cpu,gpu", env=env)
    yield worker
    worker.stop()


def status(evaluation: Evaluation) -> str:
    return Evaluation.objects.values_list("status", flat=True).get(pk=evaluation.pk)


def finished(evaluation: Evaluation) -> bool:
    return status(evaluation) in ("finished", "failed", "canceled")


def evaluation_log(evaluation: Evaluation) -> str:
    evaluation.refresh_from_db()
    path = Path(evaluation.output_dir or "/nonexistent") / "evaluate.log"
    return path.read_text()[-4000:] if path.exists() else "(no evaluate.log)"


def test_the_tiny_model_is_evaluated_through_a_real_worker(project, owner, worker, settings):
    run = run_services.run_create(project=project, user=owner, config=tiny_run_config())
    suites = ["held-out"]
    if shared_data.DATA.is_dir():
        # a few items of a benchmark suite too, when the founders' data is here
        settings.EVAL_DATA_DIR = str(shared_data.DATA)
        catalog.clear_cache()
        suites.append("api-bank")
    evaluation = services.evaluation_create(
        run=run, user=owner, model="base:tiny:fast", suites=suites, limit=2, max_new_tokens=32
    )
    wait_for(lambda: finished(evaluation), 300, "the evaluation to end", worker)
    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.FINISHED, (
        evaluation.error,
        evaluation_log(evaluation),
    )
    assert evaluation.worker_host == worker.hostname
    assert evaluation.progress_done == evaluation.progress_total > 0
    results = {r.suite: r for r in evaluation.results.all()}
    assert sorted(results) == sorted(suites)
    held_out = results["held-out"]
    # the held-out rows: 2 per category, judged by toolrl's held-out suite
    assert held_out.item_count == sum(c["count"] for c in held_out.metrics["categories"].values())
    assert held_out.metrics["headline"] == "accuracy" and 0 <= held_out.score <= 1
    assert held_out.metrics["generation"]["model"]
    out = Path(evaluation.output_dir)
    assert out.parent.parent == Path(settings.ARTIFACTS_DIR) / "runs" / str(run.pk)
    predictions = (out / "held-out" / "predictions.jsonl").read_text().splitlines()
    assert len(predictions) == held_out.item_count and "completion" in json.loads(predictions[0])
    if "api-bank" in results:
        assert results["api-bank"].item_count == 6  # 2 per level
        assert results["api-bank"].metrics["headline"] == "overall"


def test_a_bad_model_fails_with_one_line_and_cancel_stops_a_running_one(
    project, owner, worker, settings
):
    run = run_services.run_create(project=project, user=owner, config=tiny_run_config())
    # A checkpoint whose files are gone: the child says which path and what is missing.
    run_services.run_record_checkpoint(run_id=run.pk, step=2, path="/nonexistent/checkpoint-2")
    artifact = run.artifacts.get()
    broken = services.evaluation_create(
        run=run, user=owner, model=f"artifact:{artifact.pk}", suites=["held-out"], limit=1
    )
    wait_for(lambda: finished(broken), 120, "the broken evaluation to end", worker)
    broken.refresh_from_db()
    assert broken.status == EvaluationStatus.FAILED
    assert broken.error.startswith("/nonexistent/checkpoint-2: no such folder"), broken.error

    # All held-out rows with long completions: long enough to cancel while it runs.
    slow = services.evaluation_create(
        run=run, user=owner, model="base:tiny:fast", suites=["held-out"], max_new_tokens=256
    )
    wait_for(lambda: status(slow) == "running", 120, "the evaluation to start", worker)
    time.sleep(2)
    assert services.evaluation_cancel(evaluation=Evaluation.objects.get(pk=slow.pk)) == "stopping"
    wait_for(lambda: finished(slow), 60, "the canceled evaluation to end", worker)
    slow.refresh_from_db()
    assert slow.status == EvaluationStatus.CANCELED and not slow.results.exists()
