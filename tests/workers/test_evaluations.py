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
    # 100 validation rows (the held-out suite scores the run's): long enough to cancel below.
    config = tiny_run_config(data={"synthetic_validation": 100})
    run = run_services.run_create(project=project, user=owner, config=config)
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


def test_a_run_of_an_uploaded_dataset_is_scored_on_its_validation_rows(
    project, owner, client_for, tiny_model_cache, settings, tmp_path, monkeypatch
):
    """Held-out = the rows the run validated on (its dataset's split), judged with its reward."""
    from django.urls import reverse

    from tests.web.dataset_pages.helpers import jsonl, upload, xlam_rows
    from tests.web.launch.conftest import make_reward, tiny_form
    from toolrl_web.datasets import storage
    from toolrl_web.datasets.models import Dataset
    from toolrl_web.runs.launch import run_launch
    from workers.evaluation import supervise_evaluation
    from workers.tasks import dataset_validate

    settings.UPLOADS_DIR = tmp_path / "uploads"
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    settings.DATASET_TOKENIZER = ""
    settings.RUN_HEARTBEAT_SECONDS = 1
    monkeypatch.setattr(
        "toolrl_web.datasets.services.send_task",
        lambda name, *, args, queue: dataset_validate.apply(args=args).get() or True,
    )
    monkeypatch.setattr(run_services, "run_enqueue", lambda *, run_id: None)
    monkeypatch.setattr(services, "evaluation_enqueue", lambda *, evaluation_id: None)
    client_for(owner).post(
        reverse("dataset-upload", args=[project.slug]),
        {"file": upload("weather.jsonl", jsonl(xlam_rows(12))), "format": "auto",
         "validation_fraction": "0.25", "split_seed": "0"},
    )  # fmt: skip
    dataset = Dataset.objects.get(project=project)
    assert dataset.is_valid and dataset.validation_rows == 3
    reward = make_reward(project, "length")
    run = run_launch(
        project=project,
        user=owner,
        form_data=tiny_form(dataset=dataset.pk, reward_configuration=reward.pk),
    )
    validation = storage.prepared_dir(dataset.pk, dataset.version) / "validation.jsonl"
    validation_ids = sorted(json.loads(line)["id"] for line in validation.open())

    evaluation = services.evaluation_create(
        run=run, user=owner, model="base:tiny:fast", suites=["held-out"], max_new_tokens=16
    )
    assert supervise_evaluation(evaluation.pk) == EvaluationStatus.FINISHED, evaluation_log(
        evaluation
    )
    evaluation.refresh_from_db()
    result = evaluation.results.get()
    items = (Path(evaluation.output_dir) / "held-out" / "items.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["id"] for line in items) == validation_ids
    assert len(validation_ids) == 3 and all(i.startswith("w") for i in validation_ids)
    assert result.item_count == 3 and result.metrics["data"] == str(validation)
    # The per-component means are the run's reward's (the `length` preset has a third component).
    assert result.metrics["reward"] == "length"
    assert set(result.metrics["rewards"]) == {"format", "correctness", "length", "total"}
