"""The compare page in a real browser over seeded runs (finished runs with metric rows written
through the sink's services, not trained): pick two runs with different reward configurations,
change the smoothing and the x-axis, switch the configuration to differences only."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import browser_login
from tests.web.compare_pages.helpers import seed_run

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "var" / "screenshots" / "compare"


def shot(page, name: str, section: str | None = None) -> None:
    """The whole page, or one section of it (the page is long; a section shows its detail)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    if section:
        page.locator(section).screenshot(path=str(SHOTS / f"{name}.png"))
    else:
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _smoothed(page, metric: str, run_index: int) -> list[float]:
    # Each run has two traces: the faint raw line, then the bold smoothed one.
    return page.evaluate(
        f"""() => Array.from(document.querySelector('.chart[data-metric="{metric}"]')
                   .data[{2 * run_index + 1}].y)"""
    )


@pytest.fixture
def seeded(project, owner):
    """Seeded before the browser starts: ORM calls after Playwright starts open a second
    database connection that Django never closes."""
    a = seed_run(
        project=project,
        user=owner,
        name="paper reward",
        steps=60,
        reward="toolrl",
        lr=1e-4,
        lift=1.0,
        seed=1,
        eval_every=10,
        seconds_per_step=40,
    )
    b = seed_run(
        project=project,
        user=owner,
        name="two-stage reward",
        steps=80,
        reward="two-stage",
        lr=3e-4,
        lift=2.5,
        seed=2,
        eval_every=10,
        seconds_per_step=30,
    )
    seed_run(project=project, user=owner, name="not chosen", steps=5)
    return a, b


def test_compare_two_runs_in_the_browser(live_server, seeded, browser_page):
    a, b = seeded
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    browser_login(page, live_server, "olivia", "pw-olivia-123")

    # A selection that cannot be compared is explained on the page, picker beside it.
    response = page.goto(f"{live_server.url}/compare/?runs={a.pk}")
    assert response.status == 400
    assert "pick at least 2 runs" in page.locator("#selection-error").inner_text()
    shot(page, "bad-selection")

    # Arrive without the runs list: the picker lists the project's runs.
    page.goto(f"{live_server.url}/compare/")
    page.check(f"#pick-{a.pk}")
    page.check(f"#pick-{b.pk}")
    shot(page, "picker")
    page.click("text=Compare the checked runs")
    page.wait_for_url(lambda url: url.endswith(f"/compare/?runs={b.pk},{a.pk}"))  # list order
    page.locator("#chart-grid[data-ready]").wait_for()
    assert page.locator('.chart[data-metric="reward"] .main-svg').count() >= 1
    legend = page.locator("#legend").inner_text()
    assert f"#{a.pk} reward=toolrl, lr=1e-4" in legend
    assert f"#{b.pk} reward=two-stage, lr=3e-4" in legend
    assert page.locator("#uneven-warning").is_visible()  # 60 vs 80 steps
    shot(page, "compare")
    shot(page, "compare-charts", "#charts")

    # Smoothing: the bold line changes, the faint raw line stays.
    before = _smoothed(page, "reward", 1)
    page.locator("#smoothing").fill("0")
    after = _smoothed(page, "reward", 1)
    raw = page.evaluate(
        """() => Array.from(document.querySelector('.chart[data-metric="reward"]').data[2].y)"""
    )
    assert after == raw and before != raw
    page.locator("#smoothing").fill("0.95")
    assert _smoothed(page, "reward", 1) != raw
    assert "smoothing=0.95" in page.url  # the setting is part of the shareable URL

    # x-axis by wall time: 40 s per step for 60 steps is 40 minutes.
    page.check("input[type=radio][name=x][value=time]")
    chart = page.locator('.chart[data-metric="reward"]')
    assert chart.get_attribute("data-x") == "time"
    assert "wall time (minutes)" in chart.inner_text()
    xs = page.evaluate(
        """() => Array.from(document.querySelector('.chart[data-metric="reward"]').data[3].x)"""
    )
    assert xs[-1] == pytest.approx(40.0)
    assert "x=time" in page.url
    shot(page, "wall-time", "#charts")

    # Value-at-step table: best marked; change the step through htmx.
    assert page.locator("#value-table td.best").count() >= 1
    page.fill("#step-input", "30")
    page.click("#step-form button")
    page.locator('#value-table table[data-step="30"]').wait_for()

    # Configuration diff: differences only hides the fields both runs share.
    same = page.locator('#config-table tr.same[data-field="grpo.num_generations"]')
    assert same.is_visible()
    page.check("#diff-only")
    assert not same.is_visible()
    assert page.locator('#config-table tr[data-field="reward.name"]').is_visible()
    assert page.locator('#config-table tr[data-field="grpo.learning_rate"]').is_visible()
    assert "diff=only" in page.url
    shot(page, "differences-only", "#config-diff")
    shot(page, "value-at-step-30", "#values")

    # The metric picker loads every logged metric when opened (htmx); pick one more.
    page.click("#metric-picker summary")
    page.locator('#metrics-form input[value="rewards/format/std"]').check()
    assert page.locator('#metrics-form input[name="x"]').input_value() == "time"
    page.click("text=Show these metrics")
    page.locator('.chart[data-metric="rewards/format/std"] .main-svg').first.wait_for()
    page.locator("#chart-grid[data-ready]").wait_for()
    assert "x=time" in page.url and "smoothing=0.95" in page.url

    # The shared URL opens the same view.
    page.goto(page.url)
    page.locator("#chart-grid[data-ready]").wait_for()
    assert page.locator("#smoothing").input_value() == "0.95"
    assert page.locator("input[type=radio][name=x][value=time]").is_checked()
    assert not page.locator("#config-table tr.same").first.is_visible()
    assert errors == []
