"""A run started from uploads trains on the worker from the stored files: upload a tool file and
a small dataset through the pages, launch a tiny run from the form, let a real Celery worker
validate the dataset and train, and find the dataset's own prompt ids in the rollouts."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from tests.conftest import child_env, start_worker
from toolrl_web.datasets.models import Dataset, Toolset
from toolrl_web.runs.models import Rollout, Run, RunStatus

from ..dataset_pages.helpers import jsonl, upload
from .conftest import tiny_form

pytestmark = [pytest.mark.slow]

TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]
CITIES = ["Paris", "Oslo", "Lima", "Kyoto", "Quito", "Perth", "Accra", "Hanoi"]
ROWS = [
    {
        "id": f"uploaded-{i}",
        "query": f"What is the weather in {city}?",
        "answers": [{"name": "get_weather", "arguments": {"city": city}}],
    }
    for i, city in enumerate(CITIES)
]


def wait_for(predicate, timeout: float, what: str, worker) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}:\n{worker.text()[-4000:]}")


def test_a_run_launched_from_uploads_trains_on_their_rows(
    transactional_db, tiny_model_cache, settings, tmp_path, client_for, project, owner
):
    worker = start_worker(
        tmp_path,
        env=child_env(
            TOOLRL_UPLOADS_DIR=str(settings.UPLOADS_DIR),
            TOOLRL_ARTIFACTS_DIR=str(tmp_path / "artifacts"),
            RUN_HEARTBEAT_SECONDS="1",
        ),
    )
    try:
        client = client_for(owner)
        tools = upload("weather-tools.json", json.dumps(TOOLS).encode())
        client.post(reverse("toolset-upload", args=[project.slug]), {"file": tools, "name": ""})
        toolset = Toolset.objects.get(project=project)
        client.post(
            reverse("dataset-upload", args=[project.slug]),
            {"file": upload("weather.jsonl", jsonl(ROWS)), "format": "auto",
             "toolset": str(toolset.pk), "validation_fraction": "0.25", "split_seed": "0",
             "tokenizer": ""},
        )  # fmt: skip
        dataset = Dataset.objects.get(project=project)
        wait_for(lambda: Dataset.objects.get(pk=dataset.pk).is_final, 120, "validation", worker)
        dataset.refresh_from_db()
        assert dataset.is_valid, list(dataset.problems.values_list("message", flat=True))

        form = tiny_form(dataset=dataset.pk, toolset=toolset.pk, max_steps=2)
        response = client.post(reverse("run-launch", args=[project.slug]), form)
        run = Run.objects.get(project=project)
        assert response.url == reverse("run-detail", args=[run.pk])
        assert (run.dataset, run.toolset) == (dataset, toolset)
        wait_for(lambda: Run.objects.get(pk=run.pk).is_final, 600, "training", worker)
        run.refresh_from_db()
        assert run.status == RunStatus.FINISHED, run.error
        prompt_ids = set(Rollout.objects.filter(run=run).values_list("prompt_id", flat=True))
        training_ids = {r["id"] for r in ROWS}
        assert prompt_ids and prompt_ids <= training_ids, prompt_ids
    finally:
        worker.stop()
