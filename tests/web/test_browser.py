"""The pages through a real browser: log in, see the project, see the live worker."""

from __future__ import annotations

import pytest

from tests.conftest import browser_login

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_login_projects_and_live_worker(
    live_server, celery_worker, project, owner, outsider, browser_page
):
    # browser_page last: Playwright's sync API runs in a greenlet, and ORM calls made after it
    # starts open a second database connection that Django never closes.
    page = browser_page
    page.goto(f"{live_server.url}/projects/")
    assert "/login/" in page.url  # every page needs a login

    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.click(f"text={project.name}")
    assert page.locator("h1").inner_text() == project.name
    assert "mateo" in page.locator("#members").inner_text()

    page.click("text=Status")
    row = page.locator(f'tr[data-worker="{celery_worker.hostname}"]')
    row.wait_for(timeout=30_000)  # htmx polling brings it in if the first render was too early
    assert "live" in row.inner_text()
    assert "up" in page.locator('tr[data-service="broker"]').inner_text()

    # An outsider sees a 404 page for the project.
    page.click("text=Log out")
    browser_login(page, live_server, "oscar", "pw-oscar-123")
    response = page.goto(f"{live_server.url}/projects/{project.slug}/")
    assert response.status == 404


def test_launch_a_run_from_the_browser_and_watch_it_finish(
    live_server, celery_worker, tiny_model_cache, project, owner, browser_page
):
    page = browser_page
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.click("text=New run")
    page.fill("#id_name", "from the browser")
    page.select_option("#id_preset", "cpu-tiny")
    # The fast tiny model, 2 prompts x 4 rollouts, short completions, no evaluation.
    for field, value in [
        ("model", "tiny:fast"),
        ("prompts_per_step", "2"),
        ("max_completion_length", "24"),
        ("max_steps", "3"),
        ("eval_every", "0"),
    ]:
        page.fill(f"#id_{field}", value)  # fmt: skip
    page.click("text=Queue the run")
    page.wait_for_url("**/runs/*/")
    first = page.locator("[data-status]").get_attribute("data-status")
    assert first in ("queued", "starting", "running")  # the idle worker may claim it at once

    # htmx polls the status every 3 s until the run is final.
    page.locator('[data-status="finished"]').wait_for(timeout=400_000)
    assert page.locator("[data-step]").get_attribute("data-step") == "3"
    assert page.locator("#artifacts a", has_text="Download").count() >= 1
    page.click("text=Projects")
    page.click(f"text={project.name}")
    assert "Finished" in page.locator("#runs").inner_text()
