"""`make demo`: migrate, create the demo login, start the broker, web server and a worker.

Every process is started in its own process group; Ctrl-C (or SIGTERM) stops all of them, so no
orphan is left behind. Uses the embedded defaults (SQLite database; a loopback redis-server when
the binary exists, otherwise kombu's SQLAlchemy broker on SQLite) unless the environment says
otherwise.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
HOST = os.environ.get("DEMO_HOST", "127.0.0.1")
PORT = int(os.environ.get("DEMO_PORT", "8000"))

children: list[tuple[str, subprocess.Popen]] = []


def free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def start(name: str, argv: list[str], env: dict, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "ab") if log else None  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
    )
    children.append((name, proc))
    return proc


def stop_all(*_args) -> None:
    for _name, proc in reversed(children):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.time() + 15
    for name, proc in reversed(children):
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        print(f"stopped {name}")


def run_step(argv: list[str], env: dict) -> None:
    result = subprocess.run(argv, cwd=ROOT, env=env)
    if result.returncode != 0:
        stop_all()
        sys.exit(result.returncode)


def _stop_with_parent() -> None:
    """Get SIGTERM if `make` (our parent) dies, so a killed `make demo` leaves nothing behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def main() -> int:
    t0 = time.time()
    _stop_with_parent()
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    var = Path(env.get("TOOLRL_VAR_DIR", ROOT / "var"))
    (var / "logs").mkdir(parents=True, exist_ok=True)

    signal.signal(signal.SIGINT, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if "CELERY_BROKER_URL" not in env and shutil.which("redis-server"):
            port = free_port(6390)
            start(
                "redis-server",
                [
                    "redis-server",
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                env,
                var / "logs" / "redis.log",
            )
            env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
            for _ in range(50):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
        broker = env.get("CELERY_BROKER_URL", "embedded SQLite broker (kombu SQLAlchemy transport)")
        print(f"broker: {broker}")
        run_step([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        run_step([PY, "manage.py", "preflight"], env)
        run_step([PY, "manage.py", "demo_setup", "--launch-run"], env)
        start(
            "worker",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "-Q",
                "cpu,gpu",
                "-c",
                "1",
                "-n",
                "demo@%h",
                "--loglevel",
                "INFO",
            ],
            env,
            var / "logs" / "worker.log",
        )
        start("web", [PY, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], env)
        url = f"http://{HOST}:{PORT}/"
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "healthz", timeout=1).read()
                break
            except OSError:
                if any(p.poll() is not None for _, p in children):
                    raise SystemExit("a demo process exited early; see var/logs/") from None
                time.sleep(0.2)
        print(f"\nToolRL Platform is up at {url}  (first page after {time.time() - t0:.1f} s)")
        print(
            "log in as demo / toolrl-demo; the demo run trains the tiny model (first build of the"
        )
        print(
            "model takes a few minutes); worker log: var/logs/worker.log; Ctrl-C stops everything\n"
        )
        while True:
            for name, proc in children:
                if proc.poll() is not None:
                    print(f"{name} exited with status {proc.returncode}; stopping the demo")
                    raise KeyboardInterrupt
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
