"""Real services for the test suite, ready before pytest-django reads the settings.

- PostgreSQL: `DATABASE_URL` when set (CI points it at the machine's server); otherwise a
  throwaway cluster from the local PostgreSQL binaries, in a temporary folder, on a free port.
- Redis: `REDIS_URL` when set; otherwise a throwaway `redis-server` on a free port.
Everything started here is stopped when the test session ends.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

_started: list[subprocess.Popen] = []
_cleanups: list = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found and name != "pg_ctl":
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else found


def _start_postgres() -> str:
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise pytest.UsageError(
            "DATABASE_URL is not set and no PostgreSQL binaries were found: "
            "install postgresql or set DATABASE_URL=postgres://USER@HOST:5432/NAME"
        )
    data = tempfile.mkdtemp(prefix="toolrl-pg-")
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(data, user="postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [*prefix, initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*prefix, pg_ctl, "-D", data, "-o", opts, "-l", f"{data}/log", "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )

    def stop() -> None:
        subprocess.run(
            [*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(data, ignore_errors=True)

    _cleanups.append(stop)
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


def _start_redis() -> str:
    binary = shutil.which("redis-server")
    if not binary:
        raise pytest.UsageError(
            "REDIS_URL is not set and redis-server is not installed: "
            "install redis-server or set REDIS_URL=redis://HOST:6379/0"
        )
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    _started.append(proc)
    _wait_port(port)
    return f"redis://127.0.0.1:{port}/0"


def _stop_everything() -> None:
    for proc in _started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
    for cleanup in reversed(_cleanups):
        cleanup()
    _started.clear()
    _cleanups.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    if early_config.pluginmanager.is_blocked("django"):
        return  # `-p no:django`: library-only tests, no database wanted
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = _start_postgres()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = _start_redis()
    os.environ["CELERY_BROKER_URL"] = os.environ["REDIS_URL"]
    os.environ.pop("CELERY_RESULT_BACKEND", None)
    os.environ.setdefault("TOOLRL_VAR_DIR", tempfile.mkdtemp(prefix="toolrl-var-"))
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("WORKER_HEARTBEAT_SECONDS", "1")
    atexit.register(_stop_everything)


def pytest_unconfigure(config) -> None:
    _stop_everything()
