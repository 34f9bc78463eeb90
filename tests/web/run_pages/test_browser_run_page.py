"""The run page in a real browser while a real Celery worker trains the tiny model: the reward
curve gains points without a reload, pausing stops the requests, polling ends with the run."""

from __future__ import annotations

import time

import pytest

from tests.conftest import ROOT, browser_login, tiny_run_config
from toolrl_web.runs import services

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHOTS = ROOT / "var" / "screenshots" / "run-pages"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def points(page) -> int:
    """Points Plotly drew for the total reward (its markers in the SVG, not our own count)."""
    return page.locator("#chart-reward .scatterlayer .trace").first.locator(".points path").count()


def requests_made(page) -> int:
    return int(page.locator("#charts").get_attribute("data-requests") or 0)


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def training_run(celery_worker, tiny_model_cache, project, owner):
    # Made before the browser starts: ORM calls after it open a connection Django never closes.
    return services.run_create(
        project=project,
        user=owner,
        config=tiny_run_config(grpo={"max_steps": 10}, eval_every=5, eval_rows=4),
        name="<b>live</b> run",
    )


def test_run_page_charts_live_pause_and_stop(live_server, training_run, project, browser_page):
    run = training_run
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    assert page.locator("h1").inner_text().startswith("<b>live</b> run")  # shown, not markup

    # The reward curve gains points while the run trains, without a reload.
    wait_until(lambda: points(page) >= 1, 400, "the first reward point")
    first = points(page)
    shot(page, "run_page_training")
    wait_until(lambda: points(page) > first, 120, "more reward points")
    assert points(page) > first
    url_before = page.url

    # Pause: no request goes out while paused.
    page.click("#charts-pause")
    assert page.locator("#charts-state").get_attribute("data-state") == "paused"
    paused_at = requests_made(page)
    time.sleep(7)
    assert requests_made(page) == paused_at
    shot(page, "run_page_paused")
    page.click("#charts-pause")
    wait_until(lambda: requests_made(page) > paused_at, 10, "polling to resume")

    # Polling stops once the run is final; the curve then has the last step's point.
    wait_until(
        lambda: page.locator("#charts-state").get_attribute("data-state") == "final",
        400,
        "the run to end",
    )
    assert page.url == url_before  # never reloaded
    final_requests = requests_made(page)
    time.sleep(7)
    assert requests_made(page) == final_requests
    last_x = page.evaluate("window.runCharts.stores.metrics.curves.reward.x.slice(-1)[0]")
    assert last_x == 10
    page.locator('[data-status="finished"]').wait_for(timeout=30_000)
    assert "none yet" not in page.locator("#latest-reward").inner_text()
    assert int(page.locator("#chart-eval").get_attribute("data-curves")) >= 1
    page.locator("#run-log pre").wait_for(timeout=10_000)
    assert page.locator("#run-log pre").inner_text().strip()
    page.wait_for_timeout(500)
    shot(page, "run_page_finished")

    # A refresh loses nothing: the same points come back from the server.
    page.reload()
    wait_until(lambda: points(page) >= 10, 30, "the curve after a reload")
    assert page.locator("#charts-state").get_attribute("data-state") == "final"
    # The end-of-training summary is the run's own table, not the last step's metrics.
    assert "train_runtime" in page.locator("#summary").inner_text()

    # The runs list shows it with its latest reward.
    page.goto(f"{live_server.url}/projects/{project.slug}/runs/")
    row = page.locator(f'tr[data-run="{run.pk}"]')
    assert "Finished" in row.inner_text() and "10 / 10" in row.inner_text()
    page.check(f'.compare-pick[value="{run.pk}"]')
    assert page.locator("#compare-link").get_attribute("href") == f"/compare/?runs={run.pk}"
    shot(page, "runs_list")
    assert errors == []
