"""Fixtures shared by the platform and worker tests: the cast of users, processes, a browser."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from tests import programs, shared_data
from tests.programs import program_path

ROOT = Path(__file__).resolve().parents[1]


# --- what was skipped for something missing ------------------------------------------------


def pytest_terminal_summary(terminalreporter) -> None:
    """Count the tests skipped for missing shared data and for missing programs, so a green run
    on a bare clone says plainly what it did not check."""
    counts = {shared_data.SKIP_REASON_PREFIX: 0, programs.SKIP_REASON_PREFIX: 0}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        for prefix in counts:
            if prefix in reason:
                counts[prefix] += 1
    shared, program = counts.values()
    terminalreporter.write_sep("-", "skipped for something missing")
    terminalreporter.write_line(
        f"{shared} skipped: shared data absent (set TOOLRL_SHARED_DIR to the folder holding data/)"
    )
    terminalreporter.write_line(
        f"{program} skipped: program missing (`make test` installs the system packages)"
    )


# --- the cast ------------------------------------------------------------------------------


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("olivia", password="pw-olivia-123")


@pytest.fixture
def member(django_user_model):
    return django_user_model.objects.create_user("mateo", password="pw-mateo-123")


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user("oscar", password="pw-oscar-123")


@pytest.fixture
def project(owner, member):
    from toolrl_web.projects.services import project_add_member, project_create

    project = project_create(owner=owner, name="Weather agent", description="d")
    project_add_member(project=project, username=member.username, added_by=owner)
    return project


@pytest.fixture
def client_for(client):
    """`client_for(user)` logs the Django test client in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- child processes on the test database --------------------------------------------------


def current_database_url() -> str:
    """DATABASE_URL of the database the tests use now (pytest-django's test_* database)."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    host = s["HOST"] or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = current_database_url()
    env.update(extra)
    return env


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, hostname: str, log: Path):
        self.proc, self.hostname, self.log = proc, hostname, log

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        # The pool children may outlive the main process for a moment; wait for the whole group
        # so no connection to the test database is left when pytest-django drops it.
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_worker(
    tmp_path: Path, *, queues: str = "cpu,gpu", env: dict | None = None, timeout: float = 60
) -> WorkerProcess:
    """A real Celery worker subprocess on the test broker and database, ready to take tasks."""
    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path / f"worker-{hostname.split('@')[0]}.log"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app",
            "worker",
            "-Q",
            queues,
            "-c",
            "1",
            "-n",
            hostname,
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env or child_env(),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = WorkerProcess(proc, hostname, log)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if " ready." in worker.text():
            return worker
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    worker.stop(signal.SIGKILL)
    raise AssertionError(f"worker did not start:\n{worker.text()[-3000:]}")


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    worker = start_worker(tmp_path)
    yield worker
    worker.stop()


# --- a real browser ------------------------------------------------------------------------


@pytest.fixture
def browser_page():
    """A Playwright page in Debian's headless Chromium (no browser download needed)."""
    chromium = program_path("chromium", "chromium-browser", package="chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop; Django refuses ORM calls from a thread with one.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def browser_login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/projects/")


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, torn down before the test database is dropped.

    Without the explicit dependency, the server thread can still hold a connection when
    pytest-django drops the test database at the end of the session.
    """
    return live_server


# --- training runs -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_model_cache(tmp_path_factory):
    """The fast tiny model, built once per session; worker children find it via TOOLRL_CACHE."""
    cache = tmp_path_factory.mktemp("toolrl-cache")
    os.environ["TOOLRL_CACHE"] = str(cache)
    from toolrl.tiny import build_tiny_model

    build_tiny_model("fast", cache_dir=cache)
    return cache


def tiny_run_config(**overrides) -> dict:
    """A run of the fast tiny model small enough for tests (a few seconds per step on 2 cores)."""
    config = {
        "name": "test run",
        "preset": "cpu-tiny",
        "model": {"name_or_path": "tiny:fast"},
        "data": {"synthetic_train": 64, "synthetic_validation": 8},
        "grpo": {
            "num_generations": 4,
            "generation_batch_size": 8,
            "per_device_train_batch_size": 8,
            "max_completion_length": 24,
            "max_prompt_length": 880,
            "max_steps": 4,
        },
        "eval_every": 0,
        "eval_at_start": False,
        "eval_rows": 4,
        "checkpoint_every": 2,
    }
    for key, value in overrides.items():
        if isinstance(value, dict):
            config.setdefault(key, {}).update(value)
        else:
            config[key] = value
    return config
