"""The path `make demo` takes: a SQLite database, kombu's SQLAlchemy broker on a SQLite file, a
real worker, the supervisor, the engine and its database sink, the tiny model.

Everything runs in child processes on files of its own; the suite's PostgreSQL and Redis are not
used (the rest of the suite covers those).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, start_worker, tiny_run_config

pytestmark = pytest.mark.slow


def demo_env(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_RESULT_BACKEND")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'toolrl.sqlite3'}",
        CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}",
        TOOLRL_VAR_DIR=str(tmp_path),
        RUN_HEARTBEAT_SECONDS="1",
        WORKER_HEARTBEAT_SECONDS="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


LAUNCH = """
import json
from django.contrib.auth import get_user_model
from django.db import transaction
from toolrl_web.projects.services import project_create
from toolrl_web.runs.services import run_create

user = get_user_model().objects.create_user("demo", password="pw-demo-123")
project = project_create(owner=user, name="demo")
with transaction.atomic():  # the message goes out on commit, over the SQLite broker
    run = run_create(project=project, user=user, config=json.loads(CONFIG))
run.refresh_from_db()
print(json.dumps({"id": run.pk, "sent": run.message_sent_at is not None}))
"""


def test_a_run_trains_on_sqlite_with_the_embedded_broker(tmp_path, tiny_model_cache):
    env = demo_env(tmp_path)
    manage(env, "migrate", "--noinput", "-v", "0")
    config = tiny_run_config(grpo={"max_steps": 2}, checkpoint_every=2)
    code = f"CONFIG = {json.dumps(json.dumps(config))}\n{LAUNCH}"
    launched = json.loads(manage(env, "shell", "-c", code).strip().splitlines()[-1])
    assert launched["sent"], "the message did not reach the SQLite broker"

    database = sqlite3.connect(tmp_path / "toolrl.sqlite3", timeout=20)

    def row(sql: str):
        return database.execute(sql, (launched["id"],)).fetchone()

    worker = start_worker(tmp_path, env=env)
    try:
        deadline = time.time() + 400
        while time.time() < deadline:
            status, error = row("SELECT status, error FROM runs_run WHERE id = ?")
            if status in ("finished", "failed", "canceled"):
                break
            time.sleep(1)
        assert status == "finished", f"{status}: {error}\n{worker.text()[-3000:]}"
    finally:
        worker.stop(signal.SIGTERM)
    assert row("SELECT last_step, launches FROM runs_run WHERE id = ?") == (2, 1)
    assert row("SELECT COUNT(*) FROM runs_metricrow WHERE run_id = ?") == (2,)
    # 8 completions per step, written with bulk_create (the COPY path is PostgreSQL's)
    assert row("SELECT COUNT(*) FROM runs_rollout WHERE run_id = ?") == (16,)
    (rewards,) = row("SELECT rewards FROM runs_rollout WHERE run_id = ? LIMIT 1")
    assert set(json.loads(rewards)) == {"format", "correctness"}
    assert row("SELECT kind FROM runs_artifact WHERE run_id = ? AND step = 2") == ("final",)
