"""A long seeded run in a real browser (no worker): downsampled curves, health hints with their
links, and a slow chart-data endpoint never gets a second request while one is pending."""

from __future__ import annotations

import math
import time

import pytest

from tests.conftest import browser_login, tiny_run_config
from tests.web.run_pages.test_browser_run_page import shot
from toolrl_web.runs import services
from toolrl_web.runs.models import EvalRow, MetricRow, Run, RunStatus

pytestmark = [pytest.mark.slow, pytest.mark.browser]

STEPS = 5000

# Counts chart-data requests in flight and delays each answer by 4 s (longer than the 3 s
# polling interval), before the page's own scripts run.
SLOW_FETCH = """
(() => {
  const realFetch = window.fetch.bind(window);
  window.__chart = { inFlight: 0, maxInFlight: 0, started: 0 };
  window.fetch = async (url, options) => {
    if (!String(url).includes("/chart-data/")) return realFetch(url, options);
    const c = window.__chart;
    c.inFlight += 1; c.started += 1; c.maxInFlight = Math.max(c.maxInFlight, c.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 4000));
      return await realFetch(url, options);
    } finally {
      c.inFlight -= 1;
    }
  };
})();
"""


@pytest.fixture
def long_run(transactional_db, project, owner, monkeypatch):
    monkeypatch.setattr(services, "run_enqueue", lambda *, run_id: None)
    run = services.run_create(
        project=project, user=owner, config=tiny_run_config(), name="long seeded run"
    )
    Run.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, last_step=STEPS, max_steps=2 * STEPS
    )
    MetricRow.objects.bulk_create(
        MetricRow(
            run=run,
            step=s,
            values={
                "reward": 1 + 1.5 * s / STEPS + 0.1 * math.sin(s / 40),
                "rewards/format/mean": min(1.0, s / 2000),
                "rewards/correctness/mean": -1 + math.tanh(s / 2500),
                "frac_reward_zero_std": 0.7,
                "completions/mean_length": 40 + 10 * math.sin(s / 300),
                "completions/max_length": 64.0,
                "completions/clipped_ratio": 0.3,
                "kl": 0.001 * s / STEPS,
                "entropy": 2 - s / STEPS,
                "learning_rate": 1e-5,
            },
        )
        for s in range(1, STEPS + 1)
    )
    EvalRow.objects.bulk_create(
        EvalRow(run=run, step=s, values={"eval/exact_call_accuracy": 0.3})
        for s in range(500, STEPS + 1, 500)
    )
    return run


def test_long_run_page_and_slow_endpoint(live_server, long_run, browser_page):
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.add_init_script(SLOW_FETCH)
    page.goto(f"{live_server.url}/runs/{long_run.pk}/")

    # The hints, each linking to the rollouts that show it.
    health = page.locator("#health")
    for kind in ("equal_groups", "truncated", "reward_not_task"):
        assert health.locator(f'[data-hint="{kind}"] a').count() == 1, kind
    link = health.locator('[data-hint="equal_groups"] a').get_attribute("href")
    assert link == f"/runs/{long_run.pk}/rollouts/?step={STEPS}&equal_groups=1"

    # Downsampled: fewer points than steps, the whole range covered.
    page.wait_for_function(
        "document.querySelector('#chart-reward').dataset.points > 0", timeout=30_000
    )
    x = page.evaluate("window.runCharts.stores.metrics.curves.reward.x")
    assert len(x) < STEPS and x[0] <= 32 and x[-1] == STEPS
    assert page.locator("#zero-std-hint").is_visible()

    # 13 s of polling with 4 s answers: never two requests at once.
    time.sleep(13)
    stats = page.evaluate("window.__chart")
    assert stats["maxInFlight"] == 1 and stats["started"] >= 2, stats
    curves = {
        chart: int(page.locator(f"#{chart}").get_attribute("data-curves") or -1)
        for chart in ("chart-reward", "chart-eval", "chart-lr", "chart-length")
    }
    assert curves == {"chart-reward": 3, "chart-eval": 1, "chart-lr": 1, "chart-length": 3}
    assert errors == []
    shot(page, "run_page_long_run")
