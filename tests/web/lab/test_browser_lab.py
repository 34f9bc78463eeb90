"""The reward lab through a real browser and a real Celery worker: open the lab on a finished
tiny run, ask for a re-score, watch it finish, read the results and a group side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import browser_login

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots" / "lab"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_rescore_a_finished_run_from_the_browser(
    live_server, celery_worker, finished_run, owner, browser_page
):
    page = browser_page
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/runs/{finished_run.pk}/lab/")
    assert "steps 1 to 3" in page.locator("main").inner_text()
    shot(page, "lab_home")

    # A mistake first: the message names the field, and nothing starts.
    page.check("input[name=source][value=edited]")
    page.fill("#id_edited", "correctness:\n  max: lots\n")
    page.click("button:has-text('Re-score')")
    assert "correctness.max" in page.locator("form#rescore-form").inner_text()
    shot(page, "lab_bad_input")

    page.check("input[name=source][value=preset]")
    page.select_option("#id_preset", "equal-max")
    page.click("button:has-text('Re-score')")
    page.wait_for_url("**/lab/*/")
    # htmx polls the job row; the page reloads with the results once it is finished.
    page.locator("#results").wait_for(timeout=120_000)
    page.locator('[data-chart="total"] .main-svg').first.wait_for()
    results = page.locator("#results").inner_text()
    assert "Groups whose ranking changes" in results
    assert page.locator('[data-status="finished"]').count() == 1
    shot(page, "rescore_job")

    page.click("text=those whose ranking changes")
    page.wait_for_url("**/groups/?changed=ranking")
    assert page.locator("#all-groups tbody tr[data-group]").count() == 3
    shot(page, "rescore_groups")
    page.go_back()

    page.locator("#top-groups a", has_text="both scores").first.click()
    page.wait_for_url("**/groups/*/*/")
    rows = page.locator("#group-rows tbody tr")
    assert rows.count() == 4
    shot(page, "rescore_group")

    # Asking again for the same reward opens the stored results at once.
    page.goto(f"{live_server.url}/runs/{finished_run.pk}/lab/")
    page.click("button:has-text('Re-score')")
    page.wait_for_url("**/lab/*/")
    assert page.locator("#results").count() == 1
