"""The reward pages in a real browser: create from a preset, change a schedule and watch the
chart's plotted data change, import a broken file, then use the playground on a dataset row and
see the score change while typing, without a page load. Screenshots of every page."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, browser_login

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHOTS = ROOT / "var" / "screenshots" / "rewards"

PLOTTED = "() => document.getElementById('schedule-chart').data.map(t => [t.name, t.x, t.y])"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def plotted(page):
    page.wait_for_function(
        "() => (document.getElementById('schedule-chart').data || []).length > 0"
    )
    return page.evaluate(PLOTTED)


def test_create_edit_chart_and_playground(
    transactional_db, live_server, project, owner, synthetic_dataset, tmp_path, browser_page
):
    page = browser_page
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.click("text=Reward configurations")
    # A broken file: the messages name the file and each field.
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "preset: dynamic\nformat:\n  weight: heavy\n  max: {kind: linear, start: 1}\ncolour: red\n"
    )
    page.set_input_files("#id_file", str(broken))
    page.click("#reward-import-form button[type=submit]")
    errors = page.locator('[data-error-for="file"]')
    errors.first.wait_for()
    text = " ".join(errors.all_inner_texts())
    assert "broken.yaml:3: format.weight: enter a number" in text
    assert "broken.yaml:4: format.max: a 'linear' schedule needs end" in text
    assert "broken.yaml:5: colour: unknown setting" in text
    shot(page, "00-import-errors")
    page.fill("#id_name", "Two stage, my way")
    page.select_option("#id_preset", "two-stage")
    shot(page, "01-list")
    page.click("#reward-create-form button[type=submit]")
    page.wait_for_url("**/rewards/*/")
    before = plotted(page)
    names = [t[0] for t in before]
    assert "format [min, max]" in names and "correctness weight" in names
    correctness_max = dict((t[0], t[2]) for t in before)["correctness [min, max]"]
    assert correctness_max[0] == 1 and correctness_max[-1] == 3  # the switch at step 30
    shot(page, "02-edit-two-stage")

    # A cosine weight for format: the plotted weight curve changes without saving.
    page.select_option('select[name="format.weight.kind"]', "cosine")
    assert page.locator('input[name="format.weight.start"]').is_visible()
    assert not page.locator('input[name="format.weight.at"]').is_visible()
    page.fill('input[name="format.weight.start"]', "2")
    page.fill('input[name="format.weight.end"]', "0.5")
    page.wait_for_function(
        "() => { const t = document.getElementById('schedule-chart').data"
        ".find(t => t.name === 'format weight'); return t && t.y[0] === 2; }"
    )
    after = plotted(page)
    weight = dict((t[0], t[2]) for t in after)["format weight"]
    assert weight[0] == 2 and weight[-1] == 0.5 and after != before
    assert dict((t[0], t[2]) for t in before)["format weight"] == [1] * len(weight)
    # More steps: the x axis follows.
    page.fill("#chart-steps", "300")
    page.wait_for_function(
        "() => document.getElementById('schedule-chart').data[0].x.slice(-1)[0] === 300"
    )
    shot(page, "03-edit-cosine-weight")

    # A mistake: the chart says so, saving shows the message on the field.
    page.fill('input[name="format.weight.end"]', "lots")
    page.locator("#chart-errors", has_text="format.weight.end").wait_for()
    page.click("#reward-form button[type=submit]")
    page.locator('[data-error-for="format.weight.end"]', has_text="enter a number").wait_for()
    shot(page, "04-edit-error")
    page.fill('input[name="format.weight.end"]', "0.5")
    page.click("#reward-form button[type=submit]")
    page.locator(".message.success").wait_for()

    # The playground on a dataset row: type and see the score change, no page load.
    page.click("text=Playground")
    page.select_option("#id_dataset", str(synthetic_dataset.pk))
    page.fill("#id_row", "2")
    page.click("#row-form button[type=submit]")
    page.wait_for_url("**/playground/?dataset=*")
    first_total = page.locator("#total").inner_text()
    assert page.locator("#parse-error").inner_text() == "well formed"
    shot(page, "05-playground-row")
    page.evaluate("() => { window.__still_here = true; }")
    box = page.locator("#id_completion")
    box.click()
    box.press("Control+End")
    box.press_sequentially(" trailing words", delay=20)
    page.wait_for_function(
        f"() => document.getElementById('total').innerText !== {first_total!r}", timeout=10_000
    )
    assert page.evaluate("() => window.__still_here === true")  # no page load
    assert page.locator("#parse-error").inner_text() == "extra_text"
    shot(page, "06-playground-typed")
    # The step changes the ranges: score at step 50 of 100 (after the two-stage switch).
    box.fill(page.locator("#id_ground_truth").input_value())
    page.fill("#id_step", "50")
    page.locator('#components tr[data-component="format"] td', has_text="[0, 0.5]").wait_for()
    shot(page, "07-playground-step")
    # A wrong parameter value: its badge turns red in the pairs table.
    target = page.locator("#id_ground_truth").input_value()
    box.fill(target.replace('"days": ', '"days": 9'))
    box.press("End")  # a keyup: htmx posts the changed text
    page.locator("#pairs .badge.bad", has_text="days").first.wait_for()
    shot(page, "08-playground-wrong-value")
    page.goto(f"{live_server.url}/projects/{project.slug}/rewards/")
    assert "Two stage, my way" in page.locator("#reward-configurations").inner_text()
    shot(page, "09-list")
    assert script_errors == []
