"""A run launched through the API trains on a real Celery worker with the tiny model; the API
follows it to the end and serves its curve, evaluations and rollouts."""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_run_launched_through_the_api_trains_on_a_worker(
    tiny_model_cache, celery_worker, api_client, token_for, project, member
):
    client = api_client(token_for(member))
    # The launch form's fields for a run of the fast tiny model small enough for tests.
    fields = {"model": "tiny:fast", "num_generations": 4, "prompts_per_step": 2}
    fields |= {"max_completion_length": 24, "max_steps": 3, "eval_every": 0}
    response = client.post(
        f"/api/projects/{project.slug}/runs",
        {"name": "from the API", "preset": "cpu-tiny", **fields},
    )
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]

    since, steps, deadline = -1, [], time.time() + 600
    while True:
        curve = client.get(f"/api/runs/{run_id}/metrics", since=since).json()
        steps += [p["step"] for p in curve["points"]]
        since = curve["next_since"]
        if curve["final"] and not curve["points"]:
            break
        assert time.time() < deadline, celery_worker.text()[-4000:]
        time.sleep(1)

    run = client.get(f"/api/runs/{run_id}").json()
    assert run["status"] == "finished", (run["error"], celery_worker.text()[-4000:])
    assert run["created_by"] == member.username and run["last_step"] == 3
    assert steps == [1, 2, 3]
    points = client.get(f"/api/runs/{run_id}/metrics").json()["points"]
    # (the end-of-training summary currently replaces the last step's values in the sink)
    assert "reward" in points[0]["values"]
    rollouts = client.get(f"/api/runs/{run_id}/rollouts", step=1).json()["rollouts"]
    assert rollouts and all(r["step"] == 1 for r in rollouts)
