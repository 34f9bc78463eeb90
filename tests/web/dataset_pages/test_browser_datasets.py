"""The dataset pages in a real browser, validated by a real Celery worker on the real broker and
database: upload tools, upload a dataset with errors, read the report, fix and upload again,
see the statistics and the preview, add the synthetic task. Screenshots of every page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, browser_login, child_env, start_worker

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SHOTS = ROOT / "var" / "screenshots" / "datasets"

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city"],
            },
        },
    },
    {"name": "get_time", "description": "Local time.", "parameters": {"type": "object",
     "properties": {"city": {"type": "string"}}, "required": ["city"]}},
]  # fmt: skip
BROKEN_TOOLS = [TOOLS[0], {"name": "get_time", "parameters": {"type": "dict"}}, TOOLS[0]]


def qa_rows(broken: bool) -> str:
    rows = []
    for i in range(24):
        city = ["Paris", "Oslo", "Lima", "Rome"][i % 4]
        args: dict = {"city": city}
        if i % 3 == 0:
            args["days"] = "2" if broken and i == 3 else 2
        name = "get_time" if i % 5 == 0 else "get_weather"
        if broken and i == 7:
            name = "get_wether"
        rows.append({"id": f"qa-{i}", "query": f"Weather in {city} (request {i})?",
                     "answers": [{"name": name, "arguments": args}]})  # fmt: skip
    text = "".join(json.dumps(r) + "\r\n" for r in rows)
    return ("\ufeff" + text) if broken else text


@pytest.fixture
def dataset_worker(transactional_db, tmp_path, tiny_model_cache, settings):
    # The worker is another process: it must see this test's uploads folder and tiny model.
    env = child_env(
        TOOLRL_UPLOADS_DIR=str(settings.UPLOADS_DIR), TOOLRL_CACHE=str(tiny_model_cache)
    )
    worker = start_worker(tmp_path, queues="cpu", env=env)
    yield worker
    worker.stop()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_upload_report_fix_reupload_and_tools(
    live_server, dataset_worker, project, owner, outsider, tmp_path, browser_page
):
    page = browser_page
    script_errors: list[str] = []
    page.on("pageerror", lambda e: script_errors.append(str(e)))
    print(f"\nscreenshots: {SHOTS}")
    files = {
        "tools.json": json.dumps(TOOLS, indent=2),
        "broken-tools.json": json.dumps(BROKEN_TOOLS, indent=2),
        "qa.jsonl": qa_rows(broken=True),
        "qa-fixed.jsonl": qa_rows(broken=False),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/projects/{project.slug}/")
    page.click("text=Datasets and tool sets")
    shot(page, "01-datasets-empty")

    # A tool set with errors: the report names the tool and the field; nothing is kept.
    page.click("text=Upload a tool set")
    page.set_input_files("#id_file", str(tmp_path / "broken-tools.json"))
    page.click("text=Upload and check")
    problems = page.locator("#toolset-problems").inner_text()
    assert (
        "broken-tools.json:" in problems
        and "get_time.parameters.type: 'dict' is not a JSON Schema type (use 'object')" in problems
    )
    assert "a second tool named 'get_weather'" in problems
    shot(page, "02-toolset-upload-errors")
    page.set_input_files("#id_file", str(tmp_path / "tools.json"))
    page.fill("#id_name", "Weather tools")
    page.click("text=Upload and check")
    page.wait_for_url("**/toolsets/*/")
    assert page.locator("#tools tbody tr").count() == 2
    shot(page, "03-toolset-detail")

    # A dataset with errors: questions and answers, tools from the tool set.
    page.goto(f"{live_server.url}/projects/{project.slug}/datasets/new/")
    page.set_input_files("#id_file", str(tmp_path / "qa.jsonl"))
    page.select_option("#id_toolset", label="Weather tools")
    page.fill("#id_validation_fraction", "0.25")
    page.fill("#id_tokenizer", "tiny:fast")
    shot(page, "04-dataset-upload")
    page.click("text=Upload and check")
    page.wait_for_url("**/datasets/*/")
    shot(page, "04b-dataset-waiting-or-validating")
    page.locator('#status[data-status="invalid"]').wait_for(timeout=120_000)  # htmx polls
    errors = page.locator("#errors").inner_text()
    assert (
        "qa.jsonl:4: target.calls[0].parameters.days: get_weather: '2' is not of type 'integer'"
        in errors
    )
    assert "qa.jsonl:8: target.calls[0].name: 'get_wether' is not in the tool set" in errors
    assert "2 errors" in page.locator("#verdict").inner_text()
    page.locator("#statistics .chart .main-svg").first.wait_for(timeout=30_000)
    shot(page, "05-dataset-report-errors")

    # Fix and upload again: the same record, a new version, valid, with statistics.
    page.set_input_files("#reupload input[type=file]", str(tmp_path / "qa-fixed.jsonl"))
    page.click("#reupload button[type=submit]")
    page.locator('#status[data-status="valid"]').wait_for(timeout=120_000)
    assert (
        "24 rows, ready to train on: 18 for training, 6 held out"
        in page.locator("#verdict").inner_text()
    )
    assert page.locator("#errors").count() == 0
    page.locator("#tokens:not([hx-get])").wait_for(timeout=180_000)  # counted after the verdict
    tokens = page.locator("#tokens").inner_text()
    assert "tiny:fast tokenizer, every row" in tokens, tokens
    page.locator("#tokens .chart .main-svg").first.wait_for(timeout=30_000)
    page.locator("#statistics .chart .main-svg").first.wait_for(timeout=30_000)
    shot(page, "06-dataset-valid-statistics")

    page.click("text=Preview rows")
    assert page.locator(".preview-row").count() == 10
    page.fill("#id_q", "qa-17")
    page.locator('.preview-row[data-row-id="qa-17"]').wait_for()
    assert page.locator(".preview-row").count() == 1
    page.locator(".preview-row details summary").first.click()
    assert "**Available Tools**" in page.locator(".preview-row pre").first.inner_text()
    shot(page, "07-dataset-preview-search")

    # The built-in synthetic task, next to the uploads.
    page.goto(f"{live_server.url}/projects/{project.slug}/datasets/")
    page.fill("#synthetic-form #id_size", "60")
    page.fill("#synthetic-form #id_seed", "7")
    page.click("text=Add the synthetic task")
    page.locator('#status[data-status="valid"]').wait_for(timeout=120_000)
    shot(page, "08-synthetic-dataset")
    page.goto(f"{live_server.url}/projects/{project.slug}/datasets/")
    listing = page.locator("#datasets").inner_text()
    assert "qa" in listing and "Synthetic task (60 rows, seed 7)" in listing
    assert "Synthetic task tools" in page.locator("#toolsets").inner_text()
    shot(page, "09-datasets-list")

    detail_url = page.locator("#datasets a", has_text="qa").first.get_attribute("href")
    page.click("text=Log out")
    browser_login(page, live_server, "oscar", "pw-oscar-123")
    assert page.goto(f"{live_server.url}{detail_url}").status == 404
    assert Path(SHOTS / "06-dataset-valid-statistics.png").stat().st_size > 10_000
    assert script_errors == []
