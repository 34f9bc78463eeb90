"""The README's API example, run as written (only the address, token and project swapped in)
against a live server, while a stand-in for the worker makes the run progress and finish."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from toolrl_web.runs import services as run_services
from toolrl_web.runs.models import MetricRow, Run

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_example() -> str:
    api_section = README.read_text().split("\n## API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", api_section, re.S)
    assert len(blocks) == 1, "the API section has one Python example"
    return blocks[0]


def test_the_example_has_five_lines():
    assert len(readme_example().strip().splitlines()) == 5


def fake_training(steps: int, started: threading.Event, errors: list) -> None:
    """What a worker would do to the run's rows: claim, three logged steps, finish."""
    try:
        deadline = time.time() + 60
        while not Run.objects.exists():
            assert time.time() < deadline, "the example launched no run"
            time.sleep(0.1)
        run = Run.objects.get()
        started.set()
        run_services.run_claim(run_id=run.pk, worker_host="stand-in")
        run_services.run_mark_running(run_id=run.pk, pid=1, output_dir="")
        for step in range(1, steps + 1):
            time.sleep(1.0)
            MetricRow.objects.create(run=run, step=step, values={"reward": step / 4})
        run_services.run_finish(run_id=run.pk, exit_code=0)
    except Exception as exc:  # noqa: BLE001 - reported by the test below
        errors.append(exc)
    finally:
        connection.close()


def test_the_readme_example_launches_a_run_and_follows_its_curve(
    live_server, owner, project, monkeypatch
):
    from toolrl_web.api.services import token_create

    monkeypatch.setattr(run_services, "run_enqueue", lambda *, run_id: None)
    token = token_create(user=owner, name="readme")[1]
    code = readme_example()
    for old, new in [
        ("http://127.0.0.1:8000", live_server.url),
        ("trl_PASTE_YOUR_TOKEN", token),
        ("/projects/toolrl-demo/", f"/projects/{project.slug}/"),
    ]:
        assert old in code
        code = code.replace(old, new)

    started, errors = threading.Event(), []
    worker = threading.Thread(target=fake_training, args=(3, started, errors))
    worker.start()
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    worker.join(timeout=60)
    assert not errors, errors
    assert result.returncode == 0, result.stderr
    # every point of the curve printed once, in order, and the loop ended with the run
    assert result.stdout.split("\n") == ["1 0.25", "2 0.5", "3 0.75", ""]
    run = Run.objects.get()
    assert run.status == "finished" and run.name == "from the API" and run.max_steps == 20
