"""Through a real browser and a real worker: launch an evaluation from the run page, watch it
finish, see the results, the chart with the paper's reference lines, the CSV and the compare table.
Screenshots go to var/screenshots/evaluations/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import shared_data
from tests.conftest import browser_login, child_env, start_worker, tiny_run_config
from tests.workers.test_runs import FAST_SUPERVISION
from toolrl_web.evaluations import catalog
from toolrl_web.runs import services as run_services
from toolrl_web.runs.models import Run, RunStatus

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots" / "evaluations"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def no_messages(monkeypatch):
    """Overrides the folder's fixture: an evaluation's launch sends its real message to the
    worker here; runs are still never trained (they are only evaluated)."""
    monkeypatch.setattr(run_services, "run_enqueue", lambda *, run_id: None)


@pytest.fixture
def eval_worker(tmp_path, tiny_model_cache, settings):
    settings.ARTIFACTS_DIR = tmp_path / "artifacts"
    env = child_env(**FAST_SUPERVISION, TOOLRL_ARTIFACTS_DIR=str(settings.ARTIFACTS_DIR))
    if shared_data.DATA.is_dir():
        env["TOOLRL_EVAL_DATA"] = str(shared_data.DATA)
        settings.EVAL_DATA_DIR = str(shared_data.DATA)
    catalog.clear_cache()
    worker = start_worker(tmp_path, queues="cpu,gpu", env=env)
    yield worker
    worker.stop()
    catalog.clear_cache()


# The rows each test needs are made in fixtures set up before `browser_page`: ORM calls made
# once Playwright's greenlet runs open a connection Django never closes.


@pytest.fixture
def finished_run(project, owner, no_messages):
    """A finished run (not trained: no_messages keeps its message from the worker)."""
    run = run_services.run_create(
        project=project, user=owner, config=tiny_run_config(), name="weather v1"
    )
    Run.objects.filter(pk=run.pk).update(status=RunStatus.FINISHED, last_step=4)
    return run


def test_launch_from_the_run_page_and_see_results_and_chart(
    live_server, eval_worker, finished_run, browser_page
):
    run = finished_run
    with_benchmark = shared_data.DATA.is_dir()

    page = browser_page
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    form = page.locator("#run-evaluations #evaluation-launch")
    form.wait_for()  # the panel comes in with htmx
    form.locator("select[name=model]").select_option("base:tiny:fast")
    if with_benchmark:
        form.locator('input[value="api-bank"]').check()
    form.locator("input[name=limit]").fill("2")
    form.locator("input[name=max_new_tokens]").fill("32")
    shot(page, "run_page_launch")
    form.locator("button[type=submit]").click()

    page.wait_for_url(f"**/runs/{run.pk}/evaluations/")
    assert "queued." in page.locator(".messages").inner_text()
    shot(page, "evaluations_queued")
    # htmx polls the jobs table until the evaluation is final
    page.locator('#evaluation-jobs [data-status="finished"]').wait_for(timeout=300_000)
    # the chart script asks for new points until nothing is active
    page.locator("#chart-held-out .main-svg").first.wait_for(timeout=30_000)
    page.reload()
    page.locator("#chart-held-out .main-svg").first.wait_for()
    assert page.locator('#evaluation-results tr[data-suite="held-out"]').count() >= 1
    if with_benchmark:
        chart = page.locator("#chart-api-bank")
        chart.locator(".main-svg").first.wait_for()
        # the paper's API-Bank numbers, labelled
        assert "paper: Qwen2.5-3B 67.00 (API-Bank overall)" in chart.inner_text()
    shot(page, "evaluations_results")

    csv_link = page.locator("a", has_text="Download CSV")
    with page.expect_download() as download:
        csv_link.first.click()
    text = Path(download.value.path()).read_text()
    assert text.startswith("run,suite,step,model,score,value,items,evaluation")
    assert f"{run.pk},held-out,0,tiny:fast (base),accuracy," in text

    # the run page now shows the headline results
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    page.locator('#run-evaluations #evaluation-results tr[data-suite="held-out"]').wait_for()
    shot(page, "run_page_results")

    page.goto(f"{live_server.url}/evaluations/compare/?runs={run.pk}")
    assert page.locator('#evaluation-compare tr[data-suite="held-out"]').count() >= 1
    shot(page, "compare")


@pytest.fixture
def two_runs_with_results(project, owner):
    from tests.web.evaluations.conftest import finished_evaluation, make_run

    a = make_run(project, owner, name="toolrl reward", steps=())
    b = make_run(project, owner, name="coarse reward", steps=())
    curve = {0: 0.05, 10: 0.22, 20: 0.41, 30: 0.48}
    for step, value in curve.items():
        finished_evaluation(
            a,
            step=step,
            results={
                "held-out": {"accuracy": value + 0.1, "format_rate": min(1.0, 2 * value + 0.3)},
                "api-bank": {"overall": value * 1.2},
                "bfcl": {"single_turn_mean": value, "irrelevance": 0.6},
            },
        )
    finished_evaluation(
        b, step=30, results={"bfcl": {"single_turn_mean": 0.39, "irrelevance": 0.7}}
    )
    return a, b


def test_charts_over_checkpoints_and_compare_table(
    live_server, two_runs_with_results, browser_page
):
    """Stored results (no worker): several checkpoints and suites, the paper's lines, best marks."""
    a, b = two_runs_with_results
    page = browser_page
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/runs/{a.pk}/evaluations/")
    for suite in ("held-out", "api-bank", "bfcl"):
        page.locator(f"#chart-{suite} .main-svg").first.wait_for()
    legend = page.locator("#chart-bfcl").inner_text()
    assert "paper: Qwen2.5-7B 58.38 (BFCL v3 overall)" in legend
    assert "paper: Llama-3.2-3B 44.10 (BFCL v3 overall)" in legend
    assert (
        "paper: Qwen2.5-1.5B 63.15 (API-Bank overall)"
        in page.locator("#chart-api-bank").inner_text()
    )
    shot(page, "charts_over_checkpoints")

    page.goto(f"{live_server.url}/evaluations/compare/?runs={a.pk},{b.pk}")
    best = page.locator('#evaluation-compare tr[data-score="single_turn_mean"] td[data-best]')
    assert best.get_attribute("data-run") == str(a.pk)
    irrelevance = page.locator('#evaluation-compare tr[data-score="irrelevance"] td[data-best]')
    assert irrelevance.get_attribute("data-run") == str(b.pk)
    shot(page, "compare_two_runs")


@pytest.fixture
def run_without_data(project, owner, settings, tmp_path, monkeypatch):
    """A user's clone: no ../shared, no TOOLRL_EVAL_DATA."""
    from tests.web.evaluations.conftest import make_run

    settings.EVAL_DATA_DIR = ""
    settings.BASE_DIR = tmp_path / "checkout"
    monkeypatch.delenv("TOOLRL_EVAL_DATA", raising=False)
    catalog.clear_cache()
    yield make_run(project, owner, name="no data here")
    catalog.clear_cache()


def test_form_without_benchmark_data_names_the_suites(live_server, run_without_data, browser_page):
    """Only held-out can be chosen; the others say why."""
    run = run_without_data
    page = browser_page
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/runs/{run.pk}/evaluations/")
    for suite in ("toolrl-validation", "api-bank", "bfcl"):
        assert page.locator(f'input[value="{suite}"]').is_disabled()
    assert page.locator('input[value="held-out"]').is_enabled()
    assert "API-Bank needs the benchmark data" in page.locator("fieldset.suites").inner_text()
    shot(page, "form_without_data")


def in_thread(write) -> None:
    """An ORM write from a thread of its own, its connection closed after (see above: none from
    Playwright's greenlet)."""
    import threading

    from django.db import connection

    def target():
        try:
            write()
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()


@pytest.fixture
def run_with_many_jobs(project, owner):
    """Two finished evaluations (steps 2 and 4, a minute ago) and 25 queued ones: the jobs
    table polls and pages, the chart asks again every 5 s."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.web.evaluations.conftest import finished_evaluation, make_run
    from toolrl_web.evaluations.models import Evaluation

    run = make_run(project, owner, name="paged")
    for step, ago, score in ((2, 60, 0.25), (4, 50, 0.75)):
        done = finished_evaluation(run, step=step, results={"held-out": {"accuracy": score}})
        Evaluation.objects.filter(pk=done.pk).update(
            finished_at=timezone.now() - timedelta(seconds=ago)
        )
    queued = [
        Evaluation.objects.create(
            project=project, run=run, model="tiny:fast", model_label=f"job {i}", suites=["x"]
        )
        for i in range(25)
    ]
    return run, queued


def test_paging_survives_the_poll_and_an_earlier_step_reaches_the_chart(
    live_server, run_with_many_jobs, browser_page
):
    from tests.web.evaluations.conftest import finished_evaluation

    run, queued = run_with_many_jobs
    page = browser_page
    browser_login(page, live_server, "olivia", "pw-olivia-123")
    page.goto(f"{live_server.url}/runs/{run.pk}/evaluations/")
    page.locator("#chart-held-out .main-svg").first.wait_for()
    xs = "document.getElementById('chart-held-out').data[0].x"
    assert page.evaluate(xs) == [2, 4]
    rows = page.locator("#evaluation-jobs tr[data-evaluation]")
    assert rows.count() == 20
    page.click("#older-jobs")
    page.locator("#newest-jobs").wait_for()
    older = [e.pk for e in queued[:5]]
    shown = lambda: [int(r.get_attribute("data-evaluation")) for r in rows.all()]  # noqa: E731
    assert shown()[:5] == sorted(older, reverse=True) and rows.count() == 7
    # Two polls later the older page is still the one shown.
    with page.expect_response(lambda r: f"/jobs/?before={queued[5].pk}" in r.url):
        pass
    page.wait_for_timeout(3500)
    assert rows.count() == 7 and shown()[:5] == sorted(older, reverse=True)
    assert "{#" not in page.locator("#evaluation-jobs-box").inner_text()
    shot(page, "jobs_older_page_while_polling")

    # Step 2 evaluated again, after step 4 was drawn: the chart replaces its point, no reload.
    in_thread(lambda: finished_evaluation(run, step=2, results={"held-out": {"accuracy": 0.5}}))
    ys = "document.getElementById('chart-held-out').data[0].y"
    page.wait_for_function(f"{ys}[0] === 50", timeout=15_000)
    assert page.evaluate(xs) == [2, 4] and page.evaluate(ys) == [50, 75]
    shot(page, "chart_earlier_step_again")
