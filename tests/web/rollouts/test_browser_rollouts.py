"""The rollout pages in a real browser, on rollouts a real Celery worker wrote while training the
tiny model: a step's rollouts, a filter, the whole GRPO group, the failure chart and its click."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import browser_login, tiny_run_config
from toolrl_web.runs import services
from toolrl_web.runs.models import Rollout, RolloutPrompt, Run, RunStatus

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots" / "rollouts"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_finished(run: Run, timeout: float = 500) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_final:
            break
        time.sleep(2)
    assert run.status == RunStatus.FINISHED, (run.status, run.error)


def test_browse_rollouts_of_a_trained_run(
    live_server, celery_worker, tiny_model_cache, project, owner, browser_page
):
    run = services.run_create(
        project=project, user=owner, config=tiny_run_config(grpo={"max_steps": 3})
    )
    wait_finished(run)
    step = 2
    at_step = Rollout.objects.filter(run=run, step=step)
    assert at_step.count() == 8 and RolloutPrompt.objects.filter(run=run).exists()
    assert not at_step.filter(failure="").exists()  # every rollout was labelled when stored

    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 1000})
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    base = f"{live_server.url}/runs/{run.pk}"

    # A step's rollouts, the first with its prompt opened.
    page.goto(f"{base}/rollouts/?step={step}")
    cards = page.locator("article.rollout")
    assert cards.count() == 8
    cards.first.locator("summary", has_text="Prompt as the model saw it").click()
    assert "Available Tools" in cards.first.locator(".prompt-box").first.inner_text()
    shot(page, "browser_step")

    # A filter narrows them (htmx swaps the list; the URL follows).
    label = at_step.values_list("failure", flat=True).first()
    expected = at_step.filter(failure=label).count()
    page.select_option("#id_failure", label)
    page.wait_for_url(f"**failure={label.replace(':', '%3A')}**")
    page.wait_for_function(f"document.querySelectorAll('article.rollout').length === {expected}")
    assert all(
        f == label
        for f in page.locator("article.rollout").evaluate_all(
            "els => els.map(e => e.dataset.failure)"
        )
    )
    shot(page, "browser_filtered")

    # The group view shows the whole group, best first.
    cards.first.locator("a[href*='/rollouts/group/']").click()
    page.wait_for_url("**/rollouts/group/**")
    members = page.locator("article.group-member")
    assert members.count() == 4
    totals = [float(t) for t in members.evaluate_all("els => els.map(e => e.dataset.total)")]
    assert totals == sorted(totals, reverse=True)
    shot(page, "group_view")

    # Prompt history: the chart is drawn.
    page.click("text=This prompt across steps")
    page.locator("#prompt-chart[data-ready='1'] .main-svg").first.wait_for()
    shot(page, "prompt_history")

    # The failure chart is drawn; clicking a segment opens the browser filtered to it.
    page.goto(f"{base}/failures/")
    page.locator("[data-failure-chart][data-ready='1']").wait_for()
    bars = page.locator("[data-failure-chart] .bars .point path")
    assert bars.count() >= 3  # a bar per (step, label) with rollouts
    shot(page, "failure_chart")
    box = bars.first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/rollouts/?step=*&failure=*")
    clicked = page.url.split("failure=")[1]
    labels = set(
        page.locator("article.rollout").evaluate_all("els => els.map(e => e.dataset.failure)")
    )
    assert len(labels) == 1 and labels.pop().replace(":", "%3A") == clicked
    shot(page, "failure_click_filtered")
