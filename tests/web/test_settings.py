"""Settings from the environment, and one clear line for every wrong setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolrl_web.env import SettingError, envbool, parse_database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # the default: a SQLite file (absolute path has four slashes)
        (
            "sqlite:////tmp/x.sqlite3",
            {"ENGINE": "django.db.backends.sqlite3", "NAME": "/tmp/x.sqlite3"},
        ),
        # relative SQLite path
        ("sqlite:///var/db.sqlite3", {"NAME": "var/db.sqlite3"}),
        # PostgreSQL with credentials and a port
        (
            "postgres://app:p%40ss@db:5433/toolrl",
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "toolrl",
                "USER": "app",
                "PASSWORD": "p@ss",
                "HOST": "db",
                "PORT": "5433",
            },
        ),
        # the postgresql:// spelling, trust auth, no password
        ("postgresql://postgres@127.0.0.1/test", {"USER": "postgres", "PASSWORD": "", "PORT": ""}),
    ],
)
def test_parse_database_url(url, expected):
    parsed = parse_database_url(url)
    for key, value in expected.items():
        assert parsed[key] == value


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://x@y/z", "not a supported database URL"),
        ("postgres://x@y", "names no database"),
        ("postgres://x@y:notaport/z", "bad port"),
        ("not a url", "not a supported database URL"),
    ],
)
def test_bad_database_url_is_explained(url, fragment):
    with pytest.raises(SettingError, match=fragment):
        parse_database_url(url)


def test_envbool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(SettingError, match="DEBUG='maybe' is not a boolean"):
        envbool("DEBUG", False)


def _manage(args: list[str], **env_overrides: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_clear_line(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.slow  # starts a process
def test_bad_database_url_gives_one_line():
    result = _manage(["check"], DATABASE_URL="mysql://root@localhost/x")
    _one_clear_line(result, "DATABASE_URL", "not a supported database URL", "postgres://")


@pytest.mark.slow  # starts a process
def test_unreachable_database_gives_one_line():
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    result = _manage(["migrate"], DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing")
    _one_clear_line(result, "cannot use the database", "DATABASE_URL")


@pytest.mark.slow  # starts a process
def test_unreachable_broker_gives_one_line():
    result = _manage(["preflight"], CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "broker unreachable" in errors[0]
    assert "CELERY_BROKER_URL" in errors[0]


@pytest.mark.slow  # starts a process
def test_missing_secret_key_in_production_gives_one_line():
    env = {"DEBUG": "0", "SECRET_KEY": ""}
    result = _manage(["check"], **env)
    _one_clear_line(result, "SECRET_KEY")


@pytest.mark.slow
def test_sqlite_and_embedded_broker_default_starts(tmp_path):
    """With no DATABASE_URL and no CELERY_BROKER_URL: SQLite + kombu's SQLAlchemy broker."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    }
    env["TOOLRL_VAR_DIR"] = str(tmp_path)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "toolrl.sqlite3").exists()
    from tests.conftest import start_worker

    worker = start_worker(tmp_path, env=env, timeout=90)
    try:
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "from workers.tasks import ping; print(ping.delay().get(timeout=60)['pong'])",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert probe.returncode == 0, probe.stderr + worker.text()[-2000:]
        assert probe.stdout.strip().endswith("True")
    finally:
        worker.stop()
    assert "sqla+sqlite" in worker.text()
